import { describe, expect, it } from 'vitest'
import { expectedPurchases, pAlive } from '../../../shared/scoring/bgnbd.ts'
import {
  type ClvConfig,
  customerLifetimeValue,
  monthLength,
  monthlyRate,
} from '../../../shared/scoring/clv.ts'
import { PUBLISHED_BGNBD } from './cdnow-fixture.ts'

const P = PUBLISHED_BGNBD
const customer = { x: 2, tx: 30.43, T: 38.86 }
const month = monthLength('weeks')
const config: ClvConfig = {
  months: 12,
  monthLength: month,
  annualDiscountRate: 0.1,
  marginRate: 0.3,
  retentionCostPerMonth: 0.5,
}

describe('discount rate', () => {
  it('compounds twelve monthly rates into the annual rate', () => {
    expect((1 + monthlyRate(0.1)) ** 12).toBeCloseTo(1.1, 12)
  })

  it('measures an average month in the model time unit', () => {
    expect(monthLength('days')).toBeCloseTo(30.4375, 12)
    expect(month).toBeCloseTo(30.4375 / 7, 12)
  })
})

describe('customer lifetime value', () => {
  it('is expected purchases times spend times margin when nothing is discounted', () => {
    const result = customerLifetimeValue(P, customer, 40, { ...config, annualDiscountRate: 0 })
    const purchases = expectedPurchases(P, 2, 30.43, 38.86, 12 * month)
    expect(result.clv).toBeCloseTo(purchases * 40 * 0.3, 10)
    expect(result.expectedPurchases).toBeCloseTo(purchases, 12)
  })

  it('discounts a one-month horizon by one monthly rate', () => {
    const result = customerLifetimeValue(P, customer, 40, { ...config, months: 1 })
    const purchases = expectedPurchases(P, 2, 30.43, 38.86, month)
    expect(result.clv).toBeCloseTo((purchases * 40 * 0.3) / (1 + monthlyRate(0.1)), 10)
  })

  it('is lower with discounting than without', () => {
    const discounted = customerLifetimeValue(P, customer, 40, config).clv
    const undiscounted = customerLifetimeValue(P, customer, 40, { ...config, annualDiscountRate: 0 }).clv
    expect(discounted).toBeLessThan(undiscounted)
  })

  it('charges retention at today’s P(alive) for every month, discounted as an annuity', () => {
    const result = customerLifetimeValue(P, customer, 40, config)
    const d = monthlyRate(0.1)
    const annuity = (1 - (1 + d) ** -12) / d
    expect(result.retentionCost).toBeCloseTo(pAlive(P, 2, 30.43, 38.86) * 0.5 * annuity, 10)
    expect(result.netValue).toBeCloseTo(result.clv - result.retentionCost, 12)
  })

  it('is zero over an empty horizon', () => {
    expect(customerLifetimeValue(P, customer, 40, { ...config, months: 0 })).toMatchObject({
      clv: 0,
      retentionCost: 0,
      netValue: 0,
    })
  })

  it('rejects a fractional number of months', () => {
    expect(() => customerLifetimeValue(P, customer, 40, { ...config, months: 1.5 })).toThrow(RangeError)
  })
})
