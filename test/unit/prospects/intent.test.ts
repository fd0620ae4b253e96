import { describe, expect, it } from 'vitest'
import { auc } from '../../../shared/prospects/auc.ts'
import { DEFAULT_PROSPECT_CONFIG } from '../../../shared/prospects/config.ts'
import { intentOf } from '../../../shared/prospects/intent.ts'

const config = {
  ...DEFAULT_PROSPECT_CONFIG.intent,
  weights: { visit: 0.1, inquiry: 0.3, quoteRequested: 1, meetingHeld: 0.8 },
  halfLifeDays: 30,
}
const AS_OF = '2026-06-30'

describe('intent with recency decay', () => {
  it('is 0 without any signal', () => {
    expect(intentOf({}, AS_OF, config).intent).toBe(0)
  })

  it('halves a dated signal per half-life', () => {
    // weight 1 x 0.5^(30/30) = 0.5 -> 1 - e^-0.5; 60 days: 0.25 -> 1 - e^-0.25
    const at = (lastContactDate: string) => intentOf({ quoteRequested: true, lastContactDate }, AS_OF, config)
    expect(at('2026-06-30').intent).toBeCloseTo(1 - Math.exp(-1), 12)
    expect(at('2026-05-31').intent).toBeCloseTo(1 - Math.exp(-0.5), 12)
    expect(at('2026-05-01').intent).toBeCloseTo(1 - Math.exp(-0.25), 12)
    expect(at('2026-05-31').daysSinceContact).toBe(30)
    // A contact after the as-of day counts as today.
    expect(at('2026-07-05').intent).toBeCloseTo(1 - Math.exp(-1), 12)
  })

  it('takes an undated quote or meeting at 90 days', () => {
    const result = intentOf({ quoteRequested: true, meetingHeld: true }, AS_OF, config)
    expect(result.intent).toBeCloseTo(1 - Math.exp(-(1 + 0.8) * 0.125), 12)
    expect(result.daysSinceContact).toBeNull()
  })

  it('takes windowed counts at the middle of their window', () => {
    // visits: 2 in 30 days at 15 days, 3 more in days 31-90 at 60 days
    const a = 0.1 * (2 * 0.5 ** 0.5 + 3 * 0.25) + 0.3 * (1 * 0.5 ** 0.5)
    expect(intentOf({ visits30d: 2, visits90d: 5, inquiries30d: 1 }, AS_OF, config).intent).toBeCloseTo(
      1 - Math.exp(-a),
      12,
    )
  })

  it('rises with more and with newer signals and stays below 1', () => {
    const older = intentOf(
      { inquiries30d: 2, lastContactDate: '2026-04-01', meetingHeld: true },
      AS_OF,
      config,
    )
    const newer = intentOf(
      { inquiries30d: 2, lastContactDate: '2026-06-20', meetingHeld: true },
      AS_OF,
      config,
    )
    const more = intentOf(
      { inquiries30d: 9, lastContactDate: '2026-06-20', meetingHeld: true },
      AS_OF,
      config,
    )
    expect(newer.intent).toBeGreaterThan(older.intent)
    expect(more.intent).toBeGreaterThan(newer.intent)
    expect(intentOf({ visits30d: 10_000 }, AS_OF, config).intent).toBeLessThanOrEqual(1)
  })
})

describe('AUC of intent against conversions', () => {
  it('matches a hand count of ranked pairs, ties counting half', () => {
    // 3 converters x 4 others = 12 pairs: 0.9 wins 4; 0.6 wins 3; 0.4 ties one and wins 2 -> 9.5 / 12
    const items = [
      { score: 0.9, positive: true },
      { score: 0.6, positive: true },
      { score: 0.4, positive: true },
      { score: 0.8, positive: false },
      { score: 0.4, positive: false },
      { score: 0.2, positive: false },
      { score: 0.1, positive: false },
    ]
    expect(auc(items)).toBeCloseTo(9.5 / 12, 12)
    expect(auc([...items].reverse())).toBeCloseTo(9.5 / 12, 12)
  })

  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties', () => {
    expect(
      auc([
        { score: 2, positive: true },
        { score: 1, positive: false },
      ]),
    ).toBe(1)
    expect(
      auc([
        { score: 1, positive: true },
        { score: 2, positive: false },
      ]),
    ).toBe(0)
    expect(
      auc([
        { score: 1, positive: true },
        { score: 1, positive: false },
      ]),
    ).toBe(0.5)
  })

  it('is null without converters or without others', () => {
    expect(auc([{ score: 1, positive: false }])).toBeNull()
    expect(auc([{ score: 1, positive: true }])).toBeNull()
    expect(auc([])).toBeNull()
  })
})
