/**
 * Consumption pattern of a customer from spend per period (months or quarters), oldest first,
 * zeros for periods without purchases.
 *
 * Test, in this order:
 * 1. The window starts at the first active period (spend > 0); earlier periods are not the
 *    customer's history yet. Fewer than `minPeriods` periods in it, or fewer than
 *    `minActivePeriods` active periods: 'insufficient history'.
 * 2. Fit a least-squares line to the window (period index 0 .. n - 1). Relative change =
 *    slope * n / mean: the change over the window's length relative to mean spend per period.
 *    Residual CV = root-mean-square residual (divisor n) / mean: the scatter around the line.
 * 3. Residual CV above `maxResidualCv` (or a mean that is not positive): 'irregular', since the
 *    trend of a scattered series says little.
 * 4. Relative change above +`changeThreshold`: 'increasing'; below -`changeThreshold`:
 *    'decreasing'; otherwise (boundaries included) 'stable'.
 */
import { assertFiniteSeries, countPositive } from './stats.ts'

export type ConsumptionPattern = 'increasing' | 'stable' | 'decreasing' | 'irregular' | 'insufficient history'

export type PatternConfig = {
  /** Fewest periods since the first purchase for a pattern. */
  readonly minPeriods: number
  /** Fewest active periods for a pattern. */
  readonly minActivePeriods: number
  /** Relative change over the window beyond which spend is increasing or decreasing. */
  readonly changeThreshold: number
  /** Largest residual CV for a trend to be read; above it the pattern is irregular. */
  readonly maxResidualCv: number
}

export const DEFAULT_PATTERN_CONFIG: PatternConfig = {
  /** Half a year of months: with fewer points a fitted line is mostly noise. */
  minPeriods: 6,
  /** A line through one or two purchases is not a pattern. */
  minActivePeriods: 3,
  /** A change of less than 30% of mean spend over the window is within normal fluctuation. */
  changeThreshold: 0.3,
  /** Scatter around the trend as large as mean spend leaves the trend unreadable. */
  maxResidualCv: 1.0,
}

export type PatternResult = {
  readonly pattern: ConsumptionPattern
  /** Periods from the first active period to the end of the series (0 without any purchase). */
  readonly periods: number
  readonly activePeriods: number
  /** slope * n / mean; null when insufficient history or the mean is not positive. */
  readonly relativeChange: number | null
  /** RMS residual / mean; null when insufficient history or the mean is not positive. */
  readonly residualCv: number | null
}

export function consumptionPattern(
  series: readonly number[],
  config: PatternConfig = DEFAULT_PATTERN_CONFIG,
): PatternResult {
  assertFiniteSeries(series, 'series')
  // The window runs from the first period with a purchase to the last period (plain loops: this runs
  // for every customer of every run).
  let first = 0
  while (first < series.length && !((series[first] as number) > 0)) first++
  const n = first < series.length ? series.length - first : 0
  const activePeriods = countPositive(series, first)
  // The fields written out rather than spread: a spread copies them by a slow generic path.
  if (n < config.minPeriods || activePeriods < config.minActivePeriods || n < 2) {
    return {
      pattern: 'insufficient history',
      periods: n,
      activePeriods,
      relativeChange: null,
      residualCv: null,
    }
  }

  const { slope, intercept, mean } = leastSquares(series, first)
  if (!(mean > 0))
    return { pattern: 'irregular', periods: n, activePeriods, relativeChange: null, residualCv: null }
  let squares = 0
  for (let x = 0; x < n; x++) {
    const residual = (series[first + x] as number) - (intercept + slope * x)
    squares += residual * residual
  }
  const residualCv = Math.sqrt(squares / n) / mean
  const relativeChange = (slope * n) / mean
  const pattern: ConsumptionPattern =
    residualCv > config.maxResidualCv
      ? 'irregular'
      : relativeChange > config.changeThreshold
        ? 'increasing'
        : relativeChange < -config.changeThreshold
          ? 'decreasing'
          : 'stable'
  return { pattern, periods: n, activePeriods, relativeChange, residualCv }
}

/** Least-squares line through (i, y_(from + i)), i = 0 .. n - 1, for the values from `from` on. */
function leastSquares(
  y: readonly number[],
  from: number,
): { slope: number; intercept: number; mean: number } {
  const n = y.length - from
  const xMean = (n - 1) / 2
  let yMean = 0
  for (let k = from; k < y.length; k++) yMean += y[k] as number
  yMean /= n
  let sxy = 0
  let sxx = 0
  for (let x = 0; x < n; x++) {
    sxy += (x - xMean) * ((y[from + x] as number) - yMean)
    sxx += (x - xMean) * (x - xMean)
  }
  const slope = sxy / sxx
  return { slope, intercept: yMean - slope * xMean, mean: yMean }
}
