/**
 * Value tiers by the 20/80 rule, and the Pareto figures of a population.
 *
 * Rules:
 * - Customers are ranked by net value, highest first; equal values by customer id (code-unit
 *   order), so the ranking does not depend on the input order.
 * - Key: the first round(keyShare * n) customers; general: the customers up to
 *   round((keyShare + generalShare) * n); secondary: the rest. n counts every customer.
 * - Only a customer with a positive net value can be key or general: a customer who is worth
 *   nothing or costs money is secondary whatever the rank. When fewer customers than the tier
 *   sizes have positive value, the general (then the key) tier is smaller.
 * - The cut-offs are the last customer of each tier (value and id), so `tierOf` gives every
 *   customer of the population the tier of the ranking, and tiers a new customer from the
 *   cut-offs alone. Without an id, a value equal to a cut-off goes to the higher tier.
 */
import { assertShare, sortNumbers } from './stats.ts'

export type Tier = 'key' | 'general' | 'secondary'

export const TIER_STRATEGY = {
  key: 'maintain',
  general: 'develop',
  secondary: 'let be / develop if potential',
} as const satisfies Record<Tier, string>

export type TierStrategy = (typeof TIER_STRATEGY)[Tier]

export type TierConfig = {
  /** Share of all customers in the key tier. */
  readonly keyShare: number
  /** Share of all customers in the general tier, after the key tier. */
  readonly generalShare: number
  /** Share of customers, from the top, whose share of value the Pareto figures report. */
  readonly paretoTopShare: number
  /** Share of value for which the Pareto figures report the smallest share of customers holding it. */
  readonly paretoValueShare: number
}

export const DEFAULT_TIER_CONFIG: TierConfig = {
  /** The 20 of the 20/80 rule: the fifth of customers expected to hold most of the value. */
  keyShare: 0.2,
  /** The next 30%, so the top half of customers is worth a plan and the bottom half is let be. */
  generalShare: 0.3,
  /** The 20/80 rule's own question: how much value do the top 20% hold? */
  paretoTopShare: 0.2,
  /** ... and the other way round: how few customers hold 80% of the value? */
  paretoValueShare: 0.8,
}

export type CustomerValue = {
  readonly customerId: string
  readonly netValue: number
}

/** The last customer of a tier in the ranking. */
export type TierBoundary = {
  readonly netValue: number
  readonly customerId: string
}

/** Small and serialisable: enough to tier any customer later. */
export type ValueCutoffs = {
  readonly keyShare: number
  readonly generalShare: number
  /** Last key customer; null when the key tier is empty. */
  readonly key: TierBoundary | null
  /** Last customer of key and general together; null when both are empty. */
  readonly general: TierBoundary | null
}

export type ParetoFigures = {
  readonly topShare: number
  /** Share of total positive value held by the top `topShare` of customers; null without positive value. */
  readonly valueShareOfTop: number | null
  readonly valueShare: number
  /** Smallest share of customers holding `valueShare` of total positive value; null without positive value. */
  readonly customerShareForValue: number | null
  /** Sum of the positive net values: a customer with negative value holds no share of value. */
  readonly totalPositiveValue: number
  readonly customers: number
}

export type TierAssignment = {
  readonly customerId: string
  readonly netValue: number
  /** 1 for the highest net value. */
  readonly rank: number
  readonly tier: Tier
}

export type ValueTiers = {
  readonly valueCutoffs: ValueCutoffs
  /** Every customer, in rank order. */
  readonly assignments: readonly TierAssignment[]
  readonly counts: Readonly<Record<Tier, number>>
  readonly pareto: ParetoFigures
}

export function valueTiers(
  customers: readonly CustomerValue[],
  config: TierConfig = DEFAULT_TIER_CONFIG,
): ValueTiers {
  const netValues = Float64Array.from(customers, (customer) => customer.netValue)
  const figures = rankFigures(netValues, (i) => (customers[i] as CustomerValue).customerId, false, config)
  const { keyCount, upToGeneral } = figures
  const ranked = [...customers].sort(
    (a, b) =>
      b.netValue - a.netValue || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0),
  )
  const n = ranked.length
  const assignments = ranked.map(
    (customer, i): TierAssignment => ({
      customerId: customer.customerId,
      netValue: customer.netValue,
      rank: i + 1,
      tier: i < keyCount ? 'key' : i < upToGeneral ? 'general' : 'secondary',
    }),
  )
  return {
    valueCutoffs: figures.valueCutoffs,
    assignments,
    counts: { key: keyCount, general: upToGeneral - keyCount, secondary: n - upToGeneral },
    pareto: figures.pareto,
  }
}

/**
 * The cut-offs and Pareto figures of `valueTiers` for net values in a column (customer i has
 * `netValues[i]` and id `customerId(i)`), without an object per customer and without sorting them with
 * a comparator: a million customers take a typed-array sort instead of seconds. Ranks are needed only
 * at the two tier boundaries, where equal net values are ordered by customer id as the rules say.
 * `uniqueIds` tells that no id appears twice (else it is checked). Throws a RangeError for a net value
 * that is not finite, an id seen twice or a bad configuration.
 */
export function tierFigures(
  netValues: Float64Array,
  customerId: (i: number) => string,
  uniqueIds: boolean,
  config: TierConfig = DEFAULT_TIER_CONFIG,
): { readonly valueCutoffs: ValueCutoffs; readonly pareto: ParetoFigures } {
  const { valueCutoffs, pareto } = rankFigures(netValues, customerId, uniqueIds, config)
  return { valueCutoffs, pareto }
}

function rankFigures(
  netValues: Float64Array,
  customerId: (i: number) => string,
  uniqueIds: boolean,
  config: TierConfig,
): { valueCutoffs: ValueCutoffs; pareto: ParetoFigures; keyCount: number; upToGeneral: number } {
  assertTierConfig(config)
  const n = netValues.length
  const ids = uniqueIds ? undefined : new Set<string>()
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(netValues[i] as number)) {
      throw new RangeError(`net value of ${customerId(i)} must be a finite number`)
    }
    if (ids !== undefined) {
      const id = customerId(i)
      if (ids.has(id)) throw new RangeError(`customer ${id} appears more than once`)
      ids.add(id)
    }
  }
  // Ascending, so rank r (1 = highest) is at n - r.
  const sorted = sortNumbers(Float64Array.from(netValues))
  let positive = 0
  for (let i = 0; i < n; i++) if ((netValues[i] as number) > 0) positive++
  const keyCount = Math.min(Math.round(config.keyShare * n), positive)
  const upToGeneral = Math.min(Math.round((config.keyShare + config.generalShare) * n), positive)
  return {
    valueCutoffs: {
      keyShare: config.keyShare,
      generalShare: config.generalShare,
      key: boundary(keyCount),
      general: boundary(upToGeneral),
    },
    pareto: paretoOfSorted(sorted, config),
    keyCount,
    upToGeneral,
  }

  /** The customer ranked `count`: among the customers with its net value, the one at its place by id. */
  function boundary(count: number): TierBoundary | null {
    if (count === 0) return null
    const value = sorted[n - count] as number
    let above = 0
    for (let r = n - 1; r >= 0 && (sorted[r] as number) > value; r--) above++
    const tied: string[] = []
    for (let i = 0; i < n; i++) if (netValues[i] === value) tied.push(customerId(i))
    tied.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return { netValue: value, customerId: tied[count - 1 - above] as string }
  }
}

/**
 * The tier of a customer from the cut-offs alone. With the customer's id, a customer of the
 * population gets exactly the tier of the ranking; without it, a tie with a cut-off goes up.
 */
export function tierOf(cutoffs: ValueCutoffs, netValue: number, customerId?: string): Tier {
  if (!Number.isFinite(netValue)) throw new RangeError('netValue must be a finite number')
  if (netValue <= 0) return 'secondary'
  if (rankedAtOrBefore(cutoffs.key, netValue, customerId)) return 'key'
  if (rankedAtOrBefore(cutoffs.general, netValue, customerId)) return 'general'
  return 'secondary'
}

/** Pareto figures of net values (any order); see `ParetoFigures`. */
export function paretoFigures(
  netValues: readonly number[],
  config: Pick<TierConfig, 'paretoTopShare' | 'paretoValueShare'> = DEFAULT_TIER_CONFIG,
): ParetoFigures {
  for (const value of netValues) {
    if (!Number.isFinite(value)) throw new RangeError('net values must be finite numbers')
  }
  assertShare(config.paretoTopShare, 'paretoTopShare')
  assertShare(config.paretoValueShare, 'paretoValueShare')
  return paretoOfSorted(sortNumbers(Float64Array.from(netValues)), config)
}

/** Pareto figures of net values sorted ascending, summed in rank order (highest first). */
function paretoOfSorted(
  ascending: Float64Array,
  config: Pick<TierConfig, 'paretoTopShare' | 'paretoValueShare'>,
): ParetoFigures {
  const n = ascending.length
  let total = 0
  for (let r = n - 1; r >= 0; r--) {
    const value = ascending[r] as number
    if (value > 0) total += value
  }
  const top = Math.round(config.paretoTopShare * n)
  let topValue = 0
  let cumulative = 0
  // Sums of many values drift in the last bits; a relative tolerance keeps exact shares exact.
  const target = config.paretoValueShare * total * (1 - 1e-12)
  let customersForValue: number | null = target > 0 ? null : 0
  for (let i = 0; i < n; i++) {
    const value = Math.max(0, ascending[n - 1 - i] as number)
    cumulative += value
    if (i < top) topValue += value
    if (customersForValue === null && cumulative >= target) customersForValue = i + 1
  }
  const hasValue = total > 0
  return {
    topShare: config.paretoTopShare,
    valueShareOfTop: hasValue ? topValue / total : null,
    valueShare: config.paretoValueShare,
    customerShareForValue: hasValue && customersForValue !== null ? customersForValue / n : null,
    totalPositiveValue: total,
    customers: n,
  }
}

function rankedAtOrBefore(
  bound: TierBoundary | null,
  netValue: number,
  customerId: string | undefined,
): boolean {
  if (bound === null) return false
  if (netValue !== bound.netValue) return netValue > bound.netValue
  return customerId === undefined || customerId <= bound.customerId
}

function assertTierConfig(config: TierConfig): void {
  assertShare(config.keyShare, 'keyShare')
  assertShare(config.generalShare, 'generalShare')
  assertShare(config.paretoTopShare, 'paretoTopShare')
  assertShare(config.paretoValueShare, 'paretoValueShare')
  if (config.keyShare + config.generalShare > 1 + 1e-12) {
    throw new RangeError('keyShare + generalShare must not exceed 1')
  }
}
