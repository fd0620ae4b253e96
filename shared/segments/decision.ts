/**
 * Investment decision for a customer from net value, planned marketing cost, churn risk and tier.
 *
 * First matching row wins (cost = planned marketing cost per customer, risk = 1 - P(alive),
 * high risk = risk >= `highChurnRisk`):
 *
 * | # | when                                                   | decision |
 * |---|--------------------------------------------------------|----------|
 * | 1 | net value < cost, high risk, tier is not key           | stop     |
 * | 2 | net value < cost                                       | reduce   |
 * | 3 | net value >= `investMultiple` x cost, risk not high    | invest   |
 * | 4 | otherwise                                              | maintain |
 *
 * - Net value below the planned marketing cost is always flagged (`belowMarketingCost`), whatever
 *   the decision: the marketing plan spends more on the customer than the customer is worth.
 * - A key customer is never stopped automatically (row 1 becomes row 2, `keyCustomerNotStopped`):
 *   key customers hold most of the value, so giving one up deserves a person's review.
 * - High churn risk with a net value that covers the cost is 'maintain', not 'invest': money spent
 *   on a customer who is probably gone is unlikely to come back.
 */
import type { Tier } from './tiers.ts'

export type InvestmentDecision = 'invest' | 'maintain' | 'reduce' | 'stop'

export type DecisionConfig = {
  /** Churn risk from which a customer counts as likely lost. */
  readonly highChurnRisk: number
  /** Net value as a multiple of the marketing cost from which more investment pays. */
  readonly investMultiple: number
}

export const DEFAULT_DECISION_CONFIG: DecisionConfig = {
  /** P(alive) below 30%: the customer is much more likely gone than still buying. */
  highChurnRisk: 0.7,
  /** Value three times the cost leaves room for model error and still pays for more marketing. */
  investMultiple: 3,
}

export const DECISION_TABLE: readonly { readonly decision: InvestmentDecision; readonly when: string }[] = [
  {
    decision: 'stop',
    when: 'net value < marketing cost and churn risk >= highChurnRisk, not a key customer',
  },
  { decision: 'reduce', when: 'net value < marketing cost (otherwise)' },
  { decision: 'invest', when: 'net value >= investMultiple x marketing cost and churn risk < highChurnRisk' },
  { decision: 'maintain', when: 'otherwise' },
]

export type DecisionInput = {
  /** Customer net value (CLV after retention cost) over the planning horizon. */
  readonly netValue: number
  /** Planned marketing cost per customer over the same horizon. */
  readonly marketingCost: number
  /** 1 - P(alive), from 0 to 1. */
  readonly churnRisk: number
  readonly tier: Tier
}

export type DecisionResult = DecisionInput & {
  readonly decision: InvestmentDecision
  /** Net value is below the planned marketing cost. */
  readonly belowMarketingCost: boolean
  readonly highChurnRisk: boolean
  /** Net value reaches `investMultiple` x marketing cost. */
  readonly reachesInvestMultiple: boolean
  /** A key customer who would otherwise be stopped. */
  readonly keyCustomerNotStopped: boolean
}

export function investmentDecision(
  input: DecisionInput,
  config: DecisionConfig = DEFAULT_DECISION_CONFIG,
): DecisionResult {
  const { netValue, marketingCost, churnRisk, tier } = input
  if (!Number.isFinite(netValue)) throw new RangeError('netValue must be a finite number')
  if (!(Number.isFinite(marketingCost) && marketingCost >= 0)) {
    throw new RangeError('marketingCost must be a finite number >= 0')
  }
  if (!(churnRisk >= 0 && churnRisk <= 1)) throw new RangeError('churnRisk must be in [0, 1]')

  const belowMarketingCost = netValue < marketingCost
  const highChurnRisk = churnRisk >= config.highChurnRisk
  const reachesInvestMultiple = netValue >= config.investMultiple * marketingCost
  const wouldStop = belowMarketingCost && highChurnRisk
  const keyCustomerNotStopped = wouldStop && tier === 'key'
  const decision: InvestmentDecision = belowMarketingCost
    ? wouldStop && !keyCustomerNotStopped
      ? 'stop'
      : 'reduce'
    : reachesInvestMultiple && !highChurnRisk
      ? 'invest'
      : 'maintain'
  return {
    netValue,
    marketingCost,
    churnRisk,
    tier,
    decision,
    belowMarketingCost,
    highChurnRisk,
    reachesInvestMultiple,
    keyCustomerNotStopped,
  }
}
