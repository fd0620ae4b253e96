/**
 * BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").
 * Formulas and numerical choices follow MODELS.md: the fit optimises log-parameters, the
 * likelihood runs over grouped (x, t_x, T) patterns with the lgamma terms computed once per
 * distinct x, and the conditional expectation uses the Euler-transformed hypergeometric form.
 */
import digamma from '@stdlib/math-base-special-digamma'
import gammaln from '@stdlib/math-base-special-gammaln'
import hyp2f1 from '@stdlib/math-base-special-hyp2f1'
import { expectedIfAliveByQuadrature } from './bgnbd-quadrature.ts'
import { type MinimizeOptions, minimizeFromStarts, type Objective } from './optimize.ts'
import { ValueIndex } from './value-index.ts'

export type BgNbdParams = {
  readonly r: number
  readonly alpha: number
  readonly a: number
  readonly b: number
}

/** Customers' frequency and recency, in the model's time unit. */
export type RecencyFrequency = {
  /** Repeat purchase occasions. */
  readonly x: number
  /** Time from the first to the last occasion. */
  readonly tx: number
  /** Time from the first occasion to the as-of date. */
  readonly T: number
}

/** Identical (x, t_x, T) histories grouped; weight is the number of customers sharing it. */
export type BgNbdPattern = RecencyFrequency & { readonly weight: number }

export type BgNbdFit = BgNbdParams & {
  readonly logLikelihood: number
  readonly iterations: number
  /** Euclidean norm of the gradient of the total log-likelihood in the log-parameters. */
  readonly gradientNorm: number
  readonly converged: boolean
}

export type FitOptions = MinimizeOptions & {
  /** Replaces the default starting points. */
  readonly starts?: readonly BgNbdParams[]
}

/** Groups customers with identical (x, t_x, T); t_x is ignored (set to 0) where x = 0. */
export function groupPatterns(customers: Iterable<RecencyFrequency>): BgNbdPattern[] {
  const list = Array.isArray(customers) ? (customers as readonly RecencyFrequency[]) : [...customers]
  return groupPatternColumns(
    Float64Array.from(list, (c) => c.x),
    Float64Array.from(list, (c) => c.tx),
    Float64Array.from(list, (c) => c.T),
  )
}

/**
 * `groupPatterns` of customers given as columns (customer i has x[i], tx[i], T[i]): patterns in order of
 * first appearance, each with the x of its first customer.
 */
export function groupPatternColumns(
  x: ArrayLike<number>,
  tx: ArrayLike<number>,
  T: ArrayLike<number>,
): BgNbdPattern[] {
  const table = group(x, tx, T, true)
  const first = table.first as Int32Array
  return Array.from({ length: table.size }, (_, i) => ({
    x: x[first[i] as number] as number,
    tx: table.txs[table.tx[i] as number] as number,
    T: table.Ts[table.T[i] as number] as number,
    weight: table.weight[i] as number,
  }))
}

/**
 * Patterns as columns, which `fitBgNbd` takes as it takes a list of them: pattern i has x = xs[x[i]],
 * T = Ts[T[i]], t_x = txs[tx[i]] (ignored where x = 0) and the weight weight[i].
 */
export type PatternTable = {
  readonly size: number
  readonly xs: readonly number[]
  readonly Ts: readonly number[]
  readonly txs: readonly number[]
  readonly x: Int32Array
  readonly T: Int32Array
  readonly tx: Int32Array
  readonly weight: Float64Array
  /** The first customer of each pattern, where asked for. */
  readonly first?: Int32Array
}

/**
 * The patterns of `groupPatternColumns` as a PatternTable, without an object per pattern. The distinct
 * x, T and t_x values are numbered as they first appear (a data set has few), so a pattern's key is three
 * small integers in an open-addressing table; customers with x = 0 (whose pattern depends on T alone)
 * are counted per T without it.
 */
export function groupPatternTable(
  x: ArrayLike<number>,
  tx: ArrayLike<number>,
  T: ArrayLike<number>,
): PatternTable {
  return group(x, tx, T, false)
}

function group(
  x: ArrayLike<number>,
  tx: ArrayLike<number>,
  T: ArrayLike<number>,
  withFirst: boolean,
): PatternTable {
  const n = x.length
  if (tx.length !== n || T.length !== n) throw new RangeError('x, tx and T must have the same length')
  const xIndex = new ValueIndex()
  const tIndex = new ValueIndex()
  const txIndex = new ValueIndex()
  let repeat = 0
  for (let i = 0; i < n; i++) if ((x[i] as number) !== 0) repeat++
  // 4 words a slot: pattern + 1 (0 when empty), then the x, T and t_x numbers; at most 3/4 full. Sized
  // for as many patterns as repeat customers, which saves growing it on the way.
  let slotMask = (1 << 10) - 1
  while (3 * slotMask < 4 * repeat && slotMask < 1 << 24) slotMask = (slotMask << 1) | 1
  let slots = new Int32Array(4 * (slotMask + 1))
  let repeatPatterns = 0
  // Pattern + 1 of the x = 0 customers of each T number.
  let zeroPattern = new Int32Array(1024)
  const patternX = new Int32Array(n)
  const patternT = new Int32Array(n)
  const patternTx = new Int32Array(n)
  const weight = new Float64Array(n)
  const first = new Int32Array(withFirst ? n : 0)
  let size = 0
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number
    const k0 = xIndex.of(xi)
    const k1 = tIndex.of(T[i] as number)
    if (xi === 0) {
      if (k1 >= zeroPattern.length) {
        const bigger = new Int32Array(2 * k1 + 2)
        bigger.set(zeroPattern)
        zeroPattern = bigger
      }
      const known = zeroPattern[k1] as number
      if (known > 0) {
        weight[known - 1] = (weight[known - 1] as number) + 1
        continue
      }
      zeroPattern[k1] = size + 1
      patternX[size] = k0
      patternT[size] = k1
      patternTx[size] = txIndex.of(0)
      weight[size] = 1
      if (withFirst) first[size] = i
      size++
      continue
    }
    const k2 = txIndex.of(tx[i] as number)
    let slot = patternHash(k0, k1, k2) & slotMask
    for (;;) {
      const at = slot << 2
      const entry = slots[at] as number
      if (entry === 0) {
        slots[at] = size + 1
        slots[at + 1] = k0
        slots[at + 2] = k1
        slots[at + 3] = k2
        patternX[size] = k0
        patternT[size] = k1
        patternTx[size] = k2
        weight[size] = 1
        if (withFirst) first[size] = i
        size++
        repeatPatterns++
        break
      }
      if (slots[at + 1] === k0 && slots[at + 2] === k1 && slots[at + 3] === k2) {
        weight[entry - 1] = (weight[entry - 1] as number) + 1
        break
      }
      slot = (slot + 1) & slotMask
    }
    if (4 * repeatPatterns > 3 * slotMask) {
      const bigger = new Int32Array(slots.length * 2)
      slotMask = (slotMask << 1) | 1
      for (let at = 0; at < slots.length; at += 4) {
        if (slots[at] === 0) continue
        let s =
          patternHash(slots[at + 1] as number, slots[at + 2] as number, slots[at + 3] as number) & slotMask
        while (bigger[s << 2] !== 0) s = (s + 1) & slotMask
        bigger.set(slots.subarray(at, at + 4), s << 2)
      }
      slots = bigger
    }
  }
  return {
    size,
    xs: xIndex.values,
    Ts: tIndex.values,
    txs: txIndex.values,
    // Views, not copies: the fit's memory is mostly allocated here, and a copy would be more of it.
    x: patternX.subarray(0, size),
    T: patternT.subarray(0, size),
    tx: patternTx.subarray(0, size),
    weight: weight.subarray(0, size),
    ...(withFirst ? { first: first.subarray(0, size) } : {}),
  }
}

/** A list of patterns as a PatternTable (t_x numbered only where x > 0). */
function tableOfPatterns(patterns: readonly BgNbdPattern[]): PatternTable {
  const n = patterns.length
  const xIndex = new ValueIndex()
  const tIndex = new ValueIndex()
  const txIndex = new ValueIndex()
  const table = {
    size: n,
    xs: xIndex.values,
    Ts: tIndex.values,
    txs: txIndex.values,
    x: new Int32Array(n),
    T: new Int32Array(n),
    tx: new Int32Array(n),
    weight: new Float64Array(n),
  }
  for (let i = 0; i < n; i++) {
    const { x, tx, T, weight } = patterns[i] as BgNbdPattern
    table.x[i] = xIndex.of(x)
    table.T[i] = tIndex.of(T)
    table.tx[i] = x > 0 ? txIndex.of(tx) : -1
    table.weight[i] = weight
  }
  return table
}

function patternHash(k0: number, k1: number, k2: number): number {
  let h = Math.imul(k0, 0x9e3779b1) ^ Math.imul(k1, 0x85ebca6b) ^ Math.imul(k2, 0xc2b2ae35)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 12)
}

/** Total log-likelihood of the patterns (weighted by their counts). */
export function bgNbdLogLikelihood(params: BgNbdParams, patterns: readonly BgNbdPattern[]): number {
  const prepared = prepare(patterns)
  return evaluate(prepared, params, undefined)
}

/** Gradient of the total log-likelihood with respect to each parameter. */
export function bgNbdLogLikelihoodGradient(
  params: BgNbdParams,
  patterns: readonly BgNbdPattern[],
): BgNbdParams {
  const gradient = [0, 0, 0, 0]
  evaluate(prepare(patterns), params, gradient)
  const [r = 0, alpha = 0, a = 0, b = 0] = gradient
  return { r, alpha, a, b }
}

/**
 * Maximum-likelihood fit. Runs BFGS in the log-parameters from several starting points (on a
 * subsample of the patterns when there are many), continues the best to full convergence on all
 * patterns, and reports whether that run met the gradient or relative-change criterion. The search
 * stays within e^-20..e^20 for each parameter; where the likelihood keeps rising towards that
 * bound (a handful of customers, or no visible dropout) the result has converged = false.
 */
export function fitBgNbd(
  patterns: readonly BgNbdPattern[] | PatternTable,
  options: FitOptions = {},
): BgNbdFit {
  const table = Array.isArray(patterns) ? tableOfPatterns(patterns) : (patterns as PatternTable)
  const prepared = prepareTable(table, 1)
  if (prepared.totalWeight === 0) throw new RangeError('no customers to fit')
  const scale = prepared.meanT > 0 ? prepared.meanT : 1
  const starts = options.starts ?? [
    { r: 1, alpha: scale, a: 1, b: 1 },
    { r: 0.5, alpha: scale / 4, a: 0.5, b: 2 },
    { r: 2, alpha: 2 * scale, a: 2, b: 5 },
  ]
  const screening =
    table.size > SCREENING_PATTERNS
      ? prepareTable(table, Math.ceil(table.size / SCREENING_PATTERNS))
      : undefined
  const { best } = minimizeFromStarts(
    objective(prepared),
    starts.map((s) => [Math.log(s.r), Math.log(s.alpha), Math.log(s.a), Math.log(s.b)]),
    { ...options, ...(screening === undefined ? {} : { screeningObjective: objective(screening) }) },
  )
  const n = prepared.totalWeight
  return {
    ...fromLog(best.point),
    logLikelihood: -best.value * n,
    iterations: best.iterations,
    gradientNorm: n * Math.hypot(...best.gradient),
    converged: best.converged,
  }
}

/** Probability that a customer with this history is still active at T. */
export function pAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1
  const { r, alpha, a, b } = params
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx))
  return 1 / (1 + Math.exp(logOdds))
}

/**
 * Expected repeat purchases in (T, T + t] given the history. The model's expression has a
 * removable singularity at a = 1; within A_ONE_WINDOW of it the value is interpolated linearly
 * between a = 1 - window and a = 1 + window (error of order window^2).
 */
export function expectedPurchases(params: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  if (t <= 0) return 0
  return expectedIfAlive(params, x, T, t) * pAlive(params, x, tx, T)
}

/** Expected purchases in (0, t] of a customer just acquired (excluding the acquiring purchase). */
export function expectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  if (t <= 0) return 0
  return expectedIfAlive(params, 0, 0, t)
}

const MAX_LOG_PARAM = 20
const SERIES_TERMS = 100_000
/** Above this many patterns, starting points are compared on a subsample. */
const SCREENING_PATTERNS = 20_000
const A_ONE_WINDOW = 1e-4
const infeasible = { value: Number.POSITIVE_INFINITY, gradient: [0, 0, 0, 0] }

/** Mean negative log-likelihood in the log-parameters (scale-free tolerances), with its gradient. */
function objective(data: Prepared): Objective {
  const gradient = [0, 0, 0, 0]
  const n = data.totalWeight
  return (theta) => {
    if (theta.some((v) => !(Math.abs(v) <= MAX_LOG_PARAM))) return infeasible
    const params = fromLog(theta)
    const ll = evaluate(data, params, gradient)
    return {
      value: -ll / n,
      gradient: [
        (-(gradient[0] ?? 0) * params.r) / n,
        (-(gradient[1] ?? 0) * params.alpha) / n,
        (-(gradient[2] ?? 0) * params.a) / n,
        (-(gradient[3] ?? 0) * params.b) / n,
      ],
    }
  }
}

function fromLog(theta: readonly number[]): BgNbdParams {
  return {
    r: Math.exp(theta[0] ?? 0),
    alpha: Math.exp(theta[1] ?? 0),
    a: Math.exp(theta[2] ?? 0),
    b: Math.exp(theta[3] ?? 0),
  }
}

/**
 * Expected purchases in (T, T + t] of a customer known to be alive at T (depends on x and T, not t_x):
 * (a+b+x-1)/(a-1) * [1 - (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z)], z = t/(alpha+T+t).
 */
export function expectedIfAlive(params: BgNbdParams, x: number, T: number, t: number): number {
  const closed = closedForm(params, x, T, t)
  // The expectation lies in [0, E[lambda] t]; outside it (or NaN) the closed form has met one of its
  // poles, which degenerate fits reach, and the integral it stands for is evaluated instead.
  const bound = ((params.r + x) * t) / (params.alpha + T)
  if (closed >= 0 && closed <= bound * (1 + 1e-9)) return closed
  return expectedIfAliveByQuadrature(params, x, T, t)
}

function closedForm(params: BgNbdParams, x: number, T: number, t: number): number {
  const { a } = params
  if (Math.abs(a - 1) >= A_ONE_WINDOW) return bracketTerm(params, x, T, t)
  const below = bracketTerm({ ...params, a: 1 - A_ONE_WINDOW }, x, T, t)
  const above = bracketTerm({ ...params, a: 1 + A_ONE_WINDOW }, x, T, t)
  return below + ((a - (1 - A_ONE_WINDOW)) / (2 * A_ONE_WINDOW)) * (above - below)
}

/**
 * The two forms of MODELS.md are equal, and each is safe where the other can overflow: Euler's
 * form where x is large (the direct 2F1(r+x, ...) grows like e^(x z)), the direct form where a is
 * large (2F1(a+b-1-r, a-1, ...) grows like e^(a z) while its factor (1-z)^(a-1) underflows). The
 * Cephes routine gives up (NaN) when parameters differ by more than ~10^4, which happens for the
 * extreme parameters fitted to degenerate data (a handful of customers); then the direct form is
 * summed as a series of positive terms in log space.
 */
function bracketTerm(params: BgNbdParams, x: number, T: number, t: number): number {
  const { r, alpha, a, b } = params
  const z = t / (alpha + T + t)
  const c = a + b + x - 1
  // ln(1 - z) = -ln(1 + t/(alpha+T)), exact where z is close to 1.
  const logOneMinusZ = -Math.log1p(t / (alpha + T))
  let factor = Math.exp((a - 1) * logOneMinusZ) * hyp2f1(a + b - 1 - r, a - 1, c, z)
  if (!Number.isFinite(factor)) factor = Math.exp((r + x) * logOneMinusZ) * hyp2f1(r + x, b + x, c, z)
  if (!Number.isFinite(factor)) factor = directSeries(r + x, b + x, c, z, logOneMinusZ)
  return (c / (a - 1)) * (1 - factor)
}

/** (1-z)^k 2F1(k, m; c; z) for k, m, c > 0 by its power series, each term kept as a logarithm. */
function directSeries(k: number, m: number, c: number, z: number, logOneMinusZ: number): number {
  if (!(c > 0 && z > 0)) return Number.NaN
  const logZ = Math.log(z)
  let term = k * logOneMinusZ
  let peak = term
  let scaled = 1 // sum of exp(term - peak)
  for (let n = 0; n < SERIES_TERMS; n++) {
    const logRatio = Math.log(k + n) + Math.log(m + n) - Math.log(c + n) - Math.log(n + 1) + logZ
    term += logRatio
    if (term > peak) {
      scaled = scaled * Math.exp(peak - term) + 1
      peak = term
    } else {
      scaled += Math.exp(term - peak)
    }
    // Past the largest term the ratios only fall, so the rest is below e^-40 of the sum.
    if (logRatio < 0 && term < peak - 40) return Math.exp(peak + Math.log(scaled))
  }
  return Number.NaN
}

type Prepared = {
  readonly totalWeight: number
  readonly meanT: number
  /** Distinct x values and the total weight of each. */
  readonly xs: Float64Array
  readonly weightPerX: Float64Array
  /** Distinct T values, and the weight of x = 0 patterns at each (they depend on T alone). */
  readonly Ts: Float64Array
  readonly zeroWeightPerT: Float64Array
  /** Distinct t_x values of x > 0 patterns. */
  readonly txs: Float64Array
  /** The x > 0 patterns, as indexes into xs, Ts and txs. */
  readonly patternX: Int32Array
  readonly patternT: Int32Array
  readonly patternTx: Int32Array
  readonly patternWeight: Float64Array
}

function prepare(patterns: readonly BgNbdPattern[]): Prepared {
  return prepareTable(tableOfPatterns(patterns), 1)
}

/**
 * The patterns of the table for `evaluate`; with `k` > 1, a subsample of about size / k patterns
 * standing for all: patterns of weight at least k are kept, every k-th of the lighter ones is kept
 * with k times its weight.
 */
function prepareTable(table: PatternTable, k: number): Prepared {
  // Distinct values numbered in order of first appearance among the patterns kept (the order the sums
  // of `evaluate` run in), through maps from the table's numbers.
  const xNumber = new Int32Array(table.xs.length).fill(-1)
  const tNumber = new Int32Array(table.Ts.length).fill(-1)
  const txNumber = new Int32Array(table.txs.length).fill(-1)
  const xs: number[] = []
  const Ts: number[] = []
  const txs: number[] = []
  const weightPerX: number[] = []
  const zeroWeightPerT: number[] = []
  const n = table.size
  // Room for the patterns kept: all of them, or the heavy ones and every k-th light one.
  let room = n
  if (k > 1) {
    let light = 0
    for (let i = 0; i < n; i++) if ((table.weight[i] as number) < k) light++
    room = n - light + Math.ceil(light / k)
  }
  const pX = new Int32Array(room)
  const pT = new Int32Array(room)
  const pTx = new Int32Array(room)
  const pW = new Float64Array(room)
  let repeat = 0
  let totalWeight = 0
  let sumT = 0
  let light = 0
  for (let i = 0; i < n; i++) {
    let weight = table.weight[i] as number
    if (k > 1 && weight < k) {
      if (light++ % k !== 0) continue
      weight *= k
    }
    const xk = table.x[i] as number
    const tk = table.T[i] as number
    const x = table.xs[xk] as number
    const T = table.Ts[tk] as number
    if (!Number.isInteger(x) || x < 0) throw new RangeError(`x must be a non-negative integer, got ${x}`)
    if (!(T >= 0) || !Number.isFinite(T)) throw new RangeError(`T must be finite and >= 0, got ${T}`)
    const tx = x > 0 ? (table.txs[table.tx[i] as number] as number) : 0
    if (x > 0 && !(tx >= 0 && tx <= T)) throw new RangeError(`t_x must lie in [0, T], got ${tx} with T ${T}`)
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError(`weight must be >= 0, got ${weight}`)
    const kx = numbered(xNumber, xk, xs, x)
    const kt = numbered(tNumber, tk, Ts, T)
    // A value's weight starts at 0 when it is numbered (the number is the next place).
    weightPerX[kx] = (weightPerX[kx] ?? 0) + weight
    zeroWeightPerT[kt] = (zeroWeightPerT[kt] ?? 0) + (x === 0 ? weight : 0)
    if (x > 0) {
      const ks = numbered(txNumber, table.tx[i] as number, txs, tx)
      pX[repeat] = kx
      pT[repeat] = kt
      pTx[repeat] = ks
      pW[repeat] = weight
      repeat++
    }
    totalWeight += weight
    sumT += weight * T
  }
  return {
    totalWeight,
    meanT: totalWeight > 0 ? sumT / totalWeight : 0,
    xs: Float64Array.from(xs),
    weightPerX: Float64Array.from(weightPerX),
    Ts: Float64Array.from(Ts),
    zeroWeightPerT: Float64Array.from(zeroWeightPerT),
    txs: Float64Array.from(txs),
    patternX: pX.subarray(0, repeat),
    patternT: pT.subarray(0, repeat),
    patternTx: pTx.subarray(0, repeat),
    patternWeight: pW.subarray(0, repeat),
  }
}

/** The number of the table's value k, given the next one (and `value` listed) when it has none yet. */
function numbered(numbers: Int32Array, k: number, values: number[], value: number): number {
  let number = numbers[k] as number
  if (number < 0) {
    number = values.length
    numbers[k] = number
    values.push(value)
  }
  return number
}

/**
 * Log-likelihood; when `gradient` is given, also writes d LL / d(r, alpha, a, b) into it.
 * Cost per call: special functions once per distinct x, logs once per distinct T and t_x, and one
 * exp and one log1p per x > 0 pattern.
 */
function evaluate(data: Prepared, params: BgNbdParams, gradient: number[] | undefined): number {
  const { r, alpha, a, b } = params
  const withGradient = gradient !== undefined
  const logAlpha = Math.log(alpha)
  const logA = Math.log(a)
  const total = data.totalWeight

  // A1 + A2, with the terms constant over customers taken out of the sum.
  let ll = total * (r * logAlpha - gammaln(r) + gammaln(a + b) - gammaln(b))
  let dr = total * logAlpha
  let dAlpha = (total * r) / alpha
  let da = 0
  let db = 0
  if (withGradient) {
    const psiAB = digamma(a + b)
    dr -= total * digamma(r)
    da += total * psiAB
    db += total * (psiAB - digamma(b))
  }
  const { xs, weightPerX } = data
  const nx = xs.length
  // Per distinct x: r + x, ln a - ln(b + x - 1) and 1 / (b + x - 1) for the dropout term A4.
  const rx = new Float64Array(nx)
  const dropoutLog = new Float64Array(nx)
  const inverseB = new Float64Array(nx)
  for (let k = 0; k < nx; k++) {
    const x = xs[k] ?? 0
    const w = weightPerX[k] ?? 0
    rx[k] = r + x
    if (x > 0) {
      dropoutLog[k] = logA - Math.log(b + x - 1)
      inverseB[k] = 1 / (b + x - 1)
    }
    if (w === 0) continue
    ll += w * (gammaln(r + x) + gammaln(b + x) - gammaln(a + b + x))
    if (withGradient) {
      const psiABX = digamma(a + b + x)
      dr += w * digamma(r + x)
      da -= w * psiABX
      db += w * (digamma(b + x) - psiABX)
    }
  }

  // A3 = -(r + x) ln(alpha + T); for x = 0 it is the whole pattern term and depends on T alone.
  const { Ts, zeroWeightPerT, txs } = data
  const logT = new Float64Array(Ts.length)
  const inverseT = new Float64Array(Ts.length)
  for (let k = 0; k < Ts.length; k++) {
    logT[k] = Math.log(alpha + (Ts[k] ?? 0))
    inverseT[k] = 1 / (alpha + (Ts[k] ?? 0))
    const w = zeroWeightPerT[k] ?? 0
    ll -= w * r * (logT[k] ?? 0)
    dr -= w * (logT[k] ?? 0)
    dAlpha -= w * r * (inverseT[k] ?? 0)
  }
  const logTx = new Float64Array(txs.length)
  const inverseTx = new Float64Array(txs.length)
  for (let k = 0; k < txs.length; k++) {
    logTx[k] = Math.log(alpha + (txs[k] ?? 0))
    inverseTx[k] = 1 / (alpha + (txs[k] ?? 0))
  }

  // x > 0: logsumexp(A3, A4) = A3 + softplus(A4 - A3); w4 is the share of the dropout term.
  const { patternX, patternT, patternTx, patternWeight } = data
  const n = patternWeight.length
  let dropoutShare = 0
  for (let i = 0; i < n; i++) {
    const w = patternWeight[i] ?? 0
    const k = patternX[i] ?? 0
    const t = patternT[i] ?? 0
    const s = patternTx[i] ?? 0
    const rxk = rx[k] ?? 0
    const lT = logT[t] ?? 0
    const lTx = logTx[s] ?? 0
    const d = (dropoutLog[k] ?? 0) + rxk * (lT - lTx)
    let softplus: number
    let w4: number
    if (d > 0) {
      const e = Math.exp(-d)
      softplus = d + Math.log1p(e)
      w4 = 1 / (1 + e)
    } else {
      const e = Math.exp(d)
      softplus = Math.log1p(e)
      w4 = e / (1 + e)
    }
    ll += w * (softplus - rxk * lT)
    if (withGradient) {
      const ww4 = w * w4
      dr -= w * lT - ww4 * (lT - lTx)
      dAlpha -= rxk * (w * (inverseT[t] ?? 0) + ww4 * ((inverseTx[s] ?? 0) - (inverseT[t] ?? 0)))
      dropoutShare += ww4
      db -= ww4 * (inverseB[k] ?? 0)
    }
  }
  da += dropoutShare / a
  if (gradient !== undefined) {
    gradient[0] = dr
    gradient[1] = dAlpha
    gradient[2] = da
    gradient[3] = db
  }
  return ll
}
