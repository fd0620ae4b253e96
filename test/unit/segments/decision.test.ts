import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_DECISION_CONFIG,
  type DecisionInput,
  type InvestmentDecision,
  investmentDecision,
} from '../../../shared/segments/decision.ts'

const decide = (
  netValue: number,
  marketingCost: number,
  churnRisk: number,
  tier: DecisionInput['tier'] = 'general',
) => investmentDecision({ netValue, marketingCost, churnRisk, tier })

describe('investment decision', () => {
  it.each<[string, number, number, number, DecisionInput['tier'], InvestmentDecision]>([
    ['stop: below cost and likely gone', 12.4, 20, 0.85, 'general', 'stop'],
    ['stop: below cost at exactly the high-risk line', 12.4, 20, 0.7, 'secondary', 'stop'],
    ['reduce: below cost, risk just under the line', 12.4, 20, 0.69, 'general', 'reduce'],
    ['reduce: a key customer below cost and likely gone', 12.4, 20, 0.85, 'key', 'reduce'],
    ['invest: exactly three times the cost, risk low', 60, 20, 0.2, 'secondary', 'invest'],
    ['maintain: just under three times the cost', 59.99, 20, 0.2, 'general', 'maintain'],
    ['maintain: well above cost but likely gone', 100, 20, 0.7, 'key', 'maintain'],
    ['maintain: net value equal to the cost', 20, 20, 0.1, 'general', 'maintain'],
  ])('%s', (_, netValue, cost, risk, tier, decision) => {
    expect(decide(netValue, cost, risk, tier).decision).toBe(decision)
  })

  it('flags a net value below the planned marketing cost', () => {
    expect(decide(12.4, 20, 0.1)).toMatchObject({ belowMarketingCost: true, decision: 'reduce' })
    expect(decide(20, 20, 0.1).belowMarketingCost).toBe(false)
  })

  it('marks a key customer kept from being stopped', () => {
    expect(decide(12.4, 20, 0.85, 'key').keyCustomerNotStopped).toBe(true)
    expect(decide(12.4, 20, 0.5, 'key').keyCustomerNotStopped).toBe(false)
  })

  it('invests in any customer with non-negative value and low risk when marketing costs nothing', () => {
    expect(decide(0, 0, 0.1).decision).toBe('invest')
    expect(decide(-1, 0, 0.1).decision).toBe('reduce')
  })

  it('follows the configured limits', () => {
    const config = { highChurnRisk: 0.9, investMultiple: 2 }
    expect(
      investmentDecision({ netValue: 40, marketingCost: 20, churnRisk: 0.8, tier: 'general' }, config)
        .decision,
    ).toBe('invest')
  })

  it('reduces or stops exactly when net value is below the marketing cost', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('key' as const, 'general' as const, 'secondary' as const),
        (netValue, marketingCost, churnRisk, tier) => {
          const result = investmentDecision(
            { netValue, marketingCost, churnRisk, tier },
            DEFAULT_DECISION_CONFIG,
          )
          expect(['reduce', 'stop'].includes(result.decision)).toBe(netValue < marketingCost)
        },
      ),
    )
  })

  it('rejects a churn risk outside 0 to 1 and a negative marketing cost', () => {
    expect(() => decide(10, 5, 1.2)).toThrow(RangeError)
    expect(() => decide(10, -5, 0.2)).toThrow(RangeError)
    expect(() => decide(Number.NaN, 5, 0.2)).toThrow(RangeError)
  })
})
