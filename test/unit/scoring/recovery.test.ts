import { describe, expect, it } from 'vitest'
import { fitBgNbd, groupPatterns, pAlive } from '../../../shared/scoring/bgnbd.ts'
import { fitGammaGamma, populationMeanSpend } from '../../../shared/scoring/gamma-gamma.ts'
import { simulateCustomers } from '../../../shared/scoring/simulate.ts'

/*
 * 20,000 simulated customers observed for 52-104 weeks. Over ten seeds the largest relative errors
 * seen were about 5% for r and alpha, 11% for a and b, 12% for p and 14% for v (p and v are strongly
 * correlated; the population mean v*p/(q-1) is much better determined). Tolerances are set near
 * three standard errors.
 */
const TRUE_BGNBD = { r: 0.5, alpha: 6, a: 0.8, b: 2.5 }
const TRUE_GAMMA_GAMMA = { p: 6.25, q: 3.74, v: 15.44 }
const customers = simulateCustomers({
  customers: 20_000,
  seed: 20050101,
  bgnbd: TRUE_BGNBD,
  gammaGamma: TRUE_GAMMA_GAMMA,
  minT: 52,
  maxT: 104,
})

const fit = fitBgNbd(groupPatterns(customers))
const spendFit = fitGammaGamma(customers)
const relativeError = (estimate: number, truth: number) => Math.abs(estimate / truth - 1)

describe('parameter recovery from simulated customers', () => {
  it('recovers the BG/NBD purchase-rate parameters r and alpha within 10%', () => {
    expect(fit.converged).toBe(true)
    expect(relativeError(fit.r, TRUE_BGNBD.r)).toBeLessThan(0.1)
    expect(relativeError(fit.alpha, TRUE_BGNBD.alpha)).toBeLessThan(0.1)
  })

  it('recovers the BG/NBD dropout parameters a and b within 20%', () => {
    expect(relativeError(fit.a, TRUE_BGNBD.a)).toBeLessThan(0.2)
    expect(relativeError(fit.b, TRUE_BGNBD.b)).toBeLessThan(0.2)
  })

  it('recovers the Gamma-Gamma parameters within 20% and the mean spend within 3%', () => {
    expect(spendFit.converged).toBe(true)
    expect(relativeError(spendFit.p, TRUE_GAMMA_GAMMA.p)).toBeLessThan(0.2)
    expect(relativeError(spendFit.q, TRUE_GAMMA_GAMMA.q)).toBeLessThan(0.2)
    expect(relativeError(spendFit.v, TRUE_GAMMA_GAMMA.v)).toBeLessThan(0.2)
    expect(relativeError(populationMeanSpend(spendFit), populationMeanSpend(TRUE_GAMMA_GAMMA))).toBeLessThan(
      0.03,
    )
  })

  it('gives P(alive) that matches the share of simulated repeat customers still active', () => {
    const repeat = customers.filter((c) => c.x > 0)
    const predicted = repeat.reduce((sum, c) => sum + pAlive(fit, c.x, c.tx, c.T), 0) / repeat.length
    const actual = repeat.filter((c) => c.alive).length / repeat.length
    expect(Math.abs(predicted - actual)).toBeLessThan(0.02)
  })
})
