import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_RFM_CONFIG,
  RFM_SEGMENT_MAP,
  type RfmSegment,
  type RfmValues,
  rfmCutoffs,
  rfmScores,
  rfmSegment,
} from '../../../shared/segments/rfm.ts'

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from)

/** Customer i has recency i, frequency i and monetary i: no ties at all. */
const distinct = (n: number): RfmValues[] => range(n).map((i) => ({ recency: i, frequency: i, monetary: i }))

const countScores = (scores: readonly number[]) => {
  const counts = new Map<number, number>()
  for (const score of scores) counts.set(score, (counts.get(score) ?? 0) + 1)
  return counts
}

/** Small integer ranges, so populations are full of ties. */
const customer = fc.record({
  recency: fc.integer({ min: 0, max: 30 }),
  frequency: fc.integer({ min: 1, max: 6 }),
  monetary: fc.integer({ min: 0, max: 40 }).map((c) => c * 2.5),
})

const population = fc.array(customer, { minLength: 1, maxLength: 80 })

describe('RFM cut-offs', () => {
  it('scores quintiles by default', () => {
    expect(DEFAULT_RFM_CONFIG.bins).toBe(5)
    expect(rfmCutoffs(distinct(10)).bins).toBe(5)
  })

  it('gives every score exactly a fifth of a population without ties', () => {
    const people = distinct(1000)
    const cutoffs = rfmCutoffs(people)
    const scores = people.map((p) => rfmScores(cutoffs, p))
    for (const dimension of ['r', 'f', 'm'] as const) {
      const counts = countScores(scores.map((s) => s[dimension]))
      expect([1, 2, 3, 4, 5].map((score) => counts.get(score))).toEqual([200, 200, 200, 200, 200])
    }
  })

  it('gives the most recent fifth R = 5 and the oldest fifth R = 1', () => {
    const people = distinct(1000)
    const cutoffs = rfmCutoffs(people)
    expect(rfmScores(cutoffs, { recency: 200, frequency: 1, monetary: 1 }).r).toBe(5)
    expect(rfmScores(cutoffs, { recency: 201, frequency: 1, monetary: 1 }).r).toBe(4)
    expect(rfmScores(cutoffs, { recency: 800, frequency: 1, monetary: 1 }).r).toBe(2)
    expect(rfmScores(cutoffs, { recency: 801, frequency: 1, monetary: 1 }).r).toBe(1)
  })

  it('takes cut-offs at positions ceil(k n / 5) of a small population, worst first', () => {
    const frequency = [10, 1, 2, 8, 1, 3, 5, 4, 1, 2]
    const recency = [5, 400, 10, 30, 60, 90, 120, 200, 365, 10]
    const cutoffs = rfmCutoffs({ recency, frequency, monetary: frequency })
    expect(cutoffs.frequency).toEqual([1, 2, 3, 5])
    expect(cutoffs.recency).toEqual([365, 120, 60, 10])
  })

  it('never lifts a value tied across a cut-off into the higher score', () => {
    // Sorted F: 1 1 1 2 2 3 4 5 8 10; the third 1 ranks in the second fifth but scores 1 like the others.
    const frequency = [10, 1, 2, 8, 1, 3, 5, 4, 1, 2]
    const cutoffs = rfmCutoffs({ recency: frequency, frequency, monetary: frequency })
    const scores = frequency.map((f) => rfmScores(cutoffs, { recency: 1, frequency: f, monetary: 1 }).f)
    expect(scores).toEqual([5, 1, 2, 5, 1, 3, 4, 4, 1, 2])
  })

  it('keeps recency ties on the lower R score as well', () => {
    // Sorted oldest first: 400 365 200 120 90 60 30 10 10 5; the two 10s span the 4th and 5th fifth.
    const recency = [5, 400, 10, 30, 60, 90, 120, 200, 365, 10]
    const cutoffs = rfmCutoffs({ recency, frequency: recency, monetary: recency })
    const scores = recency.map((days) => rfmScores(cutoffs, { recency: days, frequency: 1, monetary: 1 }).r)
    expect(scores).toEqual([5, 1, 4, 4, 3, 3, 2, 2, 1, 4])
  })

  it('leaves F = 2 and 3 unused when 60% of customers bought once', () => {
    const frequency = [...Array<number>(600).fill(1), ...range(400, 2)]
    const cutoffs = rfmCutoffs({ recency: frequency, frequency, monetary: frequency })
    const counts = countScores(
      frequency.map((f) => rfmScores(cutoffs, { recency: 0, frequency: f, monetary: 0 }).f),
    )
    expect(cutoffs.frequency.slice(0, 3)).toEqual([1, 1, 1])
    expect(counts.get(1)).toBe(600)
    expect(counts.has(2)).toBe(false)
    expect(counts.has(3)).toBe(false)
  })

  it('scores equal values equally', () => {
    fc.assert(
      fc.property(population, (people) => {
        const cutoffs = rfmCutoffs(people)
        const byValue = new Map<string, string>()
        for (const person of people) {
          const key = `${person.recency}|${person.frequency}|${person.monetary}`
          const cell = rfmScores(cutoffs, person).cell
          expect(byValue.get(key) ?? cell).toBe(cell)
          byValue.set(key, cell)
        }
      }),
    )
  })

  it('does not depend on the order of the population', () => {
    const shuffled = population.chain((people) =>
      fc.tuple(fc.constant(people), fc.shuffledSubarray(people, { minLength: people.length })),
    )
    fc.assert(
      fc.property(shuffled, fc.integer({ min: 1, max: 9 }), ([people, reordered], bins) => {
        expect(rfmCutoffs(reordered, bins)).toEqual(rfmCutoffs(people, bins))
      }),
    )
  })

  it('never scores a more recent, more frequent or higher-spending customer lower', () => {
    fc.assert(
      fc.property(population, customer, customer, (people, a, b) => {
        const cutoffs = rfmCutoffs(people)
        const sa = rfmScores(cutoffs, a)
        const sb = rfmScores(cutoffs, b)
        if (a.recency <= b.recency) expect(sa.r).toBeGreaterThanOrEqual(sb.r)
        if (a.frequency >= b.frequency) expect(sa.f).toBeGreaterThanOrEqual(sb.f)
        if (a.monetary >= b.monetary) expect(sa.m).toBeGreaterThanOrEqual(sb.m)
      }),
    )
  })

  it('gives the same cut-offs for typed-array columns as for rows', () => {
    const people = distinct(37).map((p, i) => ({ ...p, monetary: (i * 7919) % 101 }))
    const columns = {
      recency: Float64Array.from(people, (p) => p.recency),
      frequency: Int32Array.from(people, (p) => p.frequency),
      monetary: people.map((p) => p.monetary),
    }
    expect(rfmCutoffs(columns)).toEqual(rfmCutoffs(people))
  })

  it('survives a JSON round trip of the cut-offs unchanged', () => {
    const cutoffs = rfmCutoffs(distinct(50))
    expect(JSON.parse(JSON.stringify(cutoffs))).toEqual(cutoffs)
  })

  it('scores a new customer beyond the population range at the ends of the scale', () => {
    const cutoffs = rfmCutoffs(distinct(100))
    expect(rfmScores(cutoffs, { recency: 0, frequency: 1000, monetary: 1e6 })).toEqual({
      r: 5,
      f: 5,
      m: 5,
      cell: '555',
    })
    expect(rfmScores(cutoffs, { recency: 5000, frequency: 0, monetary: -3 }).cell).toBe('111')
  })

  it('writes the cell as R, F and M digits', () => {
    const cutoffs = rfmCutoffs(distinct(1000))
    expect(rfmScores(cutoffs, { recency: 100, frequency: 700, monetary: 999 }).cell).toBe('545')
  })

  it('rejects an empty population, a non-finite value and bins outside 1 to 9', () => {
    expect(() => rfmCutoffs([])).toThrow(RangeError)
    expect(() => rfmCutoffs([{ recency: Number.NaN, frequency: 1, monetary: 1 }])).toThrow(RangeError)
    expect(() => rfmCutoffs(distinct(10), 10)).toThrow(RangeError)
    expect(() => rfmCutoffs(distinct(10), 0)).toThrow(RangeError)
    expect(() => rfmCutoffs({ recency: [1, 2], frequency: [1], monetary: [1, 2] })).toThrow(RangeError)
  })
})

describe('RFM segment map', () => {
  it.each<[number, number, number, RfmSegment]>([
    [5, 5, 5, 'Champions'],
    [4, 4, 4, 'Champions'],
    [5, 3, 4, 'Loyal'],
    [3, 5, 5, 'Loyal'],
    [5, 2, 3, 'Potential loyalist'],
    [5, 1, 1, 'New'],
    [4, 1, 2, 'Promising'],
    [3, 2, 3, 'Need attention'],
    [3, 1, 2, 'About to sleep'],
    [2, 4, 5, 'At risk'],
    [1, 3, 3, 'At risk'],
    [1, 4, 4, 'Cannot lose them'],
    [2, 2, 2, 'Hibernating'],
    [1, 2, 3, 'Hibernating'],
    [1, 1, 2, 'Lost'],
  ])('places R %i, F %i, M %i in %s', (r, f, m, segment) => {
    expect(rfmSegment(r, f, m)).toBe(segment)
  })

  it('reads F and M only through their mean', () => {
    expect(rfmSegment(3, 1, 3)).toBe(rfmSegment(3, 2, 2))
    expect(rfmSegment(1, 5, 3)).toBe(rfmSegment(1, 4, 4))
  })

  it('reaches every one of the 11 segments', () => {
    const seen = new Set<RfmSegment>()
    for (const r of range(5))
      for (const f of range(5)) for (const m of range(5)) seen.add(rfmSegment(r, f, m))
    expect(seen.size).toBe(11)
  })

  it('exports the map it uses, one row per R score and one column per FM band', () => {
    expect(Object.keys(RFM_SEGMENT_MAP).sort()).toEqual(['1', '2', '3', '4', '5'])
    expect(RFM_SEGMENT_MAP[5][3]).toBe(rfmSegment(5, 4, 4))
  })

  it('rejects scores that are not quintiles', () => {
    expect(() => rfmSegment(6, 1, 1)).toThrow(RangeError)
    expect(() => rfmSegment(3, 0, 1)).toThrow(RangeError)
    expect(() => rfmSegment(3, 2.5, 1)).toThrow(RangeError)
  })
})
