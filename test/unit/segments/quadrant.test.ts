import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  contributionThreshold,
  DEFAULT_QUADRANT_CONFIG,
  type QuadrantInput,
  quadrantOf,
} from '../../../shared/segments/quadrant.ts'

const steady = [100, 120, 90, 110, 100, 95]
const oneOff = [600, 0, 0, 0, 0, 0]
const input = (overrides: Partial<QuadrantInput>): QuadrantInput => ({
  contribution: 500,
  series: steady,
  expectedMargin: 50,
  costToServe: 20,
  ...overrides,
})
const THRESHOLD = 400

describe('contribution threshold', () => {
  it('is the 0.8 quantile of the contributions by linear interpolation', () => {
    // numpy.percentile(range(1, 11), 80) = 8.2
    expect(contributionThreshold([5, 2, 9, 1, 10, 3, 8, 4, 7, 6])).toBeCloseTo(8.2, 12)
  })

  it('marks exactly the top 200 of 1,000 distinct contributors as high', () => {
    const contributions = Array.from({ length: 1000 }, (_, i) => i + 1)
    const threshold = contributionThreshold(contributions)
    const high = contributions.filter(
      (c) => quadrantOf(input({ contribution: c }), threshold).highContribution,
    )
    expect(high).toHaveLength(200)
  })

  it('does not depend on the order of the contributions', () => {
    const shuffled = fc
      .array(fc.integer({ min: -100, max: 100 }), { minLength: 1, maxLength: 50 })
      .chain((values) =>
        fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length })),
      )
    fc.assert(
      fc.property(shuffled, fc.double({ min: 0, max: 1, noNaN: true }), ([values, reordered], q) => {
        expect(contributionThreshold(reordered, q)).toBe(contributionThreshold(values, q))
      }),
    )
  })

  it('rejects an empty population', () => {
    expect(() => contributionThreshold([])).toThrow(RangeError)
  })
})

describe('contribution x stability quadrant', () => {
  it('consolidates a high contributor who buys steadily (EI)', () => {
    expect(quadrantOf(input({}), THRESHOLD)).toMatchObject({
      quadrant: 'EI',
      strategy: 'consolidate',
      highContribution: true,
      stable: true,
      activeShare: 1,
      clearOut: null,
    })
  })

  it('turns around a high contributor who bought in one burst (EII)', () => {
    expect(quadrantOf(input({ series: oneOff }), THRESHOLD)).toMatchObject({
      quadrant: 'EII',
      strategy: 'turn around',
      stable: false,
      clearOut: null,
    })
  })

  it('upgrades a low contributor who buys steadily (EIII)', () => {
    expect(quadrantOf(input({ contribution: 50 }), THRESHOLD)).toMatchObject({
      quadrant: 'EIII',
      strategy: 'upgrade',
      clearOut: null,
    })
  })

  it('recommends clearing out an EIV customer whose expected margin does not cover the cost to serve', () => {
    const result = quadrantOf(
      input({ contribution: 50, series: oneOff, expectedMargin: 4, costToServe: 6.5 }),
      THRESHOLD,
    )
    expect(result).toMatchObject({ quadrant: 'EIV', strategy: 'clear out' })
    expect(result.clearOut).toEqual({ recommended: true, expectedMargin: 4, costToServe: 6.5 })
  })

  it('does not recommend clearing out an EIV customer whose expected margin just covers the cost to serve', () => {
    const result = quadrantOf(
      input({ contribution: 50, series: oneOff, expectedMargin: 6.5, costToServe: 6.5 }),
      THRESHOLD,
    )
    expect(result.clearOut?.recommended).toBe(false)
  })

  it('counts a contribution equal to the threshold as high', () => {
    expect(quadrantOf(input({ contribution: THRESHOLD }), THRESHOLD).highContribution).toBe(true)
    expect(quadrantOf(input({ contribution: THRESHOLD - 0.01 }), THRESHOLD).highContribution).toBe(false)
  })

  it('never counts a contribution that is not positive as high', () => {
    expect(quadrantOf(input({ contribution: 0 }), 0).highContribution).toBe(false)
  })

  it('is stable at exactly half the periods active and a CV of exactly 1', () => {
    // [a, 0]: mean a / 2, population sd a / 2.
    const result = quadrantOf(input({ series: [80, 0] }), THRESHOLD)
    expect(result).toMatchObject({ activeShare: 0.5, cv: 1, stable: true })
  })

  it('is unstable with fewer than half the periods active, even when a looser CV limit is met', () => {
    // [10, 10, 0, 0, 0]: CV sqrt(1.5), within a limit of 2.
    const loose = { ...DEFAULT_QUADRANT_CONFIG, maxCv: 2 }
    const result = quadrantOf(input({ series: [10, 10, 0, 0, 0] }), THRESHOLD, loose)
    expect(result).toMatchObject({ activeShare: 0.4, stable: false })
    expect(result.cv).toBeCloseTo(Math.sqrt(1.5), 12)
  })

  it('with the default limits, never finds a CV of at most 1 with fewer than half the periods active', () => {
    // For non-negative spend active in k of n periods, CV^2 >= n / k - 1 (Cauchy-Schwarz).
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 500 }), { minLength: 1, maxLength: 24 }), (series) => {
        const result = quadrantOf(input({ series }), THRESHOLD)
        if (result.cv !== null && result.cv <= 1) expect(result.activeShare).toBeGreaterThanOrEqual(0.5)
      }),
    )
  })

  it('is unstable when spend varies more than its mean', () => {
    // [3, 1, 0, 0]: mean 1, sd sqrt(6 / 4).
    const result = quadrantOf(input({ series: [3, 1, 0, 0] }), THRESHOLD)
    expect(result.activeShare).toBe(0.5)
    expect(result.cv).toBeCloseTo(Math.sqrt(1.5), 12)
    expect(result.stable).toBe(false)
  })

  it('measures the CV with the population standard deviation', () => {
    // [1, 3]: mean 2, population sd 1.
    expect(quadrantOf(input({ series: [1, 3] }), THRESHOLD).cv).toBeCloseTo(0.5, 12)
  })

  it('has no CV, and is unstable, without any spend', () => {
    expect(quadrantOf(input({ series: [0, 0, 0] }), THRESHOLD)).toMatchObject({ cv: null, stable: false })
  })

  it('follows the configured limits', () => {
    const strict = { ...DEFAULT_QUADRANT_CONFIG, minActiveShare: 1 }
    expect(quadrantOf(input({ series: [80, 0] }), THRESHOLD, strict).stable).toBe(false)
  })

  it('rejects an empty series and non-finite numbers', () => {
    expect(() => quadrantOf(input({ series: [] }), THRESHOLD)).toThrow(RangeError)
    expect(() => quadrantOf(input({ series: [1, Number.NaN] }), THRESHOLD)).toThrow(RangeError)
    expect(() => quadrantOf(input({ costToServe: Number.NaN }), THRESHOLD)).toThrow(RangeError)
  })
})
