/**
 * Contribution x stability quadrants of existing customers.
 *
 * | quadrant | contribution | stability | strategy    |
 * |----------|--------------|-----------|-------------|
 * | EI       | high         | stable    | consolidate |
 * | EII      | high         | unstable  | turn around (find out why they drift) |
 * | EIII     | low          | stable    | upgrade     |
 * | EIV      | low          | unstable  | clear out, after a cost-benefit check |
 *
 * Rules:
 * - Contribution is high when it is positive and at least the population threshold
 *   (`contributionThreshold`: the `contributionQuantile` quantile of all contributions, by default
 *   the 0.8 quantile, i.e. the top 20% of contributors). A tie with the threshold is high.
 * - The series is spend per period over the lookback window (months or quarters), oldest first,
 *   zeros for periods without purchases. Stable when active periods (spend > 0) are at least
 *   `minActiveShare` of the window AND the coefficient of variation of the series (population sd /
 *   mean, zero periods included) is at most `maxCv`. A series whose mean is not positive has no
 *   CV (null) and is unstable. For non-negative spend active in k of n periods,
 *   CV^2 >= n / k - 1, so with the defaults (CV <= 1) the active-share test is implied by the CV
 *   test; it binds when `maxCv` is above 1 or `minActiveShare` above 0.5, and names the cause in
 *   reasons.
 * - EIV carries a cost-benefit check: clearing out is recommended only when the expected margin
 *   does not cover the cost to serve (expected margin < cost to serve).
 */
import {
  assertFiniteSeries,
  assertShare,
  coefficientOfVariation,
  countPositive,
  quantileFinite,
} from './stats.ts'

export type Quadrant = 'EI' | 'EII' | 'EIII' | 'EIV'

export const QUADRANT_STRATEGY = {
  EI: 'consolidate',
  EII: 'turn around',
  EIII: 'upgrade',
  EIV: 'clear out',
} as const satisfies Record<Quadrant, string>

export type QuadrantStrategy = (typeof QUADRANT_STRATEGY)[Quadrant]

export type QuadrantConfig = {
  /** Smallest share of periods with a purchase for a stable customer. */
  readonly minActiveShare: number
  /** Largest coefficient of variation of the spend series for a stable customer. */
  readonly maxCv: number
  /** Quantile of the population's contributions from which a contribution is high. */
  readonly contributionQuantile: number
}

export const DEFAULT_QUADRANT_CONFIG: QuadrantConfig = {
  /** Buying in at least every other period is a habit; less is occasional. */
  minActiveShare: 0.5,
  /** A spread as large as the mean is the usual line between low and high variability. */
  maxCv: 1.0,
  /** The top 20% of contributors, the same 20/80 reading as the value tiers. */
  contributionQuantile: 0.8,
}

export type QuadrantInput = {
  /** Margin over the lookback window. */
  readonly contribution: number
  /** Spend per period over the lookback window, oldest first, zeros for empty periods. */
  readonly series: readonly number[]
  /** Expected margin from the customer over the planning horizon, for the EIV check. */
  readonly expectedMargin: number
  /** Cost to serve the customer over the same horizon, for the EIV check. */
  readonly costToServe: number
}

export type ClearOutCheck = {
  /** True only when the expected margin does not cover the cost to serve. */
  readonly recommended: boolean
  readonly expectedMargin: number
  readonly costToServe: number
}

export type QuadrantResult = {
  readonly quadrant: Quadrant
  readonly strategy: QuadrantStrategy
  readonly stable: boolean
  readonly highContribution: boolean
  readonly contribution: number
  /** The population threshold the contribution was compared with. */
  readonly threshold: number
  readonly periods: number
  readonly activePeriods: number
  readonly activeShare: number
  /** Coefficient of variation of the series; null when its mean is not positive. */
  readonly cv: number | null
  /** The cost-benefit check, for EIV only; null in the other quadrants. */
  readonly clearOut: ClearOutCheck | null
}

/** The `quantile` quantile (linear interpolation, type 7) of all contributions, in any order. */
export function contributionThreshold(
  contributions: ArrayLike<number>,
  quantile: number = DEFAULT_QUADRANT_CONFIG.contributionQuantile,
): number {
  assertShare(quantile, 'contributionQuantile')
  return quantileFinite(contributions, quantile, 'contributions')
}

export function quadrantOf(
  input: QuadrantInput,
  threshold: number,
  config: QuadrantConfig = DEFAULT_QUADRANT_CONFIG,
): QuadrantResult {
  const { contribution, series, expectedMargin, costToServe } = input
  if (
    !(
      Number.isFinite(contribution) &&
      Number.isFinite(threshold) &&
      Number.isFinite(expectedMargin) &&
      Number.isFinite(costToServe)
    )
  ) {
    throw new RangeError('contribution, threshold, expectedMargin and costToServe must be finite numbers')
  }
  assertFiniteSeries(series, 'series')
  assertShare(config.minActiveShare, 'minActiveShare')
  if (!(config.maxCv >= 0)) throw new RangeError('maxCv must not be negative')

  const activePeriods = countPositive(series)
  const activeShare = activePeriods / series.length
  const cv = coefficientOfVariation(series)
  const stable = activeShare >= config.minActiveShare && cv !== null && cv <= config.maxCv
  const highContribution = contribution > 0 && contribution >= threshold
  const quadrant: Quadrant = highContribution ? (stable ? 'EI' : 'EII') : stable ? 'EIII' : 'EIV'
  return {
    quadrant,
    strategy: QUADRANT_STRATEGY[quadrant],
    stable,
    highContribution,
    contribution,
    threshold,
    periods: series.length,
    activePeriods,
    activeShare,
    cv,
    clearOut:
      quadrant === 'EIV' ? { recommended: expectedMargin < costToServe, expectedMargin, costToServe } : null,
  }
}
