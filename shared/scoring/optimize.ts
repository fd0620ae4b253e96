/**
 * Unconstrained minimisation with BFGS and a strong-Wolfe line search (Nocedal & Wright,
 * "Numerical Optimization", algorithms 3.5, 3.6 and 6.1). The models optimise log-parameters, so
 * the problems are small (3 or 4 dimensions) and smooth; the cost is all in the objective.
 */

/** Value and gradient at a point. A non-finite value marks the point as infeasible. */
export type Evaluation = {
  readonly value: number
  readonly gradient: readonly number[]
}

export type Objective = (point: readonly number[]) => Evaluation

export type MinimizeOptions = {
  /** Stop when the largest absolute gradient component is at most this. */
  readonly gradientTolerance?: number
  /** Stop when a step changes the value by at most this, relative to its size. */
  readonly relativeTolerance?: number
  readonly maxIterations?: number
  /** Longest step, in the largest coordinate, one line search may try. */
  readonly maxStep?: number
}

export type MinimizeResult = {
  readonly point: readonly number[]
  readonly value: number
  readonly gradient: readonly number[]
  /** Largest absolute gradient component at the returned point. */
  readonly gradientNorm: number
  /** The BFGS approximation to the inverse Hessian at the returned point. */
  readonly inverseHessian: readonly (readonly number[])[]
  readonly iterations: number
  readonly evaluations: number
  readonly converged: boolean
  readonly reason:
    | 'gradient'
    | 'relative-change'
    | 'max-iterations'
    | 'line-search-failed'
    | 'infeasible-start'
}

const C1 = 1e-4
const C2 = 0.9
const MAX_ZOOM = 40
const MAX_BRACKET = 30
const TIE_TOLERANCE = 1e-10
const SCREENING_GRADIENT = 1e-4
const SCREENING_RELATIVE = 1e-9

/**
 * BFGS from `start`. `initialInverseHessian` continues an earlier run with its curvature estimate;
 * without it the first step is along steepest descent and the estimate is scaled after it.
 */
export function minimizeBfgs(
  objective: Objective,
  start: readonly number[],
  options: MinimizeOptions = {},
  initialInverseHessian?: readonly (readonly number[])[],
): MinimizeResult {
  const gradientTolerance = options.gradientTolerance ?? 1e-7
  const relativeTolerance = options.relativeTolerance ?? 1e-13
  const maxIterations = options.maxIterations ?? 200
  const maxStep = options.maxStep ?? 4
  const n = start.length

  let evaluations = 0
  const evaluate = (point: readonly number[]): Evaluation => {
    evaluations++
    return objective(point)
  }

  let x = [...start]
  let current = evaluate(x)
  let inverseHessian = initialInverseHessian?.map((row) => [...row]) ?? identity(n)
  let fresh = initialInverseHessian === undefined
  const result = (
    iterations: number,
    converged: boolean,
    reason: MinimizeResult['reason'],
  ): MinimizeResult => ({
    point: x,
    inverseHessian,
    value: current.value,
    gradient: current.gradient,
    gradientNorm: maxAbs(current.gradient),
    iterations,
    evaluations,
    converged,
    reason,
  })
  if (!Number.isFinite(current.value) || !current.gradient.every(Number.isFinite)) {
    return result(0, false, 'infeasible-start')
  }

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (maxAbs(current.gradient) <= gradientTolerance) return result(iteration - 1, true, 'gradient')

    let direction = multiply(inverseHessian, current.gradient).map((v) => -v)
    if (dot(direction, current.gradient) >= 0) {
      inverseHessian = identity(n)
      fresh = true
      direction = current.gradient.map((v) => -v)
    }
    const longest = maxAbs(direction)
    const initialStep = longest > maxStep ? maxStep / longest : 1
    let step = lineSearch(evaluate, x, current, direction, initialStep, maxStep / longest)
    if (step === undefined && !fresh) {
      // A stale curvature estimate can point nearly uphill: retry once along steepest descent.
      inverseHessian = identity(n)
      fresh = true
      direction = current.gradient.map((v) => -v)
      const steepest = maxAbs(direction)
      step = lineSearch(evaluate, x, current, direction, Math.min(1, maxStep / steepest), maxStep / steepest)
    }
    if (step === undefined) return result(iteration, false, 'line-search-failed')

    const s = direction.map((d) => d * step.alpha)
    const y = step.evaluation.gradient.map((g, i) => g - (current.gradient[i] ?? 0))
    const previousValue = current.value
    x = x.map((v, i) => v + (s[i] ?? 0))
    current = step.evaluation

    const change = Math.abs(previousValue - current.value)
    const scale = Math.max(Math.abs(previousValue), Math.abs(current.value), 1e-300)
    if (change <= relativeTolerance * scale) return result(iteration, true, 'relative-change')

    const sy = dot(s, y)
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (fresh) {
        // Scale the first approximation to the observed curvature (Nocedal & Wright, eq. 6.20).
        inverseHessian = identity(n).map((row) => row.map((v) => (v * sy) / dot(y, y)))
        fresh = false
      }
      inverseHessian = bfgsUpdate(inverseHessian, s, y, sy)
    }
  }
  return result(maxIterations, false, 'max-iterations')
}

export type MultiStartOptions = MinimizeOptions & {
  /**
   * A cheaper stand-in for the objective (for example the same model on a subsample) used to
   * compare the starts; the best start's optimum is then polished on the full objective.
   */
  readonly screeningObjective?: Objective
}

/**
 * Runs BFGS from each start (on the screening objective if given, else to a loose tolerance),
 * then continues the best run on the full objective to the full tolerance, keeping its curvature
 * estimate. Extra starts so guard against a poor basin without paying for full convergence from
 * each. Runs whose values agree with the lowest to within `TIE_TOLERANCE` (relative) found the
 * same optimum up to rounding; among those the one with the smallest gradient wins. Infeasible
 * starts are skipped.
 */
export function minimizeFromStarts(
  objective: Objective,
  starts: readonly (readonly number[])[],
  options: MultiStartOptions = {},
): { readonly best: MinimizeResult; readonly runs: readonly MinimizeResult[] } {
  const { screeningObjective, ...rest } = options
  const screening = screeningObjective ?? objective
  const screeningOptions = {
    ...rest,
    gradientTolerance: Math.max(rest.gradientTolerance ?? 0, SCREENING_GRADIENT),
    relativeTolerance: Math.max(rest.relativeTolerance ?? 0, SCREENING_RELATIVE),
  }
  const runs = starts.map((start) => minimizeBfgs(screening, start, screeningOptions))
  const leader = bestRun(runs)
  const polished = minimizeBfgs(objective, leader.point, rest, leader.inverseHessian)
  // Without a separate screening objective the leader's value is comparable with the polished one.
  const best = screeningObjective === undefined ? bestRun([leader, polished]) : polished
  return {
    best: {
      ...best,
      iterations: leader.iterations + polished.iterations,
      evaluations: runs.reduce((sum, run) => sum + run.evaluations, polished.evaluations),
    },
    runs: [...runs, polished],
  }
}

function bestRun(runs: readonly MinimizeResult[]): MinimizeResult {
  const feasible = runs.filter((run) => Number.isFinite(run.value))
  if (feasible.length === 0) throw new RangeError('no feasible starting point')
  const lowest = Math.min(...feasible.map((run) => run.value))
  const tied = feasible.filter((run) => run.value - lowest <= TIE_TOLERANCE * Math.max(1, Math.abs(lowest)))
  return tied.reduce((a, b) => (b.gradientNorm < a.gradientNorm ? b : a))
}

type Step = { readonly alpha: number; readonly evaluation: Evaluation }

function lineSearch(
  evaluate: Objective,
  x: readonly number[],
  start: Evaluation,
  direction: readonly number[],
  initialAlpha: number,
  maxAlpha: number,
): Step | undefined {
  const slope0 = dot(start.gradient, direction)
  if (!(slope0 < 0)) return undefined
  const at = (alpha: number) => {
    const evaluation = evaluate(x.map((v, i) => v + alpha * (direction[i] ?? 0)))
    return { alpha, evaluation, slope: dot(evaluation.gradient, direction) }
  }
  const sufficient = (p: Probe) =>
    Number.isFinite(p.evaluation.value) && p.evaluation.value <= start.value + C1 * p.alpha * slope0
  const curvature = (p: Probe) => Math.abs(p.slope) <= -C2 * slope0

  let previous: Probe = { alpha: 0, evaluation: start, slope: slope0 }
  let alpha = initialAlpha
  for (let i = 0; i < MAX_BRACKET; i++) {
    const probe = at(alpha)
    if (!sufficient(probe) || (i > 0 && probe.evaluation.value >= previous.evaluation.value)) {
      return zoom(at, previous, probe, start.value, slope0)
    }
    if (curvature(probe)) return probe
    if (probe.slope >= 0) return zoom(at, probe, previous, start.value, slope0)
    if (alpha >= maxAlpha) return probe
    previous = probe
    alpha = Math.min(2 * alpha, maxAlpha)
  }
  return previous.alpha > 0 ? previous : undefined
}

type Probe = { readonly alpha: number; readonly evaluation: Evaluation; readonly slope: number }

function zoom(
  at: (alpha: number) => Probe,
  lowStart: Probe,
  highStart: Probe,
  value0: number,
  slope0: number,
): Step | undefined {
  let low = lowStart
  let high = highStart
  for (let i = 0; i < MAX_ZOOM; i++) {
    const alpha = interpolate(low, high)
    const probe = at(alpha)
    const v = probe.evaluation.value
    if (!Number.isFinite(v) || v > value0 + C1 * alpha * slope0 || v >= low.evaluation.value) {
      high = probe
    } else {
      if (Math.abs(probe.slope) <= -C2 * slope0) return probe
      if (probe.slope * (high.alpha - low.alpha) >= 0) high = low
      low = probe
    }
    if (Math.abs(high.alpha - low.alpha) <= 1e-14 * Math.max(1, low.alpha)) break
  }
  // The interval collapsed: accept the best point with sufficient decrease, if any.
  return low.alpha > 0 ? low : undefined
}

/** Minimiser of the cubic through both ends, kept inside the middle 80% of the interval. */
function interpolate(low: Probe, high: Probe): number {
  const lo = Math.min(low.alpha, high.alpha)
  const hi = Math.max(low.alpha, high.alpha)
  const width = hi - lo
  const bisect = (low.alpha + high.alpha) / 2
  const f0 = low.evaluation.value
  const f1 = high.evaluation.value
  if (!Number.isFinite(f1) || !Number.isFinite(high.slope)) return bisect
  const d1 = low.slope + high.slope - (3 * (f0 - f1)) / (low.alpha - high.alpha)
  const radicand = d1 * d1 - low.slope * high.slope
  if (!(radicand >= 0)) return bisect
  const d2 = Math.sign(high.alpha - low.alpha) * Math.sqrt(radicand)
  const candidate =
    high.alpha - (high.alpha - low.alpha) * ((high.slope + d2 - d1) / (high.slope - low.slope + 2 * d2))
  if (!Number.isFinite(candidate)) return bisect
  return Math.min(Math.max(candidate, lo + 0.1 * width), hi - 0.1 * width)
}

function bfgsUpdate(h: number[][], s: readonly number[], y: readonly number[], sy: number): number[][] {
  const rho = 1 / sy
  const hy = multiply(h, y)
  const yhy = dot(y, hy)
  return h.map((row, i) =>
    row.map((v, j) => {
      const si = s[i] ?? 0
      const sj = s[j] ?? 0
      return v - rho * ((hy[i] ?? 0) * sj + si * (hy[j] ?? 0)) + (rho * rho * yhy + rho) * si * sj
    }),
  )
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)))
}

function multiply(m: readonly (readonly number[])[], v: readonly number[]): number[] {
  return m.map((row) => dot(row, v))
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0)
  return sum
}

function maxAbs(v: readonly number[]): number {
  let m = 0
  for (const x of v) m = Math.max(m, Math.abs(x))
  return Number.isNaN(m) || v.some(Number.isNaN) ? Number.NaN : m
}
