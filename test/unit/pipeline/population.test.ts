import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fitSpend, PairCache } from '../../../shared/pipeline/population.ts'
import { frequencySpendCorrelation } from '../../../shared/scoring/gamma-gamma.ts'

describe('the cache keyed by pairs of numbers', () => {
  it('finds what a Map of Maps finds (-0 is 0, NaN is NaN), through growth', () => {
    const number = fc.oneof(
      fc.integer({ min: -3, max: 300 }),
      fc.constantFrom(0, -0, Number.NaN, 0.1, 1 / 3, 1e300, Number.POSITIVE_INFINITY),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(number, number), { maxLength: 3000 }), (pairs) => {
        const cache = new PairCache<number>()
        const reference = new Map<number, Map<number, number>>()
        pairs.forEach(([a, b], i) => {
          const known = reference.get(a)?.get(b)
          expect(cache.get(a, b)).toBe(known)
          if (known === undefined) {
            cache.set(a, b, i)
            reference.set(a, (reference.get(a) ?? new Map()).set(b, i))
          }
        })
      }),
      { numRuns: 100 },
    )
  })
})

describe('the spend fit', () => {
  it('reports the correlation frequencySpendCorrelation gives for the repeat customers', () => {
    const customer = fc.record({
      x: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(-0)),
      zbar: fc.oneof(
        fc.integer({ min: -500, max: 20_000 }).map((c) => c / 100),
        fc.constantFrom(0, Number.POSITIVE_INFINITY),
      ),
    })
    fc.assert(
      fc.property(fc.array(customer, { minLength: 1, maxLength: 300 }), (customers) => {
        const column = (read: (c: { x: number; zbar: number }) => number) =>
          Float64Array.from(customers, read)
        const x = column((c) => c.x)
        const table = {
          size: customers.length,
          x,
          tx: column(() => 0),
          T: column(() => 10),
          zbar: column((c) => c.zbar),
          occasions: column((c) => c.x + 1),
          averageSpend: column((c) => (Number.isFinite(c.zbar) ? c.zbar : 1)),
          recencyDays: column(() => 1),
          contribution: column(() => 1),
        }
        const repeat = customers.filter((c) => c.x > 0 && c.zbar > 0)
        const expected = repeat.length > 2 ? frequencySpendCorrelation(repeat) : 0
        let fitted: number
        try {
          fitted = fitSpend(table).frequencySpendCorrelation
        } catch {
          return // the Gamma-Gamma fit itself may fail on such data; the correlation is what is checked
        }
        expect(fitted).toBe(Number.isFinite(expected) ? expected : 0)
      }),
      { numRuns: 200 },
    )
  })
})
