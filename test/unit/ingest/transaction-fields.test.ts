import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  CUSTOMER_ID_PATTERN,
  CustomerIdSchema,
  type Transaction,
  TransactionSchema,
} from '../../../shared/domain/transaction.ts'
import { businessDayResolver } from '../../../shared/ingest/business-day.ts'
import {
  isCustomerId,
  parseDecimal,
  RowChecker,
  type RowRejection,
} from '../../../shared/ingest/transaction-fields.ts'

/**
 * The column checker is hand-written for speed. These properties prove that it accepts exactly the rows a
 * zod reference of the upload contract accepts, produces the same values, and that every row it accepts
 * satisfies TransactionSchema.
 */

const ZONE = 'America/New_York'
const resolveDay = businessDayResolver(ZONE)
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/

/** Surrounding spaces and tabs do not count. */
const text = z.string().transform((value) => value.replace(/^[ \t]+|[ \t]+$/g, ''))
const decimalText = z.string().regex(DECIMAL).transform(Number).pipe(z.number().finite())
const requiredText = text.pipe(z.string().min(1))
/** An optional cell that is empty after trimming is absent. */
const optionalText = text.transform((value) => (value === '' ? undefined : value))
const absent = z.union([z.null(), z.undefined()]).transform(() => undefined)

const dateText = requiredText
  .transform((value) => (value.charAt(10) === ' ' ? `${value.slice(0, 10)}T${value.slice(11)}` : value))
  .pipe(z.union([z.iso.date(), z.iso.datetime({ offset: true, local: true })]))
  .transform(referenceDay)

/** The upload contract for CSV cells, in zod. */
const ReferenceCsvRow = z.object({
  customer_id: requiredText.pipe(CustomerIdSchema),
  transaction_date: dateText,
  amount: requiredText.pipe(decimalText),
  transaction_id: optionalText.pipe(z.string().max(256).optional()),
  margin: optionalText.pipe(decimalText.optional()),
})

/** The upload contract for JSON lines, in zod. */
const integerId = z.number().int().refine(Number.isSafeInteger).transform(String)
const jsonNumber = z.union([z.number().finite(), requiredText.pipe(decimalText)])
const ReferenceJsonRow = z.object({
  customer_id: z.union([requiredText, integerId]).pipe(CustomerIdSchema),
  transaction_date: z.string().pipe(dateText),
  amount: jsonNumber,
  transaction_id: z.union([absent, optionalText.pipe(z.string().max(256).optional()), integerId]),
  margin: z.union([absent, z.number().finite(), optionalText.pipe(decimalText.optional())]),
})

/** The date part, or for a date-time with an offset the day Intl places the instant on in the zone. */
function referenceDay(value: string): string {
  if (!/(Z|[+-]\d\d:\d\d)$/.test(value)) return value.slice(0, 10)
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(value))
}

type Outcome = { accepted: Transaction } | { rejected: string[] }

class Collect {
  outcome: Outcome | undefined
  rejectedFields: string[] = []
  accept(row: Transaction): void {
    this.outcome = { accepted: row }
  }
  reject(rejection: RowRejection): void {
    this.rejectedFields.push(rejection.field)
    this.outcome = { rejected: [...this.rejectedFields].sort() }
  }
}

function checkCells(cells: readonly string[]): Outcome | undefined {
  const sink = new Collect()
  const checker = new RowChecker(resolveDay, sink)
  // The cells sit between other text, as ranges of a decoded chunk do.
  let source = '#'
  const starts = new Int32Array(cells.length)
  const ends = new Int32Array(cells.length)
  cells.forEach((cell, i) => {
    starts[i] = source.length
    source += cell
    ends[i] = source.length
    source += '9'
  })
  checker.checkRecord(1, source, starts, ends, {
    customerId: 0,
    date: 1,
    amount: 2,
    transactionId: 3,
    margin: 4,
  })
  return sink.outcome
}

function checkObject(object: Record<string, unknown>): Outcome | undefined {
  const sink = new Collect()
  new RowChecker(resolveDay, sink).checkObject(1, object)
  return sink.outcome
}

function referenceOutcome(schema: z.ZodType<Record<string, unknown>>, raw: unknown): Outcome {
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    return { rejected: [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))].sort() }
  }
  const row = parsed.data
  return {
    accepted: {
      customerId: row.customer_id as string,
      date: row.transaction_date as string,
      amount: row.amount as number,
      transactionId: row.transaction_id as string | undefined,
      margin: row.margin as number | undefined,
    },
  }
}

const padded = (value: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.constantFrom('', ' ', '\t', '  '), value, fc.constantFrom('', ' ', '\t'))
    .map(([before, core, after]) => `${before}${core}${after}`)

const ID_CHARACTERS = [...'ABCXYZabcxyz0189._:@-']
const customerIds = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,20}$/), weight: 6 },
  fc.string({ unit: fc.constantFrom(...ID_CHARACTERS), minLength: 126, maxLength: 130 }),
  fc.stringMatching(/^[A-Za-z0-9._:@ \-/#é]{0,8}$/),
  fc.string({ maxLength: 10 }),
)
const two = (n: number) => String(n).padStart(2, '0')
const instants = fc
  .integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms))
/** Date-times near and beyond the limits of every part. Years stay within those Intl formats as YYYY-MM-DD. */
const dateTimes = fc
  .record({
    year: fc.integer({ min: 1900, max: 2099 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    separator: fc.constantFrom('T', ' ', 't', '_'),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.option(fc.integer({ min: 0, max: 61 })),
    fraction: fc.option(fc.stringMatching(/^\d{0,10}$/)),
    zone: fc.constantFrom(
      '',
      'Z',
      'z',
      '+05:30',
      '-04:00',
      '+14:00',
      '+23:59',
      '+24:00',
      '-00:60',
      '-0400',
      '+05',
    ),
  })
  .map(({ year, month, day, separator, hour, minute, second, fraction, zone }) => {
    const seconds = second === null ? '' : `:${two(second)}${fraction === null ? '' : `.${fraction}`}`
    return `${year}-${two(month)}-${two(day)}${separator}${two(hour)}:${two(minute)}${seconds}${zone}`
  })
const dates = fc.oneof(
  fc.stringMatching(/^\d{4}-[01]\d-[0-3]\d$/),
  { arbitrary: instants.map((d) => d.toISOString().slice(0, 10)), weight: 2 },
  { arbitrary: instants.map((d) => d.toISOString()), weight: 2 },
  { arbitrary: dateTimes, weight: 4 },
  fc.string({ maxLength: 12 }),
)
const decimals = fc.oneof(
  { arbitrary: fc.stringMatching(/^[+-]?\d{0,25}(\.\d{0,25})?$/), weight: 6 },
  fc.double().map(String),
  fc.constantFrom(
    '',
    '12,50',
    '1,000.00',
    '$5',
    '1e3',
    '.',
    '-',
    '+.5',
    '7.',
    '9'.repeat(400),
    'Infinity',
    'NaN',
  ),
  fc.string({ maxLength: 6 }),
)
const transactionIds = fc.oneof(
  { arbitrary: fc.string({ maxLength: 8 }), weight: 4 },
  fc.string({ minLength: 250, maxLength: 260 }),
)

describe('the column checker', () => {
  it('accepts exactly the CSV rows the zod reference accepts, with the same values', () => {
    const rows = fc.tuple(
      padded(customerIds),
      padded(dates),
      padded(decimals),
      padded(transactionIds),
      fc.oneof(padded(decimals), fc.constant('')),
    )

    fc.assert(
      fc.property(rows, ([customerId, date, amount, transactionId, margin]) => {
        const reference = referenceOutcome(ReferenceCsvRow, {
          customer_id: customerId,
          transaction_date: date,
          amount,
          transaction_id: transactionId,
          margin,
        })

        expect(checkCells([customerId, date, amount, transactionId, margin])).toEqual(reference)
      }),
      { numRuns: 2000 },
    )
  })

  it('accepts exactly the JSON rows the zod reference accepts, with the same values', () => {
    const values = (strings: fc.Arbitrary<string>) =>
      fc.oneof(
        { arbitrary: strings, weight: 20 },
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.object(),
      )
    const rows = fc.record({
      customer_id: values(customerIds),
      transaction_date: values(dates),
      amount: values(decimals),
      transaction_id: values(transactionIds),
      margin: values(decimals),
    })

    fc.assert(
      fc.property(rows, (row) => {
        expect(checkObject(row)).toEqual(referenceOutcome(ReferenceJsonRow, row))
      }),
      { numRuns: 2000 },
    )
  })

  it('only ever accepts rows that satisfy TransactionSchema', () => {
    const rows = fc.tuple(customerIds, dates, decimals, transactionIds, decimals)

    fc.assert(
      fc.property(rows, (cells) => {
        const outcome = checkCells(cells)
        if (outcome && 'accepted' in outcome)
          expect(TransactionSchema.parse(outcome.accepted)).toEqual(outcome.accepted)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('isCustomerId', () => {
  it('agrees with CUSTOMER_ID_PATTERN', () => {
    const ids = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,130}$/),
      fc.stringMatching(/^[\w.:@\- é/]{0,4}$/),
      fc.string(),
    )

    fc.assert(
      fc.property(ids, (id) => {
        expect(isCustomerId(id)).toBe(CUSTOMER_ID_PATTERN.test(id))
      }),
      { numRuns: 5000 },
    )
  })
})

describe('parseDecimal', () => {
  it('equals Number for every plain decimal', () => {
    const texts = fc.oneof(
      fc.stringMatching(/^[+-]?\d{1,30}(\.\d{0,30})?$/),
      fc.double({ min: -1e20, max: 1e20, noNaN: true }).map((n) => n.toFixed(Math.floor(Math.abs(n) % 20))),
    )

    fc.assert(
      fc.property(texts, (value) => {
        expect(Object.is(parseDecimal(value), Number(value))).toBe(true)
      }),
      { numRuns: 5000 },
    )
  })

  it('is NaN for anything that is not a plain decimal', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(Number.isNaN(parseDecimal(value))).toBe(!DECIMAL.test(value))
      }),
      { numRuns: 5000 },
    )
  })

  it.each(['1e3', '0x10', '1_000', ' 1', 'Infinity', '', '.', '+'])('refuses %j', (value) => {
    expect(parseDecimal(value)).toBeNaN()
  })
})

describe('customer id messages', () => {
  it('reuse the message of CustomerIdSchema', () => {
    const message = CustomerIdSchema.safeParse('a b').error?.issues[0]?.message

    expect(message).toMatch(/^must be/)
  })
})
