/**
 * Purchase intent: a 0-1 score from a prospect's engagement signals, newer signals counting more.
 *
 * - Decay: a signal t days old counts `0.5 ^ (t / halfLifeDays)`.
 * - Windowed counts carry no dates, so each window's signals are taken at its middle: visits and
 *   inquiries of the last 30 days at 15 days, those of days 31-90 (the 90-day count minus the
 *   30-day count) at 60 days.
 * - A requested quote and a held meeting are taken at the last contact date; without one, at the end
 *   of the 90-day window (90 days), which errs towards not overrating stale prospects. A contact
 *   date after the as-of day counts as today.
 * - Activity `a = sum(weight x count x decay)`; `intent = 1 - e^(-a)`, so no signal is 0, one
 *   fresh quote request (weight 1) is 0.63, and intent approaches 1 as signals add up.
 */
import { daysBetween } from '../domain/dates.ts'
import type { ProspectConfig } from './config.ts'
import type { Engagement } from './profile.ts'

export const RECENT_WINDOW_AGE_DAYS = 15
export const EARLIER_WINDOW_AGE_DAYS = 60
export const UNDATED_SIGNAL_AGE_DAYS = 90

export interface IntentResult {
  readonly intent: number
  /** Days from the last contact to the as-of day; null without a contact date. */
  readonly daysSinceContact: number | null
  /** Activity by signal, after decay: what the reasons explain. */
  readonly parts: { visits: number; inquiries: number; quoteRequested: number; meetingHeld: number }
}

export const decay = (ageDays: number, halfLifeDays: number): number =>
  0.5 ** (Math.max(0, ageDays) / halfLifeDays)

export function intentOf(
  engagement: Engagement,
  asOf: string,
  config: ProspectConfig['intent'],
): IntentResult {
  const { weights, halfLifeDays } = config
  const recent = decay(RECENT_WINDOW_AGE_DAYS, halfLifeDays)
  const earlier = decay(EARLIER_WINDOW_AGE_DAYS, halfLifeDays)
  const windowed = (last30 = 0, last90 = last30) => last30 * recent + Math.max(0, last90 - last30) * earlier
  const daysSinceContact =
    engagement.lastContactDate === undefined
      ? null
      : Math.max(0, daysBetween(engagement.lastContactDate, asOf))
  const contact = decay(daysSinceContact ?? UNDATED_SIGNAL_AGE_DAYS, halfLifeDays)
  const parts = {
    visits: weights.visit * windowed(engagement.visits30d, engagement.visits90d),
    inquiries: weights.inquiry * windowed(engagement.inquiries30d, engagement.inquiries90d),
    quoteRequested: engagement.quoteRequested ? weights.quoteRequested * contact : 0,
    meetingHeld: engagement.meetingHeld ? weights.meetingHeld * contact : 0,
  }
  const activity = parts.visits + parts.inquiries + parts.quoteRequested + parts.meetingHeld
  return { intent: 1 - Math.exp(-activity), daysSinceContact, parts }
}
