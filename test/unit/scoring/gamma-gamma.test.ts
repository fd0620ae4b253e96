import gammaln from '@stdlib/math-base-special-gammaln'
import { describe, expect, it } from 'vitest'
import {
  expectedSpend,
  fitGammaGamma,
  frequencySpendCorrelation,
  gammaGammaLogLikelihood,
  gammaGammaLogLikelihoodGradient,
  pearsonCorrelation,
  populationMeanSpend,
} from '../../../shared/scoring/gamma-gamma.ts'
import { PUBLISHED_GAMMA_GAMMA, readCdnowSummary } from './cdnow-fixture.ts'

const G = PUBLISHED_GAMMA_GAMMA

describe('Gamma-Gamma expected spend', () => {
  it('is the credibility-weighted mean of the population mean and the customer mean', () => {
    const { p, q, v } = G
    const x = 4
    const zbar = 50
    const weight = (p * x) / (p * x + q - 1)
    const populationMean = (v * p) / (q - 1)
    expect(expectedSpend(G, x, zbar)).toBeCloseTo((1 - weight) * populationMean + weight * zbar, 10)
  })

  it('falls back to the population mean for a customer without repeat purchases', () => {
    expect(expectedSpend(G, 0, 0)).toBeCloseTo((15.44 * 6.25) / 2.74, 10)
  })

  it('falls back to the population mean where refunds left no positive repeat spend', () => {
    expect(expectedSpend(G, 2, -5)).toBe(populationMeanSpend(G))
  })

  it('moves towards the customer mean as repeat purchases accumulate', () => {
    const few = expectedSpend(G, 1, 100)
    const many = expectedSpend(G, 50, 100)
    expect(many).toBeGreaterThan(few)
    expect(many).toBeLessThan(100)
  })

  it('has no population mean when q <= 1', () => {
    expect(populationMeanSpend({ p: 2, q: 0.9, v: 10 })).toBeNaN()
  })
})

describe('Gamma-Gamma likelihood', () => {
  it('matches the per-customer formula evaluated by hand', () => {
    const { p, q, v } = G
    const x = 3
    const m = 20
    const byHand =
      gammaln(p * x + q) -
      gammaln(p * x) -
      gammaln(q) +
      q * Math.log(v) +
      (p * x - 1) * Math.log(m) +
      p * x * Math.log(x) -
      (p * x + q) * Math.log(x * m + v)
    expect(gammaGammaLogLikelihood(G, [{ x, zbar: m }])).toBeCloseTo(byHand, 10)
  })

  it('leaves out customers without repeat purchases or positive zbar', () => {
    const one = gammaGammaLogLikelihood(G, [{ x: 3, zbar: 20 }])
    expect(
      gammaGammaLogLikelihood(G, [
        { x: 3, zbar: 20 },
        { x: 0, zbar: 0 },
        { x: 2, zbar: 0 },
      ]),
    ).toBe(one)
  })

  it('has an analytic gradient that matches finite differences', () => {
    const customers = readCdnowSummary()
    const params = { p: 5, q: 3, v: 12 }
    const gradient = gammaGammaLogLikelihoodGradient(params, customers)
    for (const key of ['p', 'q', 'v'] as const) {
      const h = 1e-6 * params[key]
      const numeric =
        (gammaGammaLogLikelihood({ ...params, [key]: params[key] + h }, customers) -
          gammaGammaLogLikelihood({ ...params, [key]: params[key] - h }, customers)) /
        (2 * h)
      expect(gradient[key]).toBeCloseTo(numeric, 2)
    }
  })
})

describe('Gamma-Gamma fit', () => {
  it('refuses to fit without repeat customers', () => {
    expect(() => fitGammaGamma([{ x: 0, zbar: 0 }])).toThrow(RangeError)
  })

  it('reports the log-likelihood at the parameters it returns', () => {
    const customers = readCdnowSummary()
    const fit = fitGammaGamma(customers)
    expect(fit.logLikelihood).toBeCloseTo(gammaGammaLogLikelihood(fit, customers), 6)
  })
})

describe('correlation of frequency and spend', () => {
  it('is 1 for a perfectly linear relation and -1 for an inverse one', () => {
    expect(pearsonCorrelation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12)
    expect(pearsonCorrelation([1, 2, 3], [6, 4, 2])).toBeCloseTo(-1, 12)
  })

  it('matches a value computed by hand', () => {
    // x = 1,2,3,4 and y = 2,1,4,3: covariance 0.75, both variances 1.25.
    expect(pearsonCorrelation([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 12)
  })

  it('is undefined without variance', () => {
    expect(pearsonCorrelation([1, 1, 1], [1, 2, 3])).toBeNaN()
  })

  it('uses only the customers the spend model is fitted on', () => {
    const customers = [
      { x: 1, zbar: 10 },
      { x: 2, zbar: 20 },
      { x: 3, zbar: 30 },
      { x: 0, zbar: 0 },
      { x: 5, zbar: -1 },
    ]
    expect(frequencySpendCorrelation(customers)).toBeCloseTo(1, 12)
  })

  it('is weak on CDNOW, as the model assumes', () => {
    expect(Math.abs(frequencySpendCorrelation(readCdnowSummary()))).toBeLessThan(0.2)
  })
})
