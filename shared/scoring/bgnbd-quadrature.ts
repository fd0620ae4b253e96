/**
 * The BG/NBD conditional expectation by numerical integration over the dropout probability, for
 * the parameters where the hypergeometric closed form breaks down.
 *
 * A customer alive at T after x repeat purchases has purchase rate lambda ~ Gamma(r + x, alpha + T)
 * and dropout probability p ~ Beta(a, b + x). Given (lambda, p) the expected purchases in the next t
 * are (1 - e^(-lambda p t)) / p; averaging over lambda gives
 *
 *   E = E_p[ h(p) ],   h(p) = (1 - (1 + p s)^-(r + x)) / p,   s = t / (alpha + T),
 *
 * a smooth, bounded integrand (h(0) = (r + x) s) against a Beta density. The closed form
 * (a+b+x-1)/(a-1) [1 - (1-z)^(a-1) 2F1(...; a+b+x-1; z)] has poles where a + b + x - 1 is zero or a
 * negative integer, which a fit to degenerate data (a handful of customers, all purchases alike)
 * reaches: x = 0 with a and b near zero. This integral has no such points.
 */
import gammaln from '@stdlib/math-base-special-gammaln'
import type { BgNbdParams } from './bgnbd.ts'

/**
 * Gauss-Legendre nodes on panels [2^-(k+1), 2^-k] of (0, 1/2]: the Beta density's endpoint
 * factor p^(a-1) leaves a remainder that behaves like p^a near 0, so the panels get finer there.
 */
const PANELS = 30
const GAUSS_POINTS = 8
const { nodes, weights } = panelRule(PANELS, GAUSS_POINTS)

/** Expected purchases in (T, T + t] of a customer alive at T with x repeat purchases. */
export function expectedIfAliveByQuadrature(params: BgNbdParams, x: number, T: number, t: number): number {
  const { r, alpha, a, b } = params
  const k = r + x
  const s = t / (alpha + T)
  const bx = b + x
  const h = (p: number) => (p === 0 ? k * s : -Math.expm1(-k * Math.log1p(p * s)) / p)
  // Integral of p^(a-1) (1-p)^(bx-1) h(p) over (0, 1), split at 1/2 so that each half has one
  // singular endpoint: near p = 0 and, with q = 1 - p, near q = 0.
  const lower = endpointIntegral(a, (p) => Math.exp((bx - 1) * Math.log1p(-p)) * h(p))
  const upper = endpointIntegral(bx, (q) => Math.exp((a - 1) * Math.log1p(-q)) * h(1 - q))
  const logBeta = gammaln(a) + gammaln(bx) - gammaln(a + bx)
  return (lower + upper) * Math.exp(-logBeta)
}

/**
 * Integral over (0, 1/2] of p^(e-1) g(p) for e > 0 and g smooth. Where e < 1 the endpoint is
 * singular: its part g(0) (1/2)^e / e is exact and only p^(e-1) (g(p) - g(0)) goes to quadrature
 * (for e >= 1 that split would cancel catastrophically, and nothing needs it).
 */
function endpointIntegral(e: number, g: (p: number) => number): number {
  const g0 = e < 1 ? g(0) : 0
  let rest = 0
  for (let i = 0; i < nodes.length; i++) {
    const p = nodes[i] as number
    rest += (weights[i] as number) * Math.exp((e - 1) * Math.log(p)) * (g(p) - g0)
  }
  return g0 === 0 ? rest : (g0 * Math.exp(-e * Math.LN2)) / e + rest
}

function panelRule(panels: number, points: number): { nodes: Float64Array; weights: Float64Array } {
  const rule = gaussLegendre(points)
  const nodes = new Float64Array(panels * points)
  const weights = new Float64Array(panels * points)
  for (let k = 0; k < panels; k++) {
    const hi = 2 ** -(k + 1)
    // The last panel reaches down to 0.
    const lo = k === panels - 1 ? 0 : hi / 2
    const half = (hi - lo) / 2
    for (let j = 0; j < points; j++) {
      nodes[k * points + j] = lo + half * (1 + (rule.nodes[j] as number))
      weights[k * points + j] = half * (rule.weights[j] as number)
    }
  }
  return { nodes, weights }
}

/** Gauss-Legendre nodes and weights on [-1, 1], by Newton's method on the Legendre polynomial. */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = []
  const weights: number[] = []
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5))
    let derivative = 0
    for (let iteration = 0; iteration < 100; iteration++) {
      let p0 = 1
      let p1 = x
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        p0 = p1
        p1 = p2
      }
      derivative = (n * (x * p1 - p0)) / (x * x - 1)
      const step = p1 / derivative
      x -= step
      if (Math.abs(step) < 1e-15) break
    }
    nodes.push(x)
    weights.push(2 / ((1 - x * x) * derivative * derivative))
  }
  return { nodes, weights }
}
