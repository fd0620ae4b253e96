/**
 * Small descriptive statistics shared by the segment rules. Every function is deterministic and
 * independent of the order of its input.
 */

/** A sorted copy of the values; throws on an empty input or a value that is not a finite number. */
export function sortedFinite(values: ArrayLike<number>, what: string): Float64Array {
  if (values.length === 0) throw new RangeError(`${what} must not be empty`)
  // A typed array is copied as a block; a value at a time from an iterator costs more than the sort.
  const sorted = values instanceof Float64Array ? values.slice() : Float64Array.from(values)
  assertFiniteValues(sorted, what)
  // Sorted numerically, and -0 before +0, so equal inputs give an identical copy.
  return sortNumbers(sorted)
}

/** Below this many values the built-in sort is as fast. */
const RADIX_MIN = 4096
/** Groups of values by the top 16 bits of their sort keys, for `orderStatistics`. */
const GROUPS = 1 << 16
/** Whole numbers from 0 to below this are sorted by counting them. */
const COUNTING_LIMIT = 1 << 16

/**
 * Sorts the values in place into the order of `Float64Array.prototype.sort` (ascending, -0 before +0,
 * NaN last) and returns them. Large arrays are sorted without comparisons, several times faster for a
 * million values: small whole numbers (days, counts) by counting each, other values by their bits.
 */
export function sortNumbers(values: Float64Array): Float64Array {
  const n = values.length
  if (n < RADIX_MIN) return values.sort()
  let largest = 0
  for (let i = 0; i < n; i++) {
    const value = values[i] as number
    if (!(value >= 0 && value < COUNTING_LIMIT && Math.floor(value) === value)) return radixSort(values)
    if (value > largest) largest = value
  }
  const counts = new Uint32Array(largest + 1)
  let negativeZeros = 0
  for (let i = 0; i < n; i++) {
    const value = values[i] as number
    increment(counts, value)
    if (value === 0 && 1 / value < 0) negativeZeros++
  }
  let at = 0
  while (at < negativeZeros) values[at++] = -0
  counts[0] = (counts[0] as number) - negativeZeros
  for (let value = 0; value <= largest; value++) {
    const end = at + (counts[value] as number)
    values.fill(value, at, end)
    at = end
  }
  return values
}

/**
 * Least-significant-digit radix sort of the values' 64 bits as unsigned keys (the sign bit set for a
 * positive value, every bit flipped for a negative one, so that -0 comes just before +0; NaN above all),
 * in six counting passes of 11, 11 and 10 bits of each 32-bit word. A pass is skipped where every value
 * has the same digit.
 */
function radixSort(values: Float64Array): Float64Array {
  const n = values.length
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n)
  // Key i is words 2i (low) and 2i + 1 (high) of `keys`, moved together.
  let keys = new Uint32Array(2 * n)
  let moved = new Uint32Array(2 * n)
  const counts = new Uint32Array(6 * 2048)
  for (let i = 0; i < 2 * n; i += 2) {
    let low = words[i] as number
    let high = words[i + 1] as number
    if (Number.isNaN(values[i >>> 1] as number)) {
      low = 0xffffffff
      high = 0xffffffff
    } else {
      low = high & 0x80000000 ? ~low >>> 0 : low
      high = keyHigh(high)
    }
    keys[i] = low
    keys[i + 1] = high
    increment(counts, low & 0x7ff)
    increment(counts, 2048 + ((low >>> 11) & 0x7ff))
    increment(counts, 4096 + (low >>> 22))
    increment(counts, 6144 + (high & 0x7ff))
    increment(counts, 8192 + ((high >>> 11) & 0x7ff))
    increment(counts, 10240 + (high >>> 22))
  }
  for (let pass = 0; pass < 6; pass++) {
    const base = pass * 2048
    const word = pass < 3 ? 0 : 1
    const shift = (pass % 3) * 11
    if ((counts[base + (((keys[word] as number) >>> shift) & 0x7ff)] as number) === n) continue
    // Counts to starting positions.
    let position = 0
    for (let d = 0; d < 2048; d++) {
      const count = counts[base + d] as number
      counts[base + d] = position
      position += count
    }
    for (let i = 0; i < 2 * n; i += 2) {
      const at = increment(counts, base + (((keys[i + word] as number) >>> shift) & 0x7ff)) << 1
      moved[at] = keys[i] as number
      moved[at + 1] = keys[i + 1] as number
    }
    const sorted = moved
    moved = keys
    keys = sorted
  }
  for (let i = 0; i < 2 * n; i += 2) {
    const low = keys[i] as number
    const high = keys[i + 1] as number
    if (low === 0xffffffff && high === 0xffffffff) {
      values[i >>> 1] = Number.NaN
    } else if (high & 0x80000000) {
      words[i] = low
      words[i + 1] = high & 0x7fffffff
    } else {
      words[i] = ~low
      words[i + 1] = ~high
    }
  }
  return values
}

/**
 * Quantile of sorted values by linear interpolation between order statistics (Hyndman and Fan
 * type 7, the default of R, NumPy and spreadsheet PERCENTILE.INC): position (n - 1) p.
 */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const { lo, hi, h } = quantilePosition(sorted.length, p)
  return interpolate(sorted[lo] as number, sorted[hi] as number, h - lo)
}

/** `quantileOfSorted` of the values in any order, without sorting them all (see `orderStatistics`). */
export function quantileFinite(values: ArrayLike<number>, p: number, what: string): number {
  if (values.length === 0) throw new RangeError(`${what} must not be empty`)
  const { lo, hi, h } = quantilePosition(values.length, p)
  const [low, high] = orderStatistics(values, [lo, hi], what) as [number, number]
  return interpolate(low, high, h - lo)
}

function quantilePosition(n: number, p: number): { lo: number; hi: number; h: number } {
  if (n === 0) throw new RangeError('no values')
  if (!(p >= 0 && p <= 1)) throw new RangeError('quantile must be in [0, 1]')
  // A decimal p can miss a whole position by an ulp (100 * 0.07 = 7.000000000000001); snapping
  // keeps order statistics exact, so a value tied with the quantile compares equal to it.
  const raw = (n - 1) * p
  const whole = Math.round(raw)
  const h = Math.abs(raw - whole) <= 1e-9 * Math.max(1, raw) ? whole : raw
  const lo = Math.floor(h)
  return { lo, hi: Math.min(lo + 1, n - 1), h }
}

function interpolate(low: number, high: number, fraction: number): number {
  return low === high ? low : low + fraction * (high - low)
}

/**
 * The values at the given 0-based positions of `sortedFinite(values, what)`, with its errors, without
 * sorting every value: one pass counts the values by the top 16 bits of their sort keys (see
 * `radixSort`), a second gathers those of the few groups holding the positions, and only these are
 * sorted.
 */
export function orderStatistics(
  values: ArrayLike<number>,
  positions: readonly number[],
  what: string,
): number[] {
  const n = values.length
  if (n === 0) throw new RangeError(`${what} must not be empty`)
  for (const position of positions) {
    if (!(Number.isInteger(position) && position >= 0 && position < n)) {
      throw new RangeError(`position ${position} is outside 0 to ${n - 1}`)
    }
  }
  const column = values instanceof Float64Array ? values : Float64Array.from(values)
  assertFiniteValues(column, what)
  if (n < RADIX_MIN) {
    const sorted = sortNumbers(column.slice())
    return positions.map((position) => sorted[position] as number)
  }
  const words = new Uint32Array(column.buffer, column.byteOffset, 2 * n)
  const group = (i: number) => keyHigh(words[2 * i + 1] as number) >>> 16
  const starts = new Uint32Array(GROUPS + 1)
  for (let i = 0; i < n; i++) increment(starts, group(i) + 1)
  for (let g = 0; g < GROUPS; g++) starts[g + 1] = (starts[g + 1] as number) + (starts[g] as number)
  // The group of each position: the last whose start is at or before it.
  const groupOf = positions.map((position) => {
    let lo = 0
    let hi = GROUPS - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if ((starts[mid] as number) <= position) lo = mid
      else hi = mid - 1
    }
    return lo
  })
  // The values of each needed group, gathered at its place in the sorted order.
  const needed = new Uint8Array(GROUPS)
  for (const g of groupOf) needed[g] = 1
  const gathered = new Float64Array(n)
  const next = starts.slice()
  for (let i = 0; i < n; i++) {
    const g = group(i)
    if (needed[g] === 1) gathered[increment(next, g)] = column[i] as number
  }
  for (let g = 0; g < GROUPS; g++) {
    if (needed[g] === 1) sortNumbers(gathered.subarray(starts[g] as number, starts[g + 1] as number))
  }
  return positions.map((position) => gathered[position] as number)
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
  assertFiniteValues(series, what)
}

export function assertShare(value: number, what: string): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${what} must be in [0, 1]`)
}

/** How many of the values from `from` on are above 0 (the active periods of a spend series). */
export function countPositive(values: readonly number[], from = 0): number {
  let count = 0
  for (let k = from; k < values.length; k++) if ((values[k] as number) > 0) count++
  return count
}

/**
 * The high word of a finite value's sort key, from the high word of its bits: the sign bit set for a
 * positive value, every bit flipped for a negative one, so that the keys order as the values do.
 */
function keyHigh(high: number): number {
  return (high & 0x80000000 ? ~high : high | 0x80000000) >>> 0
}

function assertFiniteValues(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) throw new RangeError(`${what} must be finite numbers`)
  }
}

/** Adds 1 to a count; returns the count before. */
function increment(counts: Uint32Array, at: number): number {
  const count = counts[at] as number
  counts[at] = count + 1
  return count
}
