import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatFromKey,
  InvalidUploadError,
  parseTransactions,
} from '../../../shared/ingest/parse-transactions.ts'
import { chunked, cutAt, gzip, parseAll, parseError, transaction } from './uploads.ts'

const HEADER = 'customer_id,transaction_date,amount\n'

describe('parseTransactions: CSV layout', () => {
  it('reads columns in any order, with header names in any case and surrounded by spaces', async () => {
    const { rows } = await parseAll(' Amount ,TRANSACTION_DATE, Customer_Id\n12.50,2026-03-01,C1\n')

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: 12.5 })])
  })

  it('ignores columns it does not know', async () => {
    const { rows } = await parseAll(
      'store,customer_id,note,transaction_date,amount\nS9,C1,hello,2026-03-01,3\n',
    )

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: 3 })])
  })

  it('skips a UTF-8 byte order mark before the header', async () => {
    const { rows } = await parseAll(`\uFEFF${HEADER}C1,2026-03-01,1\n`)

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: 1 })])
  })

  it('reads CRLF line endings', async () => {
    const { rows, lines } = await parseAll(
      'customer_id,transaction_date,amount\r\nC1,2026-03-01,1\r\nC2,2026-03-02,2\r\n',
    )

    expect(rows.map((row) => [row.customerId, row.amount])).toEqual([
      ['C1', 1],
      ['C2', 2],
    ])
    expect(lines).toEqual([2, 3])
  })

  it('skips blank lines but still counts them in line numbers', async () => {
    const { rows, lines } = await parseAll(`${HEADER}\nC1,2026-03-01,1\n\r\n   \nC2,2026-03-01,2\n\n`)

    expect(rows.map((row) => row.customerId)).toEqual(['C1', 'C2'])
    expect(lines).toEqual([3, 6])
  })

  it('reads a last line without a line break', async () => {
    const { rows, lines } = await parseAll(`${HEADER}C1,2026-03-01,1`)

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: 1 })])
    expect(lines).toEqual([2])
  })

  it('reads quoted fields holding commas, doubled quotes and line breaks', async () => {
    const csv =
      'customer_id,transaction_id,transaction_date,amount\n"C1","order ""7"", item 1,\r\nsecond line","2026-03-01","12.5"\n'

    const { rows } = await parseAll(csv)

    expect(rows).toEqual([
      transaction({
        customerId: 'C1',
        transactionId: 'order "7", item 1,\r\nsecond line',
        date: '2026-03-01',
        amount: 12.5,
      }),
    ])
  })

  it('numbers each row by the line it starts on, after fields that span several lines', async () => {
    const csv =
      'customer_id,transaction_id,transaction_date,amount\nC1,"a\nb\nc",2026-03-01,1\nC2,t2,2026-03-01,2\nC3,"d\r\ne",2026-03-01,3\nC4,,2026-03-01,x\n'

    const { lines, rejections } = await parseAll(csv)

    expect(lines).toEqual([2, 5, 6])
    expect(rejections.map((r) => r.line)).toEqual([8])
  })

  it('ignores spaces and tabs around values', async () => {
    const { rows } = await parseAll(`${HEADER} C1 ,\t2026-03-01 ,  -4.5\t\n`)

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: -4.5 })])
  })

  it('returns each row with the line it came from, in batches of at most the batch size', async () => {
    const body = Array.from({ length: 12 }, (_, i) => `C${i},2026-03-01,${i}`).join('\n')

    const { rows, lines, batches } = await parseAll(`${HEADER}${body}\n`, { batchSize: 5 })

    expect(batches).toBe(3)
    expect(rows.map((row) => row.amount)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(lines).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
  })
})

describe('parseTransactions: values', () => {
  it('accepts negative amounts, which are refunds', async () => {
    const { rows } = await parseAll(`${HEADER}C1,2026-03-01,-3\nC1,2026-03-01,-0.25\n`)

    expect(rows.map((row) => row.amount)).toEqual([-3, -0.25])
  })

  it('reads the optional transaction_id and margin, and treats empty ones as absent', async () => {
    const csv =
      'customer_id,transaction_date,amount,transaction_id,margin\nC1,2026-03-01,10,T-1,2.5\nC2,2026-03-01,20,,\n'

    const { rows } = await parseAll(csv)

    expect(rows).toEqual([
      transaction({ customerId: 'C1', date: '2026-03-01', amount: 10, transactionId: 'T-1', margin: 2.5 }),
      transaction({ customerId: 'C2', date: '2026-03-01', amount: 20 }),
    ])
  })

  it('converts a date-time with an offset to the business day in UTC', async () => {
    const { rows } = await parseAll(`${HEADER}C1,2026-03-01T23:30:00-05:00,1\n`, { timeZone: 'UTC' })

    expect(rows[0]?.date).toBe('2026-03-02')
  })

  it('converts a date-time with an offset to the business day in the configured zone', async () => {
    const { rows } = await parseAll(`${HEADER}C1,2026-03-01T23:30:00-05:00,1\n`, {
      timeZone: 'America/New_York',
    })

    expect(rows[0]?.date).toBe('2026-03-01')
  })

  it('takes a date-time without offset as local time of the business zone', async () => {
    const { rows } = await parseAll(`${HEADER}C1,2026-03-01T23:30:00,1\n`, { timeZone: 'Asia/Tokyo' })

    expect(rows[0]?.date).toBe('2026-03-01')
  })

  it('uses UTC when no business zone is given', async () => {
    const { rows } = await parseAll(`${HEADER}C1,2026-03-01T20:00:00-05:00,1\n`)

    expect(rows[0]?.date).toBe('2026-03-02')
  })
})

describe('parseTransactions: rejected rows', () => {
  it('rejects a customer id with characters outside the allowed set, naming line, field and value', async () => {
    const { rows, rejections } = await parseAll(`${HEADER}C1,2026-03-01,1\nC 2,2026-03-01,1\n`)

    expect(rows).toHaveLength(1)
    expect(rejections).toEqual([
      {
        line: 3,
        field: 'customer_id',
        reason:
          "customer_id: 'C 2' must be 1-128 characters of letters, digits and . _ - : @, starting with a letter or digit",
        value: 'C 2',
      },
    ])
  })

  it('rejects a row without customer id', async () => {
    const { rejections } = await parseAll(`${HEADER},2026-03-01,1\n`)

    expect(rejections).toEqual([{ line: 2, field: 'customer_id', reason: 'customer_id is missing' }])
  })

  it('rejects a date that does not exist', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-02-30,1\n`)

    expect(rejections).toEqual([
      {
        line: 2,
        field: 'transaction_date',
        reason: "transaction_date: '2026-02-30' is not a date (YYYY-MM-DD) or an ISO 8601 date-time",
        value: '2026-02-30',
      },
    ])
  })

  it('rejects a date in day-month-year order', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,01/03/2026,1\n`)

    expect(rejections.map((r) => [r.line, r.field])).toEqual([[2, 'transaction_date']])
  })

  it('rejects an amount written with a decimal comma', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-03-01,"12,50"\n`)

    expect(rejections).toEqual([
      { line: 2, field: 'amount', reason: "amount: '12,50' is not a decimal number", value: '12,50' },
    ])
  })

  it.each([
    ['a thousands separator', '"1,000.00"'],
    ['a currency symbol', '$12.50'],
    ['an exponent', '1e3'],
    ['text', 'twelve'],
    ['a lone sign', '-'],
  ])('rejects an amount with %s', async (_, amount) => {
    const { rows, rejections } = await parseAll(`${HEADER}C1,2026-03-01,${amount}\n`)

    expect(rows).toEqual([])
    expect(rejections.map((r) => [r.line, r.field])).toEqual([[2, 'amount']])
  })

  it('rejects an empty amount as missing', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-03-01,\n`)

    expect(rejections).toEqual([{ line: 2, field: 'amount', reason: 'amount is missing' }])
  })

  it('rejects an amount too large for a number', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-03-01,${'9'.repeat(400)}\n`)

    expect(rejections.map((r) => [r.field, r.reason.endsWith('is out of range')])).toEqual([['amount', true]])
  })

  it('rejects a margin that is not a decimal number', async () => {
    const { rejections } = await parseAll(
      'customer_id,transaction_date,amount,margin\nC1,2026-03-01,10,n/a\n',
    )

    expect(rejections).toEqual([
      { line: 2, field: 'margin', reason: "margin: 'n/a' is not a decimal number", value: 'n/a' },
    ])
  })

  it('rejects a transaction id longer than 256 characters', async () => {
    const csv = `customer_id,transaction_date,amount,transaction_id\nC1,2026-03-01,10,${'t'.repeat(257)}\n`

    const { rejections } = await parseAll(csv)

    expect(rejections.map((r) => [r.line, r.field])).toEqual([[2, 'transaction_id']])
  })

  it('rejects every bad field of a row separately', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-03-01,1\n-bad,2026-13-01,12;5\n`)

    expect(rejections.map((r) => [r.line, r.field])).toEqual([
      [3, 'customer_id'],
      [3, 'transaction_date'],
      [3, 'amount'],
    ])
  })

  it('rejects a line whose field count differs from the header', async () => {
    const { rows, rejections } = await parseAll(
      `${HEADER}C1,2026-03-01,12,50\nC2,2026-03-01\nC3,2026-03-01,1\n`,
    )

    expect(rows.map((row) => row.customerId)).toEqual(['C3'])
    expect(rejections).toEqual([
      {
        line: 2,
        field: '(line)',
        reason: 'the line has 4 fields but the header has 3',
        value: 'C1,2026-03-01,12,50',
      },
      {
        line: 3,
        field: '(line)',
        reason: 'the line has 2 fields but the header has 3',
        value: 'C2,2026-03-01',
      },
    ])
  })

  it('shows a quoted line with the wrong field count as its fields joined by commas', async () => {
    const { rejections } = await parseAll(`${HEADER}"C1","2026-03-01","1","x"\n`)

    expect(rejections).toEqual([
      {
        line: 2,
        field: '(line)',
        reason: 'the line has 4 fields but the header has 3',
        value: 'C1,2026-03-01,1,x',
      },
    ])
  })

  it('rejects a line with text after a closing quote and reads on from the next line', async () => {
    const { rows, rejections } = await parseAll(`${HEADER}"C1"x,2026-03-01,1\nC2,2026-03-01,2\n`)

    expect(rejections).toEqual([
      { line: 2, field: '(line)', reason: 'unexpected character after a closing quote' },
    ])
    expect(rows.map((row) => row.customerId)).toEqual(['C2'])
  })

  it('rejects a line with a quote inside an unquoted field', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-03-01,1"2\n`)

    expect(rejections).toEqual([{ line: 2, field: '(line)', reason: 'a quote inside an unquoted field' }])
  })

  it('rejects a quoted field that is still open at the end of the file', async () => {
    const { rejections } = await parseAll(`${HEADER}C1,2026-03-01,1\nC2,"2026-03-01,2\nC3,2026-03-01,3\n`)

    expect(rejections).toEqual([{ line: 3, field: '(line)', reason: 'a quoted field is never closed' }])
  })
})

describe('parseTransactions: problems with the whole file', () => {
  it('fails when the header lacks a required column, naming the file, the line and the column', async () => {
    const error = await parseError('customer_id,amount\nC1,1\n', { fileName: 'shop/march.csv' })

    expect(error).toBeInstanceOf(InvalidUploadError)
    expect(error).toMatchObject({ fileName: 'shop/march.csv', line: 1, field: 'transaction_date' })
    expect((error as Error).message).toBe('shop/march.csv line 1: the header has no transaction_date column')
  })

  it('names every missing column', async () => {
    const error = await parseError('customer,date,amount\nC1,2026-03-01,1\n')

    expect(error).toMatchObject({ field: 'customer_id, transaction_date' })
  })

  it('says so when the header is separated by semicolons', async () => {
    const error = await parseError('customer_id;transaction_date;amount\nC1;2026-03-01;1\n')

    expect(error).toMatchObject({
      reason:
        'the header has no customer_id, transaction_date, amount columns; the file must be separated by commas, not semicolons',
    })
  })

  it('fails when the header names a column twice', async () => {
    const error = await parseError('customer_id,transaction_date,amount,Amount\nC1,2026-03-01,1,2\n')

    expect(error).toMatchObject({ line: 1, field: 'amount', reason: 'the header names column amount twice' })
  })

  it('fails for a file name without a known extension', async () => {
    const error = await parseError(`${HEADER}C1,2026-03-01,1\n`, { fileName: 'march.xlsx' })

    expect(error).toBeInstanceOf(InvalidUploadError)
    expect(error).toMatchObject({ fileName: 'march.xlsx', field: '(file)' })
  })

  it('fails for an empty file', async () => {
    const error = await parseError('', { fileName: 'empty.csv' })

    expect(error).toMatchObject({ fileName: 'empty.csv', reason: 'the file is empty (no header row)' })
  })

  it('accepts a file with a header and no rows', async () => {
    const parsed = await parseAll(HEADER)

    expect(parsed).toEqual({ rows: [], lines: [], rejections: [], batches: 0 })
  })

  it('fails for text that is not UTF-8, naming the line', async () => {
    const latin1 = Buffer.from(`${HEADER}C1,2026-03-01,1\nCaf\u00e9,2026-03-01,1\n`, 'latin1')

    const error = await parseError(latin1)

    expect(error).toMatchObject({ line: 3, field: '(file)', reason: 'the file is not valid UTF-8 text' })
  })

  it('fails when a record grows past 1 MiB, as when a quote is never closed', async () => {
    const error = await parseError(`${HEADER}C1,"2026-03-01,1\n${'C2,2026-03-01,2\n'.repeat(70_000)}`)

    expect(error).toBeInstanceOf(InvalidUploadError)
    expect(error).toMatchObject({ line: 2, field: '(line)' })
  })

  it('rejects an unknown time zone before reading', async () => {
    await expect(parseAll(HEADER, { timeZone: 'Mars/Olympus' })).rejects.toThrow(RangeError)
  })
})

describe('parseTransactions: compressed files', () => {
  it('reads a gzip-compressed CSV', async () => {
    const { rows } = await parseAll(gzip(`${HEADER}C1,2026-03-01,1\n`), { fileName: 'march.csv.gz' })

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: 1 })])
  })

  it('recognises gzip by its content when the name says .csv', async () => {
    const { rows } = await parseAll(gzip(`${HEADER}C1,2026-03-01,1\n`), { fileName: 'march.csv' })

    expect(rows).toHaveLength(1)
  })

  it('reads an uncompressed file named .csv.gz', async () => {
    const { rows } = await parseAll(`${HEADER}C1,2026-03-01,1\n`, { fileName: 'march.csv.gz' })

    expect(rows).toHaveLength(1)
  })

  it('reads gzip delivered one byte at a time', async () => {
    const { rows } = await parseAll(chunked(gzip(`${HEADER}C1,2026-03-01,1\nC2,2026-03-01,2\n`), 1))

    expect(rows.map((row) => row.customerId)).toEqual(['C1', 'C2'])
  })

  it('fails for a truncated gzip file', async () => {
    const compressed = gzip(`${HEADER}${'C1,2026-03-01,1\n'.repeat(1000)}`)

    const error = await parseError(compressed.subarray(0, compressed.length - 20), { fileName: 'cut.csv.gz' })

    expect(error).toBeInstanceOf(InvalidUploadError)
    expect(error).toMatchObject({ fileName: 'cut.csv.gz', field: '(file)' })
    expect((error as Error).message).toMatch(/^cut\.csv\.gz: the file is not valid gzip/)
  })
})

describe('parseTransactions: input streams', () => {
  it('passes on a failure of the input stream unchanged', async () => {
    const broken = new Error('connection reset')
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzip(`${HEADER}C1,2026-03-01,1\n`).subarray(0, 10)
      throw broken
    }

    await expect(parseAll(failing(), { fileName: 'march.csv.gz' })).rejects.toBe(broken)
  })

  it('releases the input when the reader stops early', async () => {
    let released = false
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(`${HEADER}C1,2026-03-01,1\nC2,2026-03-01,2\n`, 8)
      } finally {
        released = true
      }
    }

    for await (const _ of parseTransactions(body(), { fileName: 'march.csv', batchSize: 1 })) break

    expect(released).toBe(true)
  })

  it('releases a gzip input when the reader stops early', async () => {
    let released = false
    const rows = Array.from({ length: 20_000 }, (_, i) => `C${i * 7919},2026-03-01,${i}\n`)
    const compressed = gzip(`${HEADER}${rows.join('')}`)
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(compressed, 100)
      } finally {
        released = true
      }
    }

    for await (const _ of parseTransactions(body(), { fileName: 'march.csv.gz', batchSize: 1 })) break

    expect(released).toBe(true)
  })
})

describe('parseTransactions: JSON lines', () => {
  it('reads one object per line, with amounts as numbers or decimal strings', async () => {
    const jsonl = [
      '{"customer_id":"C1","transaction_date":"2026-03-01","amount":12.5,"transaction_id":"T1","margin":"2"}',
      '',
      '{"customer_id":"C2","transaction_date":"2026-03-01T23:30:00-05:00","amount":"-3","extra":true}',
    ].join('\n')

    const { rows, lines } = await parseAll(jsonl, { fileName: 'march.jsonl' })

    expect(rows).toEqual([
      transaction({ customerId: 'C1', date: '2026-03-01', amount: 12.5, transactionId: 'T1', margin: 2 }),
      transaction({ customerId: 'C2', date: '2026-03-02', amount: -3 }),
    ])
    expect(lines).toEqual([1, 3])
  })

  it('reads gzip-compressed JSON lines', async () => {
    const jsonl = '{"customer_id":"C1","transaction_date":"2026-03-01","amount":1}\r\n'

    const { rows } = await parseAll(gzip(jsonl), { fileName: 'march.ndjson.gz' })

    expect(rows).toEqual([transaction({ customerId: 'C1', date: '2026-03-01', amount: 1 })])
  })

  it('reads integer ids as their decimal text', async () => {
    const jsonl = '{"customer_id":1042,"transaction_date":"2026-03-01","amount":1,"transaction_id":77}\n'

    const { rows } = await parseAll(jsonl, { fileName: 'march.jsonl' })

    expect(rows).toEqual([
      transaction({ customerId: '1042', date: '2026-03-01', amount: 1, transactionId: '77' }),
    ])
  })

  it('rejects a line that is not valid JSON and reads on', async () => {
    const jsonl = '{"customer_id":"C1",\n{"customer_id":"C2","transaction_date":"2026-03-01","amount":1}\n'

    const { rows, rejections } = await parseAll(jsonl, { fileName: 'march.jsonl' })

    expect(rows.map((row) => row.customerId)).toEqual(['C2'])
    expect(rejections).toMatchObject([{ line: 1, field: '(line)', value: '{"customer_id":"C1",' }])
    expect(rejections[0]?.reason).toMatch(/^the line is not valid JSON/)
  })

  it('rejects a line that holds JSON but not an object', async () => {
    const { rejections } = await parseAll('[1,2]\n', { fileName: 'march.jsonl' })

    expect(rejections).toEqual([
      { line: 1, field: '(line)', reason: 'the line is not a JSON object', value: '[1,2]' },
    ])
  })

  it('rejects values of the wrong type, each field separately', async () => {
    const jsonl = '{"customer_id":{"id":1},"transaction_date":20260301,"amount":true,"margin":[1]}\n'

    const { rejections } = await parseAll(jsonl, { fileName: 'march.jsonl' })

    expect(rejections).toEqual([
      { line: 1, field: 'customer_id', reason: `customer_id: '{"id":1}' is not a string`, value: '{"id":1}' },
      {
        line: 1,
        field: 'transaction_date',
        reason: "transaction_date: '20260301' is not a string",
        value: '20260301',
      },
      { line: 1, field: 'amount', reason: "amount: 'true' is not a number", value: 'true' },
      { line: 1, field: 'margin', reason: "margin: '[1]' is not a number", value: '[1]' },
    ])
  })

  it('rejects missing and null required fields', async () => {
    const { rejections } = await parseAll('{"customer_id":null,"amount":1}\n', { fileName: 'march.jsonl' })

    expect(rejections).toEqual([
      { line: 1, field: 'customer_id', reason: 'customer_id is missing' },
      { line: 1, field: 'transaction_date', reason: 'transaction_date is missing' },
    ])
  })

  it('fails for an empty file', async () => {
    const error = await parseError('\n\n', { fileName: 'march.jsonl' })

    expect(error).toMatchObject({ fileName: 'march.jsonl', field: '(file)', reason: 'the file is empty' })
  })
})

describe('parseTransactions: chunk boundaries', () => {
  const csv = [
    '\uFEFFcustomer_id,transaction_id,transaction_date,amount,margin',
    'C1,"multi\r\nline, ""quoted""",2026-03-01T23:30:00-05:00,12.50,1',
    '',
    'Zoë,t2,2026-03-02,-3,',
    '"C3","€ 5",2026-03-03,"7",',
    'C4,t4,2026-02-30,x,1',
    'C5,"bad"quote,2026-03-01,1,1',
    'C6,t6,2026-03-04,6,0.5',
  ].join('\r\n')
  const bytes = new TextEncoder().encode(csv)

  it('gives the same result for the file in one chunk and byte by byte', async () => {
    const whole = await parseAll(chunked(bytes))

    const byteByByte = await parseAll(chunked(bytes, 1))

    expect(byteByByte).toEqual(whole)
    expect(whole.lines).toEqual([2, 6, 9])
    expect(whole.rejections.map((r) => [r.line, r.field])).toEqual([
      [5, 'customer_id'],
      [7, 'transaction_date'],
      [7, 'amount'],
      [8, '(line)'],
    ])
  })

  it('gives the same result wherever the chunks are cut', async () => {
    const whole = await parseAll(chunked(bytes))
    const cuts = fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 })

    await fc.assert(
      fc.asyncProperty(cuts, async (offsets) => {
        expect(await parseAll(cutAt(bytes, offsets))).toEqual(whole)
      }),
    )
  })

  it('gives the same result for JSON lines byte by byte', async () => {
    const jsonl =
      '\uFEFF{"customer_id":"C1","transaction_id":"Zoë","transaction_date":"2026-03-01","amount":"1"}\r\n\r\n{"customer_id":"C2"}'

    const whole = await parseAll(jsonl, { fileName: 'a.jsonl' })
    const byteByByte = await parseAll(chunked(jsonl, 1), { fileName: 'a.jsonl' })

    expect(byteByByte).toEqual(whole)
    expect(whole.lines).toEqual([1])
    expect(whole.rejections.map((r) => [r.line, r.field])).toEqual([
      [3, 'transaction_date'],
      [3, 'amount'],
    ])
  })
})

describe('formatFromKey', () => {
  it.each([
    ['incoming/transactions/march.csv', 'csv'],
    ['march.CSV.GZ', 'csv'],
    ['a/b/march.jsonl', 'jsonl'],
    ['march.jsonl.gz', 'jsonl'],
    ['march.ndjson', 'jsonl'],
    ['march.ndjson.gz', 'jsonl'],
  ])('reads the format of %s as %s', (key, format) => {
    expect(formatFromKey(key)).toBe(format)
  })

  it.each(['march.xlsx', 'march.csv.zip', 'march', 'march.gz', 'csv'])('knows no format for %s', (key) => {
    expect(formatFromKey(key)).toBeUndefined()
  })
})
