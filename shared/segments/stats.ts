/**
 * Small descriptive statistics shared by the segment rules. Every function is deterministic and
 * independent of the order of its input.
 */

/** A sorted copy of the values; throws on an empty input or a value that is not a finite number. */
export function sortedFinite(values: ArrayLike<number>, what: string): Float64Array {
  if (values.length === 0) throw new RangeError(`${what} must not be empty`)
  const sorted = Float64Array.from(values)
  for (const value of sorted) {
    if (!Number.isFinite(value)) throw new RangeError(`${what} must be finite numbers`)
  }
  // A typed array sorts numerically, and -0 before +0, so equal inputs give an identical copy.
  return sorted.sort()
}

/**
 * Quantile of sorted values by linear interpolation between order statistics (Hyndman and Fan
 * type 7, the default of R, NumPy and spreadsheet PERCENTILE.INC): position (n - 1) p.
 */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) throw new RangeError('no values')
  if (!(p >= 0 && p <= 1)) throw new RangeError('quantile must be in [0, 1]')
  // A decimal p can miss a whole position by an ulp (100 * 0.07 = 7.000000000000001); snapping
  // keeps order statistics exact, so a value tied with the quantile compares equal to it.
  const raw = (n - 1) * p
  const whole = Math.round(raw)
  const h = Math.abs(raw - whole) <= 1e-9 * Math.max(1, raw) ? whole : raw
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, n - 1)
  const low = sorted[lo] as number
  const high = sorted[hi] as number
  return low === high ? low : low + (h - lo) * (high - low)
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i] as number
  return sum / values.length
}

/** Population standard deviation (divisor n): the series is the whole window, not a sample of it. */
export function populationSd(values: ArrayLike<number>, centre: number = mean(values)): number {
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - centre
    sum += d * d
  }
  return Math.sqrt(sum / values.length)
}

/** Coefficient of variation sd / mean; null when the mean is not positive (the ratio means nothing). */
export function coefficientOfVariation(values: ArrayLike<number>): number | null {
  const centre = mean(values)
  return centre > 0 ? populationSd(values, centre) / centre : null
}

export function assertFiniteSeries(series: readonly number[], what: string): void {
  if (series.length === 0) throw new RangeError(`${what} must have at least one period`)
  for (const value of series) {
    if (!Number.isFinite(value)) throw new RangeError(`${what} must be finite numbers`)
  }
}

export function assertShare(value: number, what: string): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${what} must be in [0, 1]`)
}
