import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ColumnSummariser,
  type CustomerSummary,
  type SummaryOptions,
  type SummaryRow,
  summariseCustomer,
} from '../../../shared/scoring/summary.ts'

const START = Date.UTC(2025, 0, 1)
const dateAt = (offset: number) => new Date(START + offset * 86_400_000).toISOString().slice(0, 10)

/** Whole cents (the usual), arbitrary doubles, zero and -0, refunds. */
const amount = fc.oneof(
  fc.integer({ min: -5_000, max: 20_000 }).map((c) => c / 100),
  fc.double({ min: -1e4, max: 1e4, noNaN: true }),
  fc.constantFrom(0, -0),
)

/** A few days, so that rows share days; some after the as-of date; margins on some rows. */
const row = (days: number) =>
  fc.record(
    {
      date: fc.integer({ min: 0, max: days }).map(dateAt),
      amount,
      margin: fc.oneof(
        fc.integer({ min: -100, max: 5000 }).map((c) => c / 100),
        fc.constant(-0),
      ),
    },
    { requiredKeys: ['date', 'amount'] },
  )

const options = fc.record({
  asOf: fc.integer({ min: 0, max: 60 }).map(dateAt),
  unit: fc.constantFrom('days' as const, 'weeks' as const),
  marginRate: fc.constantFrom(1, 0.3, 0.25, 0),
})

/** The rows as columns, with unrelated rows around them, as a store holds many customers. */
function columnsOf(rows: readonly SummaryRow[], before: number) {
  const dates = [...new Set(rows.map((r) => r.date)), '2030-01-01']
  const n = before + rows.length + 2
  const date = new Int32Array(n).fill(dates.length - 1)
  const amounts = new Float64Array(n).fill(99)
  const margins = new Float64Array(n).fill(7)
  rows.forEach((r, k) => {
    date[before + k] = dates.indexOf(r.date)
    amounts[before + k] = r.amount
    margins[before + k] = r.margin ?? Number.NaN
  })
  return { dates, date, amount: amounts, margin: margins }
}

function columnSummary(customerId: string, rows: readonly SummaryRow[], opts: SummaryOptions, before = 3) {
  const summariser = new ColumnSummariser(opts)
  const { dates, ...columns } = columnsOf(rows, before)
  const dayOf = dates.map((d) => summariser.dayOf(d))
  if (!summariser.summarise(columns, dayOf, before, before + rows.length)) return undefined
  const s = summariser.result
  const summary: CustomerSummary = {
    customerId,
    firstPurchase: dates[columns.date[s.firstRow] as number] as string,
    lastPurchase: dates[columns.date[s.lastRow] as number] as string,
    occasions: s.occasions,
    x: s.x,
    tx: s.tx,
    T: s.T,
    zbar: s.zbar,
    totalSpend: s.totalSpend,
    averageSpend: s.averageSpend,
    totalMargin: s.totalMargin,
    recencyDays: s.recencyDays,
    ignoredRefunds: s.ignoredRefunds,
  }
  return summary
}

/** Every figure, -0 and all: the columnar path must give the same bits, not just close values. */
const exactly = (summary: CustomerSummary | undefined) =>
  summary === undefined
    ? undefined
    : Object.entries(summary).map(([key, value]) => [key, Object.is(value, -0) ? '-0' : String(value)])

describe('the columnar summariser', () => {
  it('gives exactly the summary of summariseCustomer, whatever the rows and their order', () => {
    fc.assert(
      fc.property(fc.array(row(40), { maxLength: 40 }), options, (rows, opts) => {
        expect(exactly(columnSummary('c1', rows, opts))).toEqual(exactly(summariseCustomer('c1', rows, opts)))
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees on long histories, which it sorts another way', () => {
    fc.assert(
      fc.property(fc.array(row(400), { minLength: 33, maxLength: 300 }), options, (rows, opts) => {
        const wide = { ...opts, asOf: '2026-06-30' }
        expect(exactly(columnSummary('c1', rows, wide))).toEqual(exactly(summariseCustomer('c1', rows, wide)))
      }),
      { numRuns: 200 },
    )
  })

  it('agrees on long histories in date order with the rows of each day in any order', () => {
    fc.assert(
      fc.property(fc.array(row(60), { minLength: 33, maxLength: 300 }), options, (rows, opts) => {
        const byDate = [...rows].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
        const wide = { ...opts, asOf: '2026-06-30' }
        expect(exactly(columnSummary('c1', byDate, wide))).toEqual(
          exactly(summariseCustomer('c1', byDate, wide)),
        )
      }),
      { numRuns: 200 },
    )
  })

  it('finds no summary without an occasion by the as-of date, and reuses its scratch space', () => {
    const opts: SummaryOptions = { asOf: '2025-01-10', unit: 'days', marginRate: 1 }
    expect(columnSummary('c1', [{ date: dateAt(20), amount: 5 }], opts)).toBeUndefined()
    expect(columnSummary('c1', [{ date: dateAt(1), amount: -5 }], opts)).toBeUndefined()
    const summariser = new ColumnSummariser(opts)
    const many = columnsOf(
      Array.from({ length: 500 }, (_, k) => ({ date: dateAt(k % 9), amount: (k * 37) % 11 })),
      0,
    )
    const dayOf = many.dates.map((d) => summariser.dayOf(d))
    expect(summariser.summarise(many, dayOf, 0, 500)).toBe(true)
    expect(summariser.result.occasions).toBe(9)
    expect(summariser.summarise(many, dayOf, 0, 3)).toBe(true)
    expect(summariser.result.occasions).toBe(3)
  })
})
