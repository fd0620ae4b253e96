import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PeriodicWindow, periodicSpend } from '../../../shared/pipeline/periodic.ts'
import type { StoredRow } from '../../../shared/pipeline/row-store.ts'

describe('periodic spend series', () => {
  it('sums spend per calendar month and quarter over the lookback window ending with the as-of month', () => {
    const rows = [
      { date: '2025-11-30', amount: 99 }, // before the 12-month window
      { date: '2025-12-01', amount: 10 },
      { date: '2026-02-15', amount: 5 },
      { date: '2026-02-20', amount: -2 },
      { date: '2026-11-23', amount: 7 },
      { date: '2026-11-24', amount: 50 }, // after the as-of day
    ]
    const spend = periodicSpend(rows, '2026-11-23', 12, 0.5)
    expect(spend.monthly).toEqual([10, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 7])
    expect(spend.quarterly).toEqual([10, 3, 0, 0, 7])
    expect(spend.contribution).toBe(10)
  })

  it('uses a row margin where given instead of the margin rate', () => {
    const spend = periodicSpend([{ date: '2026-11-01', amount: 100, margin: 12 }], '2026-11-23', 12, 0.5)
    expect(spend.contribution).toBe(12)
  })
})

describe('periodic spend over columns', () => {
  const START = Date.UTC(2023, 0, 1)
  const dateAt = (offset: number) => new Date(START + offset * 86_400_000).toISOString().slice(0, 10)
  const row = fc.record(
    {
      date: fc.integer({ min: 0, max: 1200 }).map(dateAt),
      amount: fc.oneof(
        fc.integer({ min: -5_000, max: 20_000 }).map((c) => c / 100),
        fc.double({ noNaN: true, min: -1e5, max: 1e5 }),
      ),
      margin: fc.integer({ min: -100, max: 5000 }).map((c) => c / 100),
    },
    { requiredKeys: ['date', 'amount'] },
  )

  it('gives exactly the figures of periodicSpend, for any window and rows around the customer', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 60 }),
        fc.integer({ min: 0, max: 1300 }).map(dateAt),
        fc.integer({ min: 3, max: 40 }),
        fc.constantFrom(1, 0.3, 0),
        (rows: StoredRow[], asOf, lookback, marginRate) => {
          const dates = ['2019-05-05', ...new Set(rows.map((r) => r.date))]
          const n = rows.length + 2
          const columns = {
            dates,
            date: new Int32Array(n),
            amount: new Float64Array(n).fill(123),
            margin: new Float64Array(n).fill(Number.NaN),
          }
          rows.forEach((r, k) => {
            columns.date[k + 1] = dates.indexOf(r.date)
            columns.amount[k + 1] = r.amount
            columns.margin[k + 1] = r.margin ?? Number.NaN
          })
          const window = new PeriodicWindow(asOf, lookback, marginRate)
          const expected = periodicSpend(rows, asOf, lookback, marginRate)
          expect(window.spend(columns, 1, n - 1)).toEqual(expected)
          expect(Object.is(window.contribution(columns, 1, n - 1), expected.contribution)).toBe(true)
          expect(window.spend({ ...columns, margin: undefined }, 1, n - 1)).toEqual(
            periodicSpend(
              rows.map(({ date, amount }) => ({ date, amount })),
              asOf,
              lookback,
              marginRate,
            ),
          )
        },
      ),
      { numRuns: 500 },
    )
  })
})
