import { describe, expect, it } from 'vitest'
import {
  expectedIfAlive,
  expectedPurchases,
  fitBgNbd,
  groupPatterns,
  pAlive,
} from '../../../shared/scoring/bgnbd.ts'
import { expectedIfAliveByQuadrature, gaussLegendre } from '../../../shared/scoring/bgnbd-quadrature.ts'
import { PUBLISHED_BGNBD } from './cdnow-fixture.ts'

describe('the BG/NBD expectation by integration over the dropout probability', () => {
  it('uses Gauss-Legendre rules that integrate polynomials of degree 2n - 1 exactly', () => {
    const { nodes, weights } = gaussLegendre(8)
    const integral = (k: number) => nodes.reduce((sum, x, i) => sum + (weights[i] ?? 0) * x ** k, 0)
    for (let k = 0; k <= 15; k++) expect(integral(k)).toBeCloseTo(k % 2 === 1 ? 0 : 2 / (k + 1), 13)
  })

  it('gives the published 1.226 purchases over 39 weeks for x = 2, t_x = 30.43, T = 38.86', () => {
    const alive = pAlive(PUBLISHED_BGNBD, 2, 30.43, 38.86)
    expect(expectedIfAliveByQuadrature(PUBLISHED_BGNBD, 2, 38.86, 39) * alive).toBeCloseTo(1.226, 3)
  })

  it('agrees with the hypergeometric closed form wherever that is defined', () => {
    const cases = [
      { params: PUBLISHED_BGNBD, x: 0, T: 38.86, t: 39 },
      { params: PUBLISHED_BGNBD, x: 50, T: 38.86, t: 39 },
      { params: { r: 2, alpha: 10, a: 3, b: 5 }, x: 0, T: 20, t: 52 },
      { params: { r: 2, alpha: 10, a: 0.3, b: 0.4 }, x: 0, T: 20, t: 52 },
      { params: { r: 0.5, alpha: 1, a: 0.05, b: 0.05 }, x: 0, T: 5, t: 365 },
      { params: { r: 20, alpha: 1, a: 20, b: 50 }, x: 1, T: 5, t: 365 },
    ]
    for (const { params, x, T, t } of cases) {
      const closed = expectedIfAlive(params, x, T, t)
      expect(Math.abs(expectedIfAliveByQuadrature(params, x, T, t) / closed - 1)).toBeLessThan(1e-6)
    }
  })

  it('approaches the two-point limit when a and b go to zero, where the closed form has a pole', () => {
    // Beta(a, a) puts half its mass at p = 0 (never drops out: E = (r + x) s) and half at p = 1
    // (drops out at the first purchase: E = 1 - (1 + s)^-(r + x)), with s = t / (alpha + T).
    const params = { r: 5, alpha: 10, a: 1e-8, b: 1e-8 }
    const s = 52 / (10 + 30)
    const limit = 0.5 * 5 * s + 0.5 * (1 - (1 + s) ** -5)
    expect(expectedIfAliveByQuadrature(params, 0, 30, 52)).toBeCloseTo(limit, 6)
  })
})

describe('expected purchases on a degenerate fit', () => {
  it('stay finite for a customer without repeat purchases when the fit drives a and b to zero', () => {
    // Three customers with a few purchases each: the likelihood is flat and the optimiser ends at
    // r ~ 2e4, a, b ~ 1e-5, where a + b - 1 is next to the pole at -1.
    const customers = [
      { x: 1, tx: 20 / 7, T: 52 },
      { x: 1, tx: 107 / 7, T: 52 },
      { x: 3, tx: 345 / 7, T: 52 },
      { x: 0, tx: 0, T: 327 / 7 },
    ]
    const fit = fitBgNbd(groupPatterns(customers))
    expect(fit.a + fit.b).toBeLessThan(0.01)
    const value = expectedPurchases(fit, 0, 0, 327 / 7, 52)
    expect(Number.isFinite(value)).toBe(true)
    expect(value).toBeGreaterThan(0)
    expect(value).toBeLessThanOrEqual((fit.r * 52) / (fit.alpha + 327 / 7))
  })
})
