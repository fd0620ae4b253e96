import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ParseTransactionsOptions,
  parseTransactions,
  type RowRejection,
  readTransactions,
} from '../../../shared/ingest/parse-transactions.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'
import { storeContents } from '../pipeline/store-contents.ts'
import { cutAt } from './uploads.ts'

/** What the careful path alone gives: every batch of parseTransactions added to a store. */
async function careful(bytes: Uint8Array, cuts: readonly number[], options: ParseTransactionsOptions) {
  const store = new RowStore()
  const rejections: RowRejection[] = []
  try {
    for await (const batch of parseTransactions(cutAt(bytes, cuts), options)) {
      store.addAll(batch.rows)
      rejections.push(...batch.rejections)
    }
  } catch (error) {
    return { error: String(error) }
  }
  return storeContents(store, rejections)
}

/** The pieces of `cutAt`, each copied into the same buffer, which readTransactions allows. */
async function* oneBuffer(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer = Buffer.alloc(0)
  for await (const piece of pieces) {
    if (piece.length > buffer.length) buffer = Buffer.alloc(piece.length)
    buffer.set(piece)
    yield buffer.subarray(0, piece.length)
    buffer.fill(0x2c)
  }
}

/** What readTransactions gives, with how many rows took the fast path. */
async function fast(bytes: Uint8Array, cuts: readonly number[], options: ParseTransactionsOptions) {
  const store = new RowStore()
  const rejections: RowRejection[] = []
  let plainRows = 0
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b
  try {
    await readTransactions(gzipped ? cutAt(bytes, cuts) : oneBuffer(cutAt(bytes, cuts)), options, {
      add: (row) => store.add(row),
      addPlainRows: (rows) => {
        plainRows += rows.count
        store.addPlainRows(rows)
      },
      reject: (rejection) => rejections.push(rejection),
    })
  } catch (error) {
    return { result: { error: String(error) }, plainRows }
  }
  return { result: storeContents(store, rejections), plainRows }
}

const encode = (text: string) => new TextEncoder().encode(text)
const options: ParseTransactionsOptions = { fileName: 'rows.csv', timeZone: 'Europe/Berlin' }

/** Values of each column: mostly plain ones, and every kind the fast path must leave alone. */
const customerIds = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('C1', 'C2', 'c-3', 'a.b_c:d@e', 'C0000001', 'x') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('a-customer-id-longer-than-eleven', 'a-customer-id-longer-than-elevem'),
  },
  fc.constantFrom('', ' C1', 'C1 ', '-C1', 'C 1', 'é1', '"C1"', '"C,1"', 'x'.repeat(129), '"C\n1"', 'C\t'),
)
const dates = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('2024-01-31', '2024-02-29', '2025-12-31', '1899-12-31', '0001-01-01'),
  },
  fc.constantFrom(
    '',
    '2023-02-29',
    '2024-13-01',
    '2024-1-01',
    ' 2024-01-01',
    '2024-01-01T23:30:00Z',
    '2024-01-01T00:30:00+02:00',
    '2024-01-01 10:00',
    '"2024-01-01"',
    '2024/01/01',
  ),
)
const decimals = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('12.50', '-3', '0', '-0', '+7.25', '.5', '7.', '999999999999999') },
  { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String) },
  fc.constantFrom(
    '',
    '1e5',
    '1,5',
    ' 1',
    '1 ',
    '-',
    '.',
    'abc',
    '1234567890123456',
    '0.1234567890123456789012345',
    '"12.5"',
    '١٢',
  ),
)
const transactionIds = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('t1', 't2', 't3', 'T-1', '') },
  fc.constantFrom(' t1', 't1 ', '"t,1"', 'é', 'x'.repeat(257), 't\r1'),
)
const others = fc.constantFrom('', 'note', 'ä', '"a ""b"""', '"multi\nline"', 'semi;colon')

type Column = 'customer_id' | 'transaction_date' | 'amount' | 'transaction_id' | 'margin' | 'note'
const values: Record<Column, fc.Arbitrary<string>> = {
  customer_id: customerIds,
  transaction_date: dates,
  amount: decimals,
  transaction_id: transactionIds,
  margin: decimals,
  note: others,
}

/** Files whose header has the columns `columns` gives, and lines of their values or broken ones. */
const filesOf = (columns: fc.Arbitrary<Column[]>) =>
  fc
    .record({ columns, crlf: fc.boolean(), finalBreak: fc.boolean() })
    .chain(({ columns, crlf, finalBreak }) => {
      const line = fc.oneof(
        {
          weight: 12,
          arbitrary: fc.tuple(...columns.map((c) => values[c])).map((fields) => fields.join(',')),
        },
        fc.constantFrom(
          '',
          '   ',
          'C1,2024-01-01',
          'C1,2024-01-01,1,2,3,4,5,6',
          '"unclosed,2024-01-01,1',
          'C1,2024-01-01;5',
          'C1;2024-01-01,5',
          'C1,2024-01-015',
        ),
      )
      return fc.record({
        text: fc
          .array(line, { maxLength: 40 })
          .map(
            (lines) => `${[columns.join(','), ...lines].join(crlf ? '\r\n' : '\n')}${finalBreak ? '\n' : ''}`,
          ),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      })
    })

const files = filesOf(
  fc.subarray(['transaction_id', 'margin', 'note'] as Column[]).chain((optional) =>
    fc.shuffledSubarray(['customer_id', 'transaction_date', 'amount', ...optional] as Column[], {
      minLength: 3 + optional.length,
    }),
  ),
)
/** The common layout, which the fast path reads without a loop over the fields. */
const threeColumnFiles = filesOf(fc.constant<Column[]>(['customer_id', 'transaction_date', 'amount']))

describe('the fast path of plain CSV lines', () => {
  it('gives the same rows, customers, dropped repeats, rejections and errors as the careful path', async () => {
    await fc.assert(
      fc.asyncProperty(files, async ({ text, cuts }) => {
        const bytes = encode(text)
        const at = cuts.map((cut) => cut % (bytes.length + 1))
        const expected = await careful(bytes, at, options)
        expect((await fast(bytes, at, options)).result).toEqual(expected)
      }),
      { numRuns: 400 },
    )
  })

  it('gives the same as the careful path for files of exactly customer_id, transaction_date, amount', async () => {
    await fc.assert(
      fc.asyncProperty(threeColumnFiles, async ({ text, cuts }) => {
        const bytes = encode(text)
        const at = cuts.map((cut) => cut % (bytes.length + 1))
        expect((await fast(bytes, at, options)).result).toEqual(await careful(bytes, at, options))
      }),
      { numRuns: 300 },
    )
    const lines = ['customer_id,transaction_date,amount']
    for (let i = 0; i < 2000; i++)
      lines.push(`C${i % 50},2024-05-${String(1 + (i % 28)).padStart(2, '0')},${i / 8}`)
    const plain = encode(`${lines.join('\r\n')}\r\n`)
    const { result, plainRows } = await fast(plain, [777, 4000], options)
    expect(plainRows).toBe(2000)
    expect(result).toEqual(await careful(plain, [777, 4000], options))
  })

  it('reads every plain line itself, and leaves the others to the careful path', async () => {
    const lines = ['customer_id,transaction_date,amount,transaction_id']
    for (let i = 0; i < 3000; i++)
      lines.push(`C${i % 100},2024-03-${String(1 + (i % 28)).padStart(2, '0')},${i / 4},t${i}`)
    const plain = `${lines.join('\n')}\n`
    const { result, plainRows } = await fast(encode(plain), [1000, 5000, 5001], options)
    expect(plainRows).toBe(3000)
    expect(result).toEqual(await careful(encode(plain), [], options))

    const odd = `${plain}C1,2024-03-01T10:00:00Z,5,u1\n"C2",2024-03-01,5,u2\nC3,2024-03-01, 5,u3\nC4,2024-03-01,5\n`
    const mixed = await fast(encode(odd), [], options)
    expect(mixed.plainRows).toBe(3000)
    expect(mixed.result).toEqual(await careful(encode(odd), [], options))
    expect(mixed.result).toMatchObject({ rows: 3003, rejections: [{ line: 3005, field: '(line)' }] })
  })

  it('hands a line longer than it carries between pieces to the careful path, and reads on after it', async () => {
    const text = [
      'customer_id,note,transaction_date,amount',
      'C1,a,2024-01-01,5',
      `C2,${'n'.repeat(200_000)},2024-01-02,6`,
      `C3,"${'q\n'.repeat(50_000)}",2024-01-03,7`,
      'C4,b,2024-01-04,8',
      'C5,c,2024-01-0x,9',
      'C6,d,2024-01-06,10',
    ].join('\n')
    const bytes = encode(`${text}\n`)
    const cuts = Array.from({ length: 60 }, (_, i) => 5_000 * (i + 1))
    const expected = await careful(bytes, cuts, options)
    expect(expected).toMatchObject({ rows: 5, rejections: [{ line: 50_006, field: 'transaction_date' }] })
    const { result, plainRows } = await fast(bytes, cuts, options)
    expect(result).toEqual(expected)
    expect(plainRows).toBe(3)
  })

  it('names the line of bytes that are not UTF-8 after plain lines, as the careful path does', async () => {
    const head = encode('customer_id,transaction_date,amount\nC1,2024-01-01,5\nC2,2024-01-02,6\nC3,2024-01-0')
    const bytes = new Uint8Array([...head, 0xff, ...encode('3,7\n')])
    const expected = await careful(bytes, [], options)
    expect(expected).toEqual({
      error: expect.stringContaining('rows.csv line 4: the file is not valid UTF-8'),
    })
    expect((await fast(bytes, [], options)).result).toEqual(expected)
  })

  it('reads a header with a byte-order mark and a gzipped file', async () => {
    const text = '\uFEFFCustomer_ID,Amount,Transaction_Date\r\nC1,5,2024-01-01\r\nC2,6,2024-01-02\r\n'
    const { gzipSync } = await import('node:zlib')
    for (const bytes of [encode(text), new Uint8Array(gzipSync(encode(text)))]) {
      const { result, plainRows } = await fast(bytes, [7], options)
      expect(plainRows).toBe(2)
      expect(result).toEqual(await careful(bytes, [7], options))
    }
  })
})
