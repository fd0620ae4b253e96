import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_TIER_CONFIG,
  type ParetoFigures,
  type TierAssignment,
  type TierConfig,
  tierFigures,
  tierOf,
  type ValueCutoffs,
  valueTiers,
} from '../../../shared/segments/tiers.ts'

/** Net values with many ties (a few distinct values), negatives, zeros and -0. */
const netValue = fc.oneof(
  fc.constantFrom(0, -0, 5, 5, 12.5, 12.5, 12.5, -3, 1e-9),
  fc.integer({ min: -500, max: 5000 }).map((c) => c / 100),
  fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
)

const config = fc.oneof(
  fc.constant(DEFAULT_TIER_CONFIG),
  fc
    .record({
      keyShare: fc.double({ min: 0, max: 1, noNaN: true }),
      generalShare: fc.double({ min: 0, max: 1, noNaN: true }),
      paretoTopShare: fc.double({ min: 0, max: 1, noNaN: true }),
      paretoValueShare: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .filter((c) => c.keyShare + c.generalShare <= 1),
)

/** The cut-offs the rules define: the last customer of the key tier, and of key and general, by rank. */
function cutoffsOfRanking(assignments: readonly TierAssignment[], config: TierConfig): ValueCutoffs {
  const last = (tiers: readonly string[]) => {
    const found = assignments.filter((a) => tiers.includes(a.tier)).at(-1)
    return found === undefined ? null : { netValue: found.netValue, customerId: found.customerId }
  }
  return {
    keyShare: config.keyShare,
    generalShare: config.generalShare,
    key: last(['key']),
    general: last(['key', 'general']),
  }
}

/** The Pareto figures as the rules state them, over the customers in rank order. */
function paretoOfRanking(assignments: readonly TierAssignment[], config: TierConfig): ParetoFigures {
  const n = assignments.length
  const worth = assignments.map((a) => Math.max(0, a.netValue))
  let total = 0
  for (const a of assignments) if (a.netValue > 0) total += a.netValue
  const top = Math.round(config.paretoTopShare * n)
  const cumulative: number[] = []
  worth.reduce((sum, value) => {
    cumulative.push(sum + value)
    return sum + value
  }, 0)
  const target = config.paretoValueShare * total * (1 - 1e-12)
  const reached = target > 0 ? cumulative.findIndex((sum) => sum >= target) + 1 : 0
  return {
    topShare: config.paretoTopShare,
    valueShareOfTop: total > 0 ? (top > 0 ? (cumulative[top - 1] as number) : 0) / total : null,
    valueShare: config.paretoValueShare,
    customerShareForValue: total > 0 && reached > 0 ? reached / n : total > 0 && target <= 0 ? 0 : null,
    totalPositiveValue: total,
    customers: n,
  }
}

describe('value tiers from a column of net values', () => {
  it('give the cut-offs and Pareto figures of the ranking, and the tier of the ranking to every customer', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 200 }),
        fc.infiniteStream(netValue),
        config,
        (ids, values, tiers: TierConfig) => {
          const column = Float64Array.from(ids, () => values.next().value as number)
          const { assignments } = valueTiers(
            ids.map((customerId, i) => ({ customerId, netValue: column[i] as number })),
            tiers,
          )
          const figures = tierFigures(column, (i) => ids[i] as string, true, tiers)
          expect(figures.valueCutoffs).toEqual(cutoffsOfRanking(assignments, tiers))
          expect(figures.pareto).toEqual(paretoOfRanking(assignments, tiers))
          for (const a of assignments) {
            expect(tierOf(figures.valueCutoffs, a.netValue, a.customerId)).toBe(a.tier)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('report what valueTiers rejects as valueTiers does', () => {
    const ids = ['a', 'b', 'a']
    expect(() =>
      tierFigures(Float64Array.of(1, 2, 3), (i) => ids[i] as string, false, DEFAULT_TIER_CONFIG),
    ).toThrow('customer a appears more than once')
    expect(() =>
      tierFigures(Float64Array.of(1, Number.NaN), (i) => ids[i] as string, true, DEFAULT_TIER_CONFIG),
    ).toThrow('net value of b must be a finite number')
    expect(() =>
      tierFigures(Float64Array.of(1), () => 'a', true, {
        ...DEFAULT_TIER_CONFIG,
        keyShare: 0.8,
        generalShare: 0.3,
      }),
    ).toThrow('keyShare + generalShare must not exceed 1')
  })
})
