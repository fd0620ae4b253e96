/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves"):
 * each occasion's value is Gamma(p, nu) with a customer's nu ~ Gamma(q, v). Fitted on customers
 * with x > 0 and zbar > 0 by BFGS in the log-parameters. The model assumes spend is independent
 * of frequency; `frequencySpendCorrelation` reports how far the data departs from that.
 */
import digamma from '@stdlib/math-base-special-digamma'
import gammaln from '@stdlib/math-base-special-gammaln'
import { type MinimizeOptions, minimizeFromStarts, type Objective } from './optimize.ts'
import { ValueIndex } from './value-index.ts'

export type GammaGammaParams = {
  readonly p: number
  readonly q: number
  readonly v: number
}

/** Repeat occasions and their mean value. */
export type SpendHistory = {
  readonly x: number
  readonly zbar: number
}

export type GammaGammaFit = GammaGammaParams & {
  readonly logLikelihood: number
  /** Customers the fit used (x > 0 and zbar > 0). */
  readonly customers: number
  readonly iterations: number
  /** Euclidean norm of the gradient of the total log-likelihood in the log-parameters. */
  readonly gradientNorm: number
  readonly converged: boolean
}

export type GammaGammaFitOptions = MinimizeOptions & {
  readonly starts?: readonly GammaGammaParams[]
}

/** Total log-likelihood over the customers with x > 0 and zbar > 0 (others are skipped). */
export function gammaGammaLogLikelihood(params: GammaGammaParams, customers: Iterable<SpendHistory>): number {
  return evaluate(prepare(customers), params, undefined)
}

/** Gradient of the total log-likelihood with respect to each parameter. */
export function gammaGammaLogLikelihoodGradient(
  params: GammaGammaParams,
  customers: Iterable<SpendHistory>,
): GammaGammaParams {
  const gradient = [0, 0, 0]
  evaluate(prepare(customers), params, gradient)
  const [p = 0, q = 0, v = 0] = gradient
  return { p, q, v }
}

export function fitGammaGamma(
  customers: Iterable<SpendHistory>,
  options: GammaGammaFitOptions = {},
): GammaGammaFit {
  return fitPrepared(prepare(customers), options)
}

/**
 * `fitGammaGamma` of customers given as columns, already limited to those it fits on: customer i has
 * x[i] > 0 repeat occasions of mean value zbar[i] > 0 (finite). The columns are kept, not copied.
 */
export function fitGammaGammaColumns(
  x: Float64Array,
  zbar: Float64Array,
  options: GammaGammaFitOptions = {},
): GammaGammaFit {
  if (x.length !== zbar.length) throw new RangeError('x and zbar must have the same length')
  return fitPrepared(fromArrays(x, zbar), options)
}

function fitPrepared(data: Prepared, options: GammaGammaFitOptions): GammaGammaFit {
  const n = data.m.length
  if (n === 0) throw new RangeError('no customers with x > 0 and zbar > 0 to fit')
  const mean = data.meanZbar
  // Each default start has population mean spend v*p/(q-1) equal to the sample mean.
  const starts = options.starts ?? [
    { p: 1, q: 2, v: mean },
    { p: 5, q: 3, v: 0.4 * mean },
    { p: 0.5, q: 1.5, v: mean },
  ]
  const screening = n > SCREENING_CUSTOMERS ? subsample(data) : undefined
  const { best } = minimizeFromStarts(
    objective(data),
    starts.map((s) => [Math.log(s.p), Math.log(s.q), Math.log(s.v)]),
    {
      gradientTolerance: GRADIENT_TOLERANCE,
      ...options,
      ...(screening === undefined ? {} : { screeningObjective: objective(screening) }),
    },
  )
  return {
    ...fromLog(best.point),
    logLikelihood: -best.value * n,
    customers: n,
    iterations: best.iterations,
    gradientNorm: n * Math.hypot(...best.gradient),
    converged: best.converged,
  }
}

/** Population mean spend per occasion, v*p/(q-1); NaN where q <= 1 (the mean does not exist). */
export function populationMeanSpend(params: GammaGammaParams): number {
  const { p, q, v } = params
  return q > 1 ? (v * p) / (q - 1) : Number.NaN
}

/**
 * Expected value of a customer's future occasions: a weighted mean of the population mean and the
 * customer's own zbar. Customers without usable spend history (x = 0, or zbar <= 0 after refunds)
 * get the population mean.
 */
export function expectedSpend(params: GammaGammaParams, x: number, zbar: number): number {
  if (x <= 0 || !(zbar > 0)) return populationMeanSpend(params)
  const { p, q, v } = params
  // (q-1)/(px+q-1) * vp/(q-1) + px/(px+q-1) * zbar, written without dividing by q - 1.
  return (p * (v + x * zbar)) / (p * x + q - 1)
}

/** Pearson correlation of two equally long samples; NaN when either has no variance. */
export function pearsonCorrelation(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const n = xs.length
  if (n !== ys.length) throw new RangeError('samples differ in length')
  if (n < 2) return Number.NaN
  let meanX = 0
  let meanY = 0
  for (let i = 0; i < n; i++) {
    meanX += xs[i] ?? 0
    meanY += ys[i] ?? 0
  }
  meanX /= n
  meanY /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - meanX
    const dy = (ys[i] ?? 0) - meanY
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN
}

/** Correlation of x and zbar over the customers the spend model is fitted on. */
export function frequencySpendCorrelation(customers: Iterable<SpendHistory>): number {
  const data = prepare(customers)
  return pearsonCorrelation(data.x, data.m)
}

const MAX_LOG_PARAM = 30
/**
 * Largest gradient component of the mean negative log-likelihood at which the fit has converged. The
 * mean is known to about 1e-14 (relative), so near the optimum a step can only be told better when it
 * gains more than that: with a curvature of order 1, that is a gradient above about 3e-7. A tighter
 * tolerance (the optimiser's default 1e-7) is then met by luck on small samples and never on a
 * million customers, where the last iterations only chase rounding noise. At 1e-6 the parameters are
 * within about 1e-6 (relative) of the optimum.
 */
const GRADIENT_TOLERANCE = 1e-6
/** Above this many customers, starting points are compared on a subsample. */
const SCREENING_CUSTOMERS = 20_000
const infeasible = { value: Number.POSITIVE_INFINITY, gradient: [0, 0, 0] }

function fromLog(theta: readonly number[]): GammaGammaParams {
  return { p: Math.exp(theta[0] ?? 0), q: Math.exp(theta[1] ?? 0), v: Math.exp(theta[2] ?? 0) }
}

/** Mean negative log-likelihood in the log-parameters, with its gradient. */
function objective(data: Prepared): Objective {
  const gradient = [0, 0, 0]
  const n = data.m.length
  return (theta) => {
    if (theta.some((t) => !(Math.abs(t) <= MAX_LOG_PARAM))) return infeasible
    const params = fromLog(theta)
    const ll = evaluate(data, params, gradient)
    return {
      value: -ll / n,
      gradient: [
        (-(gradient[0] ?? 0) * params.p) / n,
        (-(gradient[1] ?? 0) * params.q) / n,
        (-(gradient[2] ?? 0) * params.v) / n,
      ],
    }
  }
}

type Prepared = {
  readonly x: Float64Array
  readonly m: Float64Array
  readonly meanZbar: number
  readonly xs: Float64Array
  readonly countPerX: Float64Array
  readonly sumLogM: number
  readonly sumXLogM: number
}

function prepare(customers: Iterable<SpendHistory>): Prepared {
  const x: number[] = []
  const m: number[] = []
  for (const customer of customers) {
    if (customer.x > 0 && customer.zbar > 0 && Number.isFinite(customer.zbar)) {
      x.push(customer.x)
      m.push(customer.zbar)
    }
  }
  return fromArrays(Float64Array.from(x), Float64Array.from(m))
}

/** Every k-th customer, about SCREENING_CUSTOMERS of them. */
function subsample(data: Prepared): Prepared {
  const k = Math.ceil(data.m.length / SCREENING_CUSTOMERS)
  const size = Math.ceil(data.m.length / k)
  const x = new Float64Array(size)
  const m = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    x[i] = data.x[i * k] ?? 0
    m[i] = data.m[i * k] ?? 0
  }
  return fromArrays(x, m)
}

function fromArrays(x: Float64Array, m: Float64Array): Prepared {
  // Customers per distinct x, in order of first appearance.
  const xIndex = new ValueIndex()
  const counts: number[] = []
  let sumLogM = 0
  let sumXLogM = 0
  let sumM = 0
  for (let i = 0; i < m.length; i++) {
    const xi = x[i] ?? 0
    const mi = m[i] ?? 0
    const k = xIndex.of(xi)
    counts[k] = (counts[k] ?? 0) + 1
    const logM = Math.log(mi)
    sumLogM += logM
    sumXLogM += xi * logM
    sumM += mi
  }
  return {
    x,
    m,
    meanZbar: m.length > 0 ? sumM / m.length : 0,
    xs: Float64Array.from(xIndex.values),
    countPerX: Float64Array.from(counts),
    sumLogM,
    sumXLogM,
  }
}

/**
 * Log-likelihood (and, when `gradient` is given, d LL / d(p, q, v)). The lgamma and digamma terms
 * depend on the data only through x and are computed once per distinct x; each customer costs one
 * log and one division.
 */
function evaluate(data: Prepared, params: GammaGammaParams, gradient: number[] | undefined): number {
  const { p, q, v } = params
  const n = data.m.length
  const logV = Math.log(v)
  const withGradient = gradient !== undefined
  let ll = n * (q * logV - gammaln(q)) + p * data.sumXLogM - data.sumLogM
  let dp = data.sumXLogM
  let dq = n * (logV - (withGradient ? digamma(q) : 0))
  const dv = (n * q) / v
  for (let k = 0; k < data.xs.length; k++) {
    const x = data.xs[k] ?? 0
    const count = data.countPerX[k] ?? 0
    const px = p * x
    const logX = Math.log(x)
    ll += count * (gammaln(px + q) - gammaln(px) + px * logX)
    if (withGradient) {
      const psi = digamma(px + q)
      dp += count * x * (psi - digamma(px) + logX)
      dq += count * psi
    }
  }
  // The per-customer sums are compensated (Neumaier): summed naively over a million customers, their
  // rounding error swamps the last changes of the likelihood near the optimum, where the line search
  // then cannot tell a better point from a worse one.
  let sumLl = 0
  let errLl = 0
  let sumDp = 0
  let errDp = 0
  let sumDq = 0
  let errDq = 0
  let sumDv = 0
  let errDv = 0
  for (let i = 0; i < n; i++) {
    const x = data.x[i] ?? 0
    const total = x * (data.m[i] ?? 0) + v
    const logTotal = Math.log(total)
    const weight = p * x + q
    const termLl = weight * logTotal
    let t = sumLl + termLl
    errLl += Math.abs(sumLl) >= Math.abs(termLl) ? sumLl - t + termLl : termLl - t + sumLl
    sumLl = t
    if (withGradient) {
      const termDp = x * logTotal
      t = sumDp + termDp
      errDp += Math.abs(sumDp) >= Math.abs(termDp) ? sumDp - t + termDp : termDp - t + sumDp
      sumDp = t
      t = sumDq + logTotal
      errDq += Math.abs(sumDq) >= Math.abs(logTotal) ? sumDq - t + logTotal : logTotal - t + sumDq
      sumDq = t
      const termDv = weight / total
      t = sumDv + termDv
      errDv += Math.abs(sumDv) >= Math.abs(termDv) ? sumDv - t + termDv : termDv - t + sumDv
      sumDv = t
    }
  }
  ll -= sumLl + errLl
  if (gradient !== undefined) {
    gradient[0] = dp - (sumDp + errDp)
    gradient[1] = dq - (sumDq + errDq)
    gradient[2] = dv - (sumDv + errDv)
  }
  return ll
}
