import gammaln from '@stdlib/math-base-special-gammaln'
import hyp2f1 from '@stdlib/math-base-special-hyp2f1'
import { describe, expect, it } from 'vitest'
import {
  type BgNbdParams,
  bgNbdLogLikelihood,
  bgNbdLogLikelihoodGradient,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  groupPatterns,
  pAlive,
} from '../../../shared/scoring/bgnbd.ts'
import { PUBLISHED_BGNBD, readCdnowSummary } from './cdnow-fixture.ts'

const P = PUBLISHED_BGNBD

/** MODELS.md's expectation before Euler's transformation, for moderate x only. */
const untransformedExpectation = (p: BgNbdParams, x: number, tx: number, T: number, t: number) => {
  const { r, alpha, a, b } = p
  const z = t / (alpha + T + t)
  const bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
  return ((a + b + x - 1) / (a - 1)) * bracket * pAlive(p, x, tx, T)
}

describe('BG/NBD conditional expectation', () => {
  it('gives the published 1.226 purchases over 39 weeks for x = 2, t_x = 30.43, T = 38.86', () => {
    expect(expectedPurchases(P, 2, 30.43, 38.86, 39)).toBeCloseTo(1.226, 3)
  })

  it('agrees with the untransformed hypergeometric form', () => {
    for (const [x, tx, T, t] of [
      [0, 0, 38.86, 39],
      [1, 5, 20, 10],
      [7, 30, 38, 52],
      [3, 1, 60, 104],
    ] as const) {
      expect(expectedPurchases(P, x, tx, T, t)).toBeCloseTo(untransformedExpectation(P, x, tx, T, t), 10)
    }
  })

  it('stays finite and below the posterior purchase rate times t for very frequent buyers', () => {
    const x = 2000
    const e = expectedPurchases(P, x, 51, 52, 39)
    expect(Number.isFinite(e)).toBe(true)
    expect(e).toBeGreaterThan(0)
    expect(e).toBeLessThan(((P.r + x) / (P.alpha + 52)) * 39)
  })

  it('is continuous across a = 1, where the formula has a removable singularity', () => {
    const at = (a: number) => expectedPurchases({ ...P, a }, 3, 20, 38, 26)
    const atOne = at(1)
    const slope = (at(1 + 1e-3) - at(1 - 1e-3)) / 2e-3
    expect(atOne).toBeCloseTo((at(1 - 1e-3) + at(1 + 1e-3)) / 2, 6)
    expect(at(1 + 5e-5)).toBeCloseTo(atOne + 5e-5 * slope, 7)
    expect(at(1 - 2e-4)).toBeCloseTo(atOne - 2e-4 * slope, 7)
  })

  it('agrees with the mixture integral over the posterior dropout probability', () => {
    // Alive at T: lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x); given both, the expected
    // purchases in t are (1 - exp(-lambda p t)) / p. Integrating lambda out leaves a 1-d integral.
    const params = { r: 0.5, alpha: 6, a: 2.5, b: 3 }
    const [x, tx, T, t] = [3, 20, 30, 26]
    const k = params.r + x
    const s = t / (params.alpha + T)
    const beta = params.b + x
    const logNorm = gammaln(params.a + beta) - gammaln(params.a) - gammaln(beta)
    const integrand = (p: number) =>
      p <= 0 || p >= 1
        ? 0
        : Math.exp(logNorm + (params.a - 1) * Math.log(p) + (beta - 1) * Math.log1p(-p)) *
          ((1 - (1 + p * s) ** -k) / p)
    const steps = 20_000
    let simpson = integrand(0) + integrand(1)
    for (let i = 1; i < steps; i++) simpson += (i % 2 === 1 ? 4 : 2) * integrand(i / steps)
    const ifAlive = simpson / (3 * steps)
    expect(expectedPurchases(params, x, tx, T, t)).toBeCloseTo(ifAlive * pAlive(params, x, tx, T), 8)
  })

  it('stays finite for the extreme parameters fitted to a single customer', () => {
    // Parameters of this size come out of fits to one or two customers, where the maximum
    // likelihood lies at infinity. With a >> b + x, p is close to 1, so E / P(alive) is close to
    // 1 - (1 + t/(alpha+T))^-(r+x).
    const params = { r: 1.2785e7, alpha: 7.3058e6, a: 1.0587e4, b: 9.446e-5 }
    const ifAlive = expectedPurchases(params, 1, 0.57, 52, 4.3) / pAlive(params, 1, 0.57, 52)
    expect(ifAlive).toBeCloseTo(1 - (1 + 4.3 / (params.alpha + 52)) ** -(params.r + 1), 3)
  })

  it('is zero over an empty horizon', () => {
    expect(expectedPurchases(P, 2, 30.43, 38.86, 0)).toBe(0)
  })

  it('grows with the horizon', () => {
    expect(expectedPurchases(P, 2, 30.43, 38.86, 52)).toBeGreaterThan(
      expectedPurchases(P, 2, 30.43, 38.86, 39),
    )
  })
})

describe('BG/NBD probability alive', () => {
  it('matches the closed form evaluated by hand', () => {
    const byHand = 1 / (1 + (0.793 / (2.426 + 2 - 1)) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2))
    expect(pAlive(P, 2, 30.43, 38.86)).toBeCloseTo(byHand, 12)
  })

  it('is 1 for a customer without repeat purchases', () => {
    expect(pAlive(P, 0, 0, 38.86)).toBe(1)
  })

  it('is 1 / (1 + a / (b + x - 1)) when the last purchase is at the as-of date', () => {
    expect(pAlive(P, 4, 30, 30)).toBeCloseTo(1 / (1 + 0.793 / (2.426 + 3)), 12)
  })

  it('tends to 0 for a frequent buyer who stopped long ago', () => {
    expect(pAlive(P, 200, 1, 1000)).toBeLessThan(1e-100)
  })
})

describe('BG/NBD new-customer expectation', () => {
  it('agrees with the unconditional closed form', () => {
    const { r, alpha, a, b } = P
    for (const t of [1, 39, 78, 520]) {
      const z = t / (alpha + t)
      const closed = ((a + b - 1) / (a - 1)) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
      expect(expectedPurchasesNewCustomer(P, t)).toBeCloseTo(closed, 10)
    }
  })

  it('starts at the mean purchase rate r / alpha', () => {
    const t = 1e-4
    expect(expectedPurchasesNewCustomer(P, t) / t).toBeCloseTo(P.r / P.alpha, 5)
  })
})

describe('BG/NBD likelihood', () => {
  const customers = readCdnowSummary()

  it('counts a grouped pattern as many times as its weight', () => {
    const ungrouped = customers.map(({ x, tx, T }) => ({ x, tx, T, weight: 1 }))
    expect(bgNbdLogLikelihood(P, groupPatterns(customers))).toBeCloseTo(bgNbdLogLikelihood(P, ungrouped), 8)
  })

  it('groups identical histories and ignores t_x where x = 0', () => {
    const patterns = groupPatterns([
      { x: 0, tx: 0, T: 10 },
      { x: 0, tx: 3, T: 10 },
      { x: 2, tx: 4, T: 10 },
      { x: 2, tx: 4, T: 10 },
      { x: 2, tx: 5, T: 10 },
    ])
    expect(patterns).toEqual([
      { x: 0, tx: 0, T: 10, weight: 2 },
      { x: 2, tx: 4, T: 10, weight: 2 },
      { x: 2, tx: 5, T: 10, weight: 1 },
    ])
  })

  it('has an analytic gradient that matches finite differences', () => {
    const patterns = groupPatterns(customers)
    const params = { r: 0.3, alpha: 5, a: 0.7, b: 2 }
    const gradient = bgNbdLogLikelihoodGradient(params, patterns)
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      const h = 1e-6 * params[key]
      const numeric =
        (bgNbdLogLikelihood({ ...params, [key]: params[key] + h }, patterns) -
          bgNbdLogLikelihood({ ...params, [key]: params[key] - h }, patterns)) /
        (2 * h)
      expect(gradient[key]).toBeCloseTo(numeric, 2)
    }
  })

  it('rejects a recency later than the as-of date', () => {
    expect(() => bgNbdLogLikelihood(P, [{ x: 1, tx: 11, T: 10, weight: 1 }])).toThrow(RangeError)
  })
})

describe('BG/NBD fit', () => {
  const patterns = groupPatterns(readCdnowSummary())
  const fit = fitBgNbd(patterns)

  it('reports the log-likelihood at the parameters it returns', () => {
    expect(fit.logLikelihood).toBeCloseTo(bgNbdLogLikelihood(fit, patterns), 6)
  })

  it('reports convergence with a negligible gradient', () => {
    expect(fit.converged).toBe(true)
    expect(fit.gradientNorm).toBeLessThan(1e-2)
    expect(fit.iterations).toBeGreaterThan(0)
  })

  it('finds the same optimum from a single distant starting point', () => {
    const single = fitBgNbd(patterns, { starts: [{ r: 5, alpha: 50, a: 3, b: 10 }] })
    expect(single.logLikelihood).toBeCloseTo(fit.logLikelihood, 4)
  })

  it('refuses to fit without customers', () => {
    expect(() => fitBgNbd([])).toThrow(RangeError)
  })
})
