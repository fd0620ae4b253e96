import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CustomerValue,
  DEFAULT_TIER_CONFIG,
  paretoFigures,
  TIER_STRATEGY,
  tierOf,
  valueTiers,
} from '../../../shared/segments/tiers.ts'

const id = (i: number) => `c${String(i).padStart(4, '0')}`
const customers = (values: readonly number[]): CustomerValue[] =>
  values.map((netValue, i) => ({ customerId: id(i), netValue }))

/** Integer cents from -50 to 200 over a few ids: ties and negative values are common. */
const population = fc
  .uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 60 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((i) =>
        fc
          .integer({ min: -50, max: 200 })
          .map((cents): CustomerValue => ({ customerId: id(i), netValue: cents / 10 })),
      ),
    ),
  )

describe('value tiers', () => {
  it('puts exactly 200 of 1,000 customers in the key tier, 300 in general and 500 in secondary', () => {
    const result = valueTiers(customers(Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 1000))))
    expect(result.counts).toEqual({ key: 200, general: 300, secondary: 500 })
    expect(result.assignments.filter((a) => a.tier === 'key')).toHaveLength(200)
  })

  it('puts the highest net values in the key tier', () => {
    const result = valueTiers(customers([5, 50, 10, 40, 20, 30, 1, 2, 3, 4]))
    expect(result.assignments.map((a) => [a.netValue, a.tier])).toEqual([
      [50, 'key'],
      [40, 'key'],
      [30, 'general'],
      [20, 'general'],
      [10, 'general'],
      [5, 'secondary'],
      [4, 'secondary'],
      [3, 'secondary'],
      [2, 'secondary'],
      [1, 'secondary'],
    ])
  })

  it('breaks ties in net value by customer id', () => {
    const result = valueTiers(['d', 'b', 'e', 'a', 'c'].map((customerId) => ({ customerId, netValue: 10 })))
    expect(result.assignments.map((a) => a.customerId)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(result.assignments[0]?.tier).toBe('key')
    expect(result.valueCutoffs.key).toEqual({ netValue: 10, customerId: 'a' })
  })

  it('rounds tier sizes to the nearest whole customer', () => {
    // 7 customers: round(1.4) = 1 key, round(3.5) = 4 key or general.
    expect(valueTiers(customers([7, 6, 5, 4, 3, 2, 1])).counts).toEqual({ key: 1, general: 3, secondary: 3 })
  })

  it('never puts a customer without positive net value in the key or general tier', () => {
    const result = valueTiers(customers([100, 50, 0, -10, -20, -30, -40, -50, -60, -70]))
    expect(result.counts).toEqual({ key: 2, general: 0, secondary: 8 })
    expect(result.valueCutoffs.general).toEqual(result.valueCutoffs.key)
  })

  it('puts everyone of an all-zero population in the secondary tier', () => {
    const result = valueTiers(customers(Array<number>(10).fill(0)))
    expect(result.counts).toEqual({ key: 0, general: 0, secondary: 10 })
    expect(result.valueCutoffs).toMatchObject({ key: null, general: null })
    expect(tierOf(result.valueCutoffs, 5)).toBe('secondary')
  })

  it('does not depend on the order of the customers', () => {
    const shuffled = population.chain((people) =>
      fc.tuple(fc.constant(people), fc.shuffledSubarray(people, { minLength: people.length })),
    )
    fc.assert(
      fc.property(shuffled, ([people, reordered]) => {
        expect(valueTiers(reordered)).toEqual(valueTiers(people))
      }),
    )
  })

  it('gives every customer of the population the same tier from the cut-offs and id alone', () => {
    fc.assert(
      fc.property(population, (people) => {
        const { valueCutoffs, assignments } = valueTiers(people)
        const restored = JSON.parse(JSON.stringify(valueCutoffs))
        for (const a of assignments) expect(tierOf(restored, a.netValue, a.customerId)).toBe(a.tier)
      }),
    )
  })

  it('tiers a new customer by value alone, a tie with a cut-off going to the higher tier', () => {
    const { valueCutoffs } = valueTiers(customers([50, 40, 30, 20, 10, 5, 4, 3, 2, 1]))
    expect(tierOf(valueCutoffs, 45)).toBe('key')
    expect(tierOf(valueCutoffs, 40)).toBe('key')
    expect(tierOf(valueCutoffs, 39.99)).toBe('general')
    expect(tierOf(valueCutoffs, 10)).toBe('general')
    expect(tierOf(valueCutoffs, 9.99)).toBe('secondary')
    expect(tierOf(valueCutoffs, -1)).toBe('secondary')
  })

  it('states the strategy of each tier', () => {
    expect(TIER_STRATEGY).toEqual({
      key: 'maintain',
      general: 'develop',
      secondary: 'let be / develop if potential',
    })
  })

  it('rejects repeated ids, non-finite values and tier shares above 1 in total', () => {
    expect(() => valueTiers([...customers([1]), ...customers([2])])).toThrow(RangeError)
    expect(() => valueTiers(customers([1, Number.POSITIVE_INFINITY]))).toThrow(RangeError)
    expect(() =>
      valueTiers(customers([1]), { ...DEFAULT_TIER_CONFIG, keyShare: 0.6, generalShare: 0.5 }),
    ).toThrow(RangeError)
  })
})

describe('Pareto figures', () => {
  it('reports the share of positive value held by the top 20% and the customers holding 80%', () => {
    // Positive total 100; top 2 of 10 hold 50 + 20; the top 3 reach 80.
    const pareto = paretoFigures([10, 0, 50, -5, 5, 20, 0, 10, -10, 5])
    expect(pareto).toEqual({
      topShare: 0.2,
      valueShareOfTop: 0.7,
      valueShare: 0.8,
      customerShareForValue: 0.3,
      totalPositiveValue: 100,
      customers: 10,
    })
  })

  it('finds an exact 20/80 population exactly', () => {
    const pareto = paretoFigures([40, 40, ...Array<number>(8).fill(2.5)])
    expect(pareto.valueShareOfTop).toBe(0.8)
    expect(pareto.customerShareForValue).toBe(0.2)
  })

  it('has no shares of value when no customer has positive value', () => {
    expect(paretoFigures([0, 0, -3])).toMatchObject({ valueShareOfTop: null, customerShareForValue: null })
  })

  it('are part of the tiering result', () => {
    const people = customers([10, 0, 50, -5, 5, 20, 0, 10, -10, 5])
    expect(valueTiers(people).pareto).toEqual(paretoFigures(people.map((p) => p.netValue)))
  })
})
