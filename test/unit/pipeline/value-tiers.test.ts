import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { tierFigures } from '../../../shared/pipeline/value-tiers.ts'
import { DEFAULT_TIER_CONFIG, type TierConfig, valueTiers } from '../../../shared/segments/tiers.ts'

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

describe('value tiers from a column of net values', () => {
  it('give exactly the cut-offs and Pareto figures of valueTiers', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 200 }),
        fc.infiniteStream(netValue),
        config,
        (ids, values, tiers: TierConfig) => {
          const column = Float64Array.from(ids, () => values.next().value as number)
          const reference = valueTiers(
            ids.map((customerId, i) => ({ customerId, netValue: column[i] as number })),
            tiers,
          )
          const figures = tierFigures(column, (i) => ids[i] as string, true, tiers)
          expect(figures.valueCutoffs).toEqual(reference.valueCutoffs)
          expect(figures.pareto).toEqual(reference.pareto)
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
