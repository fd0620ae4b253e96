import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type BgNbdPattern,
  fitBgNbd,
  groupPatternColumns,
  groupPatterns,
  groupPatternTable,
  type RecencyFrequency,
} from '../../../shared/scoring/bgnbd.ts'
import { simulateCustomers } from '../../../shared/scoring/simulate.ts'

/** The grouping as it was first written, with Maps: the reference for the faster one. */
function reference(list: readonly RecencyFrequency[]): BgNbdPattern[] {
  const tIndex = new Map<number, number>()
  const txIndex = new Map<number, number>()
  const indexOf = (map: Map<number, number>, value: number) => {
    let i = map.get(value)
    if (i === undefined) {
      i = map.size
      map.set(value, i)
    }
    return i
  }
  const tOf = list.map(({ T }) => indexOf(tIndex, T))
  const txOf = list.map(({ x, tx }) => indexOf(txIndex, x === 0 ? 0 : tx))
  const nTx = txIndex.size
  const byX = new Map<number, Map<number, number>>()
  const first: number[] = []
  const weights: number[] = []
  list.forEach(({ x }, i) => {
    let patternOf = byX.get(x)
    if (patternOf === undefined) {
      patternOf = new Map()
      byX.set(x, patternOf)
    }
    const key = (tOf[i] as number) * nTx + (txOf[i] as number)
    const p = patternOf.get(key)
    if (p === undefined) {
      patternOf.set(key, weights.length)
      first.push(i)
      weights.push(1)
    } else {
      weights[p] = (weights[p] as number) + 1
    }
  })
  const Ts = [...tIndex.keys()]
  const txs = [...txIndex.keys()]
  return first.map((i, p) => ({
    x: (list[i] as RecencyFrequency).x,
    tx: txs[txOf[i] as number] as number,
    T: Ts[tOf[i] as number] as number,
    weight: weights[p] as number,
  }))
}

/** Every number as its exact text, -0 included. */
const exactly = (patterns: readonly BgNbdPattern[]) =>
  patterns.map((p) => Object.values(p).map((v) => (Object.is(v, -0) ? '-0' : String(v))))

describe('grouping customers into (x, t_x, T) patterns', () => {
  const value = fc.oneof(
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 300 }).map((d) => d / 7),
    fc.constantFrom(-0, 0, 70_000, 65_535, 65_536, 1e9, 0.5),
  )
  const customer = fc.record({
    x: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(-0, 70_000)),
    tx: value,
    T: value,
  })

  it('gives the patterns of the Map-based grouping, in the same order with the same weights', () => {
    fc.assert(
      fc.property(fc.array(customer, { maxLength: 400 }), (customers) => {
        const expected = exactly(reference(customers))
        expect(exactly(groupPatterns(customers))).toEqual(expected)
        expect(
          exactly(
            groupPatternColumns(
              Float64Array.from(customers, (c) => c.x),
              Float64Array.from(customers, (c) => c.tx),
              Float64Array.from(customers, (c) => c.T),
            ),
          ),
        ).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('grows its table past the first size', () => {
    const n = 5000
    const customers = Array.from({ length: n }, (_, i) => ({ x: i % 7, tx: i % 13, T: 13 + (i % 101) }))
    expect(groupPatterns(customers)).toEqual(reference(customers))
  })

  it('fits a table of patterns exactly as the list of the same patterns, screening starts on a subsample', () => {
    // Over 20,000 patterns, so that the starts are compared on a subsample of them first.
    const customers = simulateCustomers({
      customers: 30_000,
      seed: 7,
      bgnbd: { r: 0.5, alpha: 6, a: 0.8, b: 2.5 },
      gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
      minT: 52,
      maxT: 104,
    })
    const list = groupPatterns(customers)
    expect(list.length).toBeGreaterThan(20_000)
    const table = groupPatternTable(
      Float64Array.from(customers, (c) => c.x),
      Float64Array.from(customers, (c) => c.tx),
      Float64Array.from(customers, (c) => c.T),
    )
    expect(table.size).toBe(list.length)
    const fromTable = fitBgNbd(table)
    expect(fromTable.converged).toBe(true)
    expect(fromTable).toEqual(fitBgNbd(list))
  })
})
