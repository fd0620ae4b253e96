import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  orderStatistics,
  quantileFinite,
  quantileOfSorted,
  sortedFinite,
  sortNumbers,
} from '../../../shared/segments/stats.ts'

/** The built-in typed-array sort, the order every cut-off was defined with. */
const builtIn = (values: Float64Array) => Float64Array.from(values).sort()

/** Bit patterns, so that -0 and +0 (equal under ===) and NaN are told apart. */
const bits = (values: Float64Array) => Array.from(new BigUint64Array(Float64Array.from(values).buffer))

/** Enough values for the radix path (small arrays go to the built-in sort). */
const LARGE = 5000

describe('sortNumbers', () => {
  it('orders a large array as the built-in sort does, bit for bit, with -0 before +0 and NaN last', () => {
    const special = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE]
    const values = new Float64Array(LARGE)
    for (let i = 0; i < LARGE; i++) {
      values[i] =
        i % 7 === 0 ? (special[i % special.length] as number) : (((i * 7919) % 1000) - 500) * 1.37 ** (i % 40)
    }
    const sorted = sortNumbers(Float64Array.from(values))
    expect(bits(sorted)).toEqual(bits(builtIn(values)))
    expect(Object.is(sorted[sorted.indexOf(0)], -0)).toBe(true)
    expect(Number.isNaN(sorted[LARGE - 1])).toBe(true)
  })

  it('sorts whole numbers (days, counts), where most digits are the same for every value', () => {
    const days = Float64Array.from({ length: LARGE }, (_, i) => (i % 97 === 0 ? -0 : (i * 104_729) % 1096))
    const sorted = sortNumbers(Float64Array.from(days))
    expect(bits(sorted)).toEqual(bits(builtIn(days)))
    expect(Object.is(sorted[0], -0) && Object.is(sorted[sorted.lastIndexOf(0)], 0)).toBe(true)
  })

  it('agrees with the built-in sort on any doubles, small arrays and large', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double(), { minLength: 0, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (sample, copies) => {
          // Repeated to past the radix threshold for some cases: many ties, as real columns have.
          const values = Float64Array.from({ length: sample.length * copies * 30 }, (_, i) => {
            return sample[i % sample.length] as number
          })
          expect(bits(sortNumbers(Float64Array.from(values)))).toEqual(bits(builtIn(values)))
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('orderStatistics', () => {
  it('gives the values at the positions of the sorted order, for small and large columns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        (sample, copies, shares) => {
          // Up to 12,000 values: past the sorting threshold, with many ties and values spread or clustered.
          const values = Float64Array.from(
            { length: sample.length * copies },
            (_, i) => sample[i % sample.length] as number,
          )
          const sorted = sortedFinite(values, 'v')
          const positions = shares.map((share) =>
            Math.min(values.length - 1, Math.floor(share * values.length)),
          )
          expect(bits(Float64Array.from(orderStatistics(values, positions, 'v')))).toEqual(
            bits(Float64Array.from(positions, (p) => sorted[p] as number)),
          )
          for (const share of shares) {
            expect(quantileFinite(values, share, 'v')).toBe(quantileOfSorted(sorted, share))
          }
        },
      ),
      { numRuns: 80 },
    )
  })

  it('tells -0 from +0 at a position, as the sorted order has them', () => {
    const values = Float64Array.from({ length: LARGE }, (_, i) => (i < LARGE / 2 ? 0 : -0))
    const [first, last] = orderStatistics(values, [0, LARGE - 1], 'v')
    expect(Object.is(first, -0) && Object.is(last, 0)).toBe(true)
  })

  it('rejects an empty column, a value that is not finite and a position outside the column', () => {
    expect(() => orderStatistics([], [0], 'recency')).toThrow('recency must not be empty')
    expect(() => orderStatistics(new Float64Array(LARGE).fill(Number.NaN), [0], 'recency')).toThrow(
      'recency must be finite numbers',
    )
    expect(() => orderStatistics([1, 2, 3], [3], 'recency')).toThrow(RangeError)
    expect(() => quantileFinite([], 0.5, 'contributions')).toThrow('contributions must not be empty')
  })
})
