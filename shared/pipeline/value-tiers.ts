import { type ParetoFigures, type TierConfig, type ValueCutoffs, valueTiers } from '../segments/tiers.ts'

/**
 * The cut-offs and Pareto figures of `valueTiers` (shared/segments/tiers.ts, where the rules are) for
 * net values in a column, without an object per customer and without sorting them with a comparator:
 * a million customers take a typed-array sort instead of seconds. A test proves the result equals
 * `valueTiers`. Ranks are needed only at the two tier boundaries, where equal net values are ordered by
 * customer id as the rules say. Inputs the rules reject (a net value that is not finite, an id seen
 * twice, a bad configuration) go to `valueTiers`, which throws its own error.
 */
export function tierFigures(
  netValues: Float64Array,
  customerId: (i: number) => string,
  uniqueIds: boolean,
  config: TierConfig,
): { readonly valueCutoffs: ValueCutoffs; readonly pareto: ParetoFigures } {
  const n = netValues.length
  let finite = true
  for (let i = 0; i < n; i++) if (!Number.isFinite(netValues[i] as number)) finite = false
  valueTiers([], config) // validates the configuration
  if (!finite || !uniqueIds) {
    const { valueCutoffs, pareto } = valueTiers(
      Array.from(netValues, (netValue, i) => ({ customerId: customerId(i), netValue })),
      config,
    )
    return { valueCutoffs, pareto }
  }
  // Ascending, so rank r (1 = highest) is at n - r.
  const sorted = Float64Array.from(netValues).sort()
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
    pareto: pareto(sorted, config),
  }

  /** The customer ranked `count`: among the customers with its net value, the one at its place by id. */
  function boundary(count: number): { netValue: number; customerId: string } | null {
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

/** The Pareto figures of `valueTiers`, summed in rank order (equal values in any order give equal sums). */
function pareto(ascending: Float64Array, config: TierConfig): ParetoFigures {
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
