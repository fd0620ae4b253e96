import { daysBetween } from '../domain/dates.ts'
import type { ScoreRecord } from '../domain/score-record.ts'

/**
 * Whether a customer's stored record must be rewritten. Figures that move every day for everyone
 * (recency, T, P(alive) of a quiet customer) would otherwise rewrite every item every night; a record
 * is rewritten only when something a reader acts on changed:
 * - any label: tier, RFM score or segment, quadrant, clear-out check, pattern, decision, model version;
 * - any purchase fact: first or last purchase, frequency, total spend;
 * - P(alive) by 0.01 or more; expected purchases, expected spend, CLV or net value by 1% or more
 *   (and at least 0.01 in absolute terms);
 * - or the stored record describes a day 7 or more days before this one, so recency and T are never
 *   more than a week old.
 */
export const DELTA_TOLERANCE = { pAlive: 0.01, relative: 0.01, absolute: 0.01, maxAgeDays: 7 } as const

const LABELS = [
  'tier',
  'rfmScore',
  'rfmSegment',
  'quadrant',
  'clearOutRecommended',
  'pattern',
  'decision',
  'modelVersion',
  'firstPurchase',
  'lastPurchase',
  'frequency',
  'totalSpend',
] as const satisfies readonly (keyof ScoreRecord)[]

const MONEY = [
  'expectedPurchases',
  'expectedSpend',
  'clv',
  'netValue',
] as const satisfies readonly (keyof ScoreRecord)[]

export function needsWrite(previous: ScoreRecord | undefined, next: ScoreRecord): boolean {
  if (!previous) return true
  if (daysBetween(previous.asOf, next.asOf) >= DELTA_TOLERANCE.maxAgeDays) return true
  for (const field of LABELS) if (previous[field] !== next[field]) return true
  if (Math.abs(previous.pAlive - next.pAlive) >= DELTA_TOLERANCE.pAlive) return true
  for (const field of MONEY) {
    const before = previous[field]
    const after = next[field]
    const change = Math.abs(after - before)
    if (change >= DELTA_TOLERANCE.absolute && change >= DELTA_TOLERANCE.relative * Math.abs(before))
      return true
  }
  return false
}
