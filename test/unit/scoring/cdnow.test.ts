import { describe, expect, it } from 'vitest'
import { fitBgNbd, groupPatterns } from '../../../shared/scoring/bgnbd.ts'
import { fitGammaGamma } from '../../../shared/scoring/gamma-gamma.ts'
import { type CustomerSummary, summariseTransactions } from '../../../shared/scoring/summary.ts'
import {
  CDNOW_CALIBRATION_END,
  PUBLISHED_BGNBD,
  PUBLISHED_BGNBD_LL,
  PUBLISHED_GAMMA_GAMMA,
  readCdnowSummary,
  readCdnowTransactions,
  significant,
} from './cdnow-fixture.ts'

const fromRaw = summariseTransactions(readCdnowTransactions(), {
  asOf: CDNOW_CALIBRATION_END,
  unit: 'weeks',
  marginRate: 0,
})
const published = readCdnowSummary()

const expectPublishedBgNbd = (fit: ReturnType<typeof fitBgNbd>) => {
  expect(fit.converged).toBe(true)
  expect({
    r: significant(fit.r),
    alpha: significant(fit.alpha),
    a: significant(fit.a),
    b: significant(fit.b),
  }).toEqual({
    r: significant(PUBLISHED_BGNBD.r),
    alpha: significant(PUBLISHED_BGNBD.alpha),
    a: significant(PUBLISHED_BGNBD.a),
    b: significant(PUBLISHED_BGNBD.b),
  })
  expect(Math.round(fit.logLikelihood * 10) / 10).toBe(PUBLISHED_BGNBD_LL)
}

const expectPublishedGammaGamma = (fit: ReturnType<typeof fitGammaGamma>) => {
  expect(fit.converged).toBe(true)
  expect(fit.customers).toBe(946)
  expect({ p: significant(fit.p), q: significant(fit.q), v: significant(fit.v) }).toEqual({
    p: significant(PUBLISHED_GAMMA_GAMMA.p),
    q: significant(PUBLISHED_GAMMA_GAMMA.q),
    v: significant(PUBLISHED_GAMMA_GAMMA.v),
  })
}

describe('CDNOW raw transactions summarised at the end of calibration', () => {
  it('summarises all 2,357 customers', () => {
    expect(fromRaw.customers).toHaveLength(2357)
  })

  it('agrees with the published summary for every customer', () => {
    const byId = new Map<string, CustomerSummary>(fromRaw.customers.map((c) => [c.customerId, c]))
    const mismatches = published.filter((row) => {
      const ours = byId.get(row.id)
      return (
        ours === undefined ||
        ours.x !== row.x ||
        Math.abs(ours.tx - row.tx) > 0.0051 ||
        Math.abs(ours.T - row.T) > 0.0051 ||
        Math.abs(ours.zbar - row.zbar) > 0.0051
      )
    })
    expect(mismatches).toEqual([])
  })

  it('reproduces the published BG/NBD fit and log-likelihood', () => {
    expectPublishedBgNbd(fitBgNbd(groupPatterns(fromRaw.customers)))
  })

  it('reproduces the published Gamma-Gamma fit on the 946 repeat customers', () => {
    expectPublishedGammaGamma(fitGammaGamma(fromRaw.customers))
  })
})

describe('CDNOW published summary file', () => {
  it('reproduces the published BG/NBD fit and log-likelihood', () => {
    expectPublishedBgNbd(fitBgNbd(groupPatterns(published)))
  })

  it('reproduces the published Gamma-Gamma fit on the 946 repeat customers', () => {
    expectPublishedGammaGamma(fitGammaGamma(published))
  })
})
