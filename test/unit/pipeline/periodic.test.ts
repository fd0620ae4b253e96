import { describe, expect, it } from 'vitest'
import { periodicSpend } from '../../../shared/pipeline/periodic.ts'

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
