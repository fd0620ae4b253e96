import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { consumptionPattern, DEFAULT_PATTERN_CONFIG } from '../../../shared/segments/pattern.ts'

/** A straight line with the given mean and slope over n periods. */
const line = (n: number, mean: number, slope: number) =>
  Array.from({ length: n }, (_, x) => mean + slope * (x - (n - 1) / 2))

describe('consumption pattern', () => {
  it('is increasing for spend that rises steadily', () => {
    // Slope 10, mean 35, n 6: relative change 60 / 35.
    const result = consumptionPattern([10, 20, 30, 40, 50, 60])
    expect(result.pattern).toBe('increasing')
    expect(result.relativeChange).toBeCloseTo(60 / 35, 12)
    expect(result.residualCv).toBeCloseTo(0, 12)
  })

  it('is decreasing for spend that falls steadily', () => {
    const result = consumptionPattern([60, 50, 40, 30, 20, 10])
    expect(result.pattern).toBe('decreasing')
    expect(result.relativeChange).toBeCloseTo(-60 / 35, 12)
  })

  it('is decreasing for a customer who stopped buying, with the numbers of the fitted line', () => {
    // Least squares by hand: slope -160/7, mean 40, residuals (20, 40, 60, -200, -40, 120) / 7.
    const result = consumptionPattern([100, 80, 60, 0, 0, 0])
    expect(result.pattern).toBe('decreasing')
    expect(result.relativeChange).toBeCloseTo(((-160 / 7) * 6) / 40, 12)
    expect(result.residualCv).toBeCloseTo(Math.sqrt(61600 / 49 / 6) / 40, 12)
  })

  it('is stable for the same spend every period', () => {
    expect(consumptionPattern(Array<number>(12).fill(50))).toMatchObject({
      pattern: 'stable',
      relativeChange: 0,
      residualCv: 0,
    })
  })

  it('is irregular for a few scattered purchases', () => {
    const result = consumptionPattern([100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 100, 0])
    expect(result.pattern).toBe('irregular')
    expect(result.residualCv).toBeGreaterThan(DEFAULT_PATTERN_CONFIG.maxResidualCv)
  })

  it('is stable for a regular customer whose spend fluctuates without a trend', () => {
    const result = consumptionPattern([50, 60, 45, 55, 50, 52, 48, 58, 47, 53, 50, 55])
    expect(result.pattern).toBe('stable')
    expect(Math.abs(result.relativeChange ?? Number.NaN)).toBeLessThan(0.3)
  })

  it('puts a change just beyond 30% into a trend and just within it into stable', () => {
    // relative change = slope * n / mean = slope * 6 / 100
    expect(consumptionPattern(line(6, 100, 5.1)).pattern).toBe('increasing')
    expect(consumptionPattern(line(6, 100, 4.9)).pattern).toBe('stable')
    expect(consumptionPattern(line(6, 100, -4.9)).pattern).toBe('stable')
    expect(consumptionPattern(line(6, 100, -5.1)).pattern).toBe('decreasing')
  })

  it('has insufficient history with fewer than six periods since the first purchase', () => {
    const result = consumptionPattern([0, 0, 0, 0, 0, 0, 10, 20, 30, 40, 50])
    expect(result).toEqual({
      pattern: 'insufficient history',
      periods: 5,
      activePeriods: 5,
      relativeChange: null,
      residualCv: null,
    })
  })

  it('has insufficient history with only two active periods', () => {
    expect(consumptionPattern([10, 0, 0, 0, 0, 0, 0, 20])).toMatchObject({
      pattern: 'insufficient history',
      periods: 8,
      activePeriods: 2,
    })
  })

  it('has insufficient history without any purchase', () => {
    expect(consumptionPattern([0, 0, 0, 0, 0, 0, 0])).toMatchObject({
      pattern: 'insufficient history',
      periods: 0,
    })
  })

  it('ignores the periods before the first purchase', () => {
    expect(consumptionPattern([0, 0, 0, 10, 20, 30, 40, 50, 60])).toEqual(
      consumptionPattern([10, 20, 30, 40, 50, 60]),
    )
  })

  it('follows the configured minimum of periods', () => {
    const config = { ...DEFAULT_PATTERN_CONFIG, minPeriods: 4 }
    expect(consumptionPattern([10, 20, 30, 40], config).pattern).toBe('increasing')
  })

  const positiveSeries = fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 6, maxLength: 24 })

  it('does not depend on the currency unit: scaling spend keeps the pattern', () => {
    fc.assert(
      fc.property(positiveSeries, fc.integer({ min: 2, max: 1000 }), (series, factor) => {
        const scaled = consumptionPattern(series.map((spend) => spend * factor))
        const original = consumptionPattern(series)
        expect(scaled.relativeChange).toBeCloseTo(original.relativeChange ?? Number.NaN, 9)
        expect(scaled.residualCv).toBeCloseTo(original.residualCv ?? Number.NaN, 9)
      }),
    )
  })

  it('reads a reversed history as the opposite trend with the same scatter', () => {
    fc.assert(
      fc.property(positiveSeries, (series) => {
        const forward = consumptionPattern(series)
        const backward = consumptionPattern([...series].reverse())
        expect(backward.relativeChange).toBeCloseTo(-(forward.relativeChange ?? Number.NaN), 9)
        expect(backward.residualCv).toBeCloseTo(forward.residualCv ?? Number.NaN, 9)
      }),
    )
  })

  it('rejects an empty or non-finite series', () => {
    expect(() => consumptionPattern([])).toThrow(RangeError)
    expect(() => consumptionPattern([1, Number.POSITIVE_INFINITY])).toThrow(RangeError)
  })
})
