/**
 * Discounted customer lifetime value over a horizon of K months, from the BG/NBD expected
 * purchases and the Gamma-Gamma expected spend per occasion.
 */
import { type BgNbdParams, expectedPurchases, pAlive, type RecencyFrequency } from './bgnbd.ts'
import type { TimeUnit } from './summary.ts'

export type ClvConfig = {
  /** Number of monthly periods K in the horizon. */
  readonly months: number
  /** Length of a month in the BG/NBD time unit (see `monthLength`). */
  readonly monthLength: number
  /** Annual discount rate; the monthly rate d is (1 + annual)^(1/12) - 1. */
  readonly annualDiscountRate: number
  /** Margin as a share of spend. */
  readonly marginRate: number
  /** Cost of retention activity per month for a customer who is still active. */
  readonly retentionCostPerMonth: number
}

export type ClvResult = {
  /** Expected repeat purchases over the whole horizon. */
  readonly expectedPurchases: number
  /** Probability the customer is active today. */
  readonly pAlive: number
  /** Sum over k of the expected margin in month k discounted by (1 + d)^k. */
  readonly clv: number
  /** Discounted retention cost over the horizon. */
  readonly retentionCost: number
  /** clv - retentionCost. */
  readonly netValue: number
}

/** An average month (365.25 / 12 days) in the time unit. */
export function monthLength(unit: TimeUnit): number {
  const days = 365.25 / 12
  return unit === 'days' ? days : days / 7
}

/** Monthly compound rate equivalent to an annual rate: (1 + annual)^(1/12) - 1. */
export function monthlyRate(annualRate: number): number {
  return Math.expm1(Math.log1p(annualRate) / 12)
}

/**
 * CLV = sum_{k=1..K} (E(k L) - E((k-1) L)) * spend * margin / (1 + d)^k, with E the BG/NBD
 * conditional expectation, L the month length and d the monthly discount rate.
 *
 * Retention cost: today's P(alive) is held constant over the horizon, so the cost is
 * P(alive) * cost * sum_k 1 / (1 + d)^k. This overstates the cost of customers likely to lapse
 * during the horizon (their probability of being active decays), which errs on the side of not
 * overvaluing them; the decaying probability needs the distribution of future purchase paths,
 * which the closed forms used here do not give.
 */
export function customerLifetimeValue(
  params: BgNbdParams,
  customer: RecencyFrequency,
  spendPerOccasion: number,
  config: ClvConfig,
): ClvResult {
  const { months, monthLength: length, annualDiscountRate, marginRate, retentionCostPerMonth } = config
  if (!Number.isInteger(months) || months < 0) throw new RangeError('months must be a non-negative integer')
  if (!(length > 0)) throw new RangeError('monthLength must be positive')
  if (!(annualDiscountRate > -1)) throw new RangeError('annualDiscountRate must be greater than -1')
  const d = monthlyRate(annualDiscountRate)
  const { x, tx, T } = customer
  const alive = pAlive(params, x, tx, T)
  const valuePerPurchase = spendPerOccasion * marginRate
  let previous = 0
  let clv = 0
  let annuity = 0
  let discount = 1
  for (let k = 1; k <= months; k++) {
    discount /= 1 + d
    const cumulative = expectedPurchases(params, x, tx, T, k * length)
    clv += (cumulative - previous) * valuePerPurchase * discount
    annuity += discount
    previous = cumulative
  }
  const retentionCost = alive * retentionCostPerMonth * annuity
  return { expectedPurchases: previous, pAlive: alive, clv, retentionCost, netValue: clv - retentionCost }
}
