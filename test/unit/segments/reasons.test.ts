import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_DECISION_CONFIG, investmentDecision } from '../../../shared/segments/decision.ts'
import { consumptionPattern, DEFAULT_PATTERN_CONFIG } from '../../../shared/segments/pattern.ts'
import { DEFAULT_QUADRANT_CONFIG, quadrantOf } from '../../../shared/segments/quadrant.ts'
import {
  ChurnReasons,
  churnReasons,
  DEFAULT_RECENCY_REASON_CONFIG,
  decisionReasons,
  fixed2,
  patternReasons,
  percentileOf,
  percentileTable,
  quadrantReasons,
  REASON_CODES,
  type Reason,
  recencyReason,
  rfmReasons,
  tierReasons,
} from '../../../shared/segments/reasons.ts'
import { rfmCutoffs, rfmScores, rfmSegment } from '../../../shared/segments/rfm.ts'
import { tierOf, valueTiers } from '../../../shared/segments/tiers.ts'

const codes = (reasons: readonly Reason[]) => reasons.map((r) => r.code)
const CHURN_CONFIG = { ...DEFAULT_DECISION_CONFIG, ...DEFAULT_RECENCY_REASON_CONFIG }

/** 101 customers whose recency at position i of the sorted order is i, except 214 at position 93. */
const recencies = Array.from({ length: 101 }, (_, i) => (i === 93 ? 214 : i < 93 ? i : 300 + i))
const zeroToHundred = percentileTable(Array.from({ length: 101 }, (_, i) => i))

describe('percentile table', () => {
  it('holds the 101 percentiles 0% to 100% by default', () => {
    expect(zeroToHundred.quantiles).toEqual(Array.from({ length: 101 }, (_, i) => i))
  })

  it('interpolates between order statistics like numpy.percentile', () => {
    // numpy.percentile(range(1, 11), [0, 10, ..., 100]) = 1, 1.9, 2.8, ..., 10
    const table = percentileTable([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 11)
    table.quantiles.forEach((q, i) => {
      expect(q).toBeCloseTo(1 + 0.9 * i, 12)
    })
  })

  it('does not depend on the order of the values', () => {
    const shuffled = fc
      .array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 60 })
      .chain((values) =>
        fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length })),
      )
    fc.assert(
      fc.property(shuffled, ([values, reordered]) => {
        expect(percentileTable(reordered, 21)).toEqual(percentileTable(values, 21))
      }),
    )
  })

  it('rejects fewer than two points and an empty population', () => {
    expect(() => percentileTable([1, 2], 1)).toThrow(RangeError)
    expect(() => percentileTable([])).toThrow(RangeError)
  })
})

describe('percentile of a value', () => {
  it('interpolates between the points of the table', () => {
    expect(percentileOf(zeroToHundred, 37.5)).toBeCloseTo(37.5, 12)
  })

  it('is 0 below the smallest and 100 above the largest value', () => {
    expect(percentileOf(zeroToHundred, -1)).toBe(0)
    expect(percentileOf(zeroToHundred, 1000)).toBe(100)
  })

  it('puts a value shared by many customers in the middle of their stretch', () => {
    // 60 customers bought once; frequency 1 fills the table from 0% to 59%.
    const table = percentileTable([
      ...Array<number>(60).fill(1),
      ...Array.from({ length: 40 }, (_, i) => i + 2),
    ])
    expect(percentileOf(table, 1)).toBeCloseTo(29.5, 12)
  })

  it('never falls as the value rises', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: -10, max: 60, noNaN: true }),
        fc.double({ min: -10, max: 60, noNaN: true }),
        (values, a, b) => {
          const table = percentileTable(values, 21)
          const [low, high] = a <= b ? [a, b] : [b, a]
          expect(percentileOf(table, low)).toBeLessThanOrEqual(percentileOf(table, high))
        },
      ),
    )
  })
})

describe('reason codes', () => {
  it('are stable UPPER_SNAKE codes, each with a meaning', () => {
    for (const [code, meaning] of Object.entries(REASON_CODES)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/)
      expect(meaning.length).toBeGreaterThan(10)
    }
  })
})

describe('recency reason', () => {
  it('says how long ago the last purchase was and where that sits among customers', () => {
    expect(recencyReason(214, percentileTable(recencies), DEFAULT_RECENCY_REASON_CONFIG)).toEqual({
      code: 'RECENCY_HIGH',
      text: 'no purchase for 214 days, 93rd percentile of recency',
    })
  })

  it.each([
    [1, 'last purchase 1 day ago, 1st percentile of recency'],
    [2, 'last purchase 2 days ago, 2nd percentile of recency'],
    [13, 'last purchase 13 days ago, 13th percentile of recency'],
    [22, 'last purchase 22 days ago, 22nd percentile of recency'],
    [0, 'last purchase today, 0th percentile of recency'],
  ])('reads %i days as a recency that is not unusual', (days, text) => {
    expect(recencyReason(days, zeroToHundred, DEFAULT_RECENCY_REASON_CONFIG)).toEqual({
      code: 'RECENCY_NORMAL',
      text,
    })
  })

  it('calls a recency high from the 90th percentile', () => {
    expect(recencyReason(90, zeroToHundred, DEFAULT_RECENCY_REASON_CONFIG).code).toBe('RECENCY_HIGH')
    expect(recencyReason(89, zeroToHundred, DEFAULT_RECENCY_REASON_CONFIG).code).toBe('RECENCY_NORMAL')
  })
})

describe('churn reasons', () => {
  it('state a high churn risk with P(alive)', () => {
    expect(churnReasons({ churnRisk: 0.85 }, CHURN_CONFIG)).toEqual([
      { code: 'CHURN_RISK_HIGH', text: 'churn risk 85% (P(alive) 15%) is at or above 70%' },
    ])
  })

  it('state a churn risk below the line', () => {
    expect(churnReasons({ churnRisk: 0.25 }, CHURN_CONFIG)).toEqual([
      { code: 'CHURN_RISK_LOW', text: 'churn risk 25% (P(alive) 75%) is below 70%' },
    ])
  })

  it('add the recency reason when the recency and its table are given', () => {
    const reasons = churnReasons(
      { churnRisk: 0.85, recency: { days: 214, table: percentileTable(recencies) } },
      CHURN_CONFIG,
    )
    expect(codes(reasons)).toEqual(['CHURN_RISK_HIGH', 'RECENCY_HIGH'])
  })
})

describe('RFM reason', () => {
  it('names the cell and the segment', () => {
    const people = Array.from({ length: 100 }, (_, i) => ({ recency: i, frequency: i, monetary: i }))
    const scores = rfmScores(rfmCutoffs(people), { recency: 3, frequency: 99, monetary: 95 })
    expect(rfmReasons(scores, rfmSegment(scores.r, scores.f, scores.m))).toEqual([
      { code: 'RFM_SEGMENT', text: 'RFM 555: Champions (bought recently, buy often and spend the most)' },
    ])
  })
})

describe('tier reasons', () => {
  const { valueCutoffs } = valueTiers(
    [50, 40, 30, 20, 10, 5, 4, 3, 2, 1].map((netValue, i) => ({ customerId: `c${i}`, netValue })),
  )
  const reasonFor = (netValue: number) => tierReasons(tierOf(valueCutoffs, netValue), netValue, valueCutoffs)

  it('state the share and cut-off of a key customer and its strategy', () => {
    expect(reasonFor(45)).toEqual([
      {
        code: 'TIER_KEY',
        text: 'net value 45.00 ranks in the top 20% of customers (key cut-off 40.00); strategy: maintain',
      },
    ])
  })

  it('state the share and cut-off of a general customer and its strategy', () => {
    expect(reasonFor(12)).toEqual([
      {
        code: 'TIER_GENERAL',
        text: 'net value 12.00 ranks in the next 30% of customers after the key tier (general cut-off 10.00); strategy: develop',
      },
    ])
  })

  it('state why a customer is secondary', () => {
    expect(reasonFor(7.5)).toEqual([
      {
        code: 'TIER_SECONDARY',
        text: 'net value 7.50 ranks below the general cut-off 10.00; strategy: let be / develop if potential',
      },
    ])
    expect(reasonFor(-3)[0]?.text).toBe(
      'net value -3.00 is not positive; strategy: let be / develop if potential',
    )
  })
})

describe('quadrant reasons', () => {
  const of = (contribution: number, series: number[], expectedMargin = 50, costToServe = 20) =>
    quadrantReasons(
      quadrantOf({ contribution, series, expectedMargin, costToServe }, 800, DEFAULT_QUADRANT_CONFIG),
      DEFAULT_QUADRANT_CONFIG,
    )

  it('state contribution and stability of an EI customer', () => {
    expect(of(1200, [100, 100, 100, 100])).toEqual([
      {
        code: 'QUADRANT_EI',
        text:
          'EI consolidate: contribution 1200.00 at or above the top-20% threshold 800.00; ' +
          'stable: active in 4 of 4 periods (100%), at least 50%, and spend CV 0.00, at most 1.00',
      },
    ])
  })

  it('name every cause of instability of an EII customer', () => {
    expect(of(1200, [300, 100, 0, 0, 0])).toEqual([
      {
        code: 'QUADRANT_EII',
        text:
          'EII turn around: contribution 1200.00 at or above the top-20% threshold 800.00; ' +
          'unstable: active in 2 of 5 periods (40%), below 50%; spend CV 1.46, above 1.00',
      },
    ])
  })

  it('state the low contribution of an EIII customer', () => {
    expect(of(300, [10, 10])[0]).toMatchObject({
      code: 'QUADRANT_EIII',
      text: expect.stringContaining('contribution 300.00 below the top-20% threshold 800.00'),
    })
  })

  it('add the cost-benefit check of an EIV customer, with both amounts', () => {
    expect(of(-5, [30, 0, 0], 4, 6.5)).toEqual([
      {
        code: 'QUADRANT_EIV',
        text: 'EIV clear out: contribution -5.00 is not positive; unstable: active in 1 of 3 periods (33%), below 50%; spend CV 1.41, above 1.00',
      },
      { code: 'CLEAR_OUT_RECOMMENDED', text: 'expected margin 4.00 does not cover the cost to serve 6.50' },
    ])
    expect(of(300, [30, 0, 0], 9, 6.5)[1]).toEqual({
      code: 'CLEAR_OUT_NOT_RECOMMENDED',
      text: 'expected margin 9.00 covers the cost to serve 6.50; keep serving',
    })
  })

  it('state each customer without a purchase in the window with its own periods and configuration', () => {
    const strict = { ...DEFAULT_QUADRANT_CONFIG, minActiveShare: 0.75, contributionQuantile: 0.9 }
    const idle = (periods: number, config = DEFAULT_QUADRANT_CONFIG, costToServe = 20) =>
      quadrantReasons(
        quadrantOf(
          { contribution: 0, series: Array(periods).fill(0), expectedMargin: 1, costToServe },
          800,
          config,
        ),
        config,
      )
    const twelve = [
      {
        code: 'QUADRANT_EIV',
        text: 'EIV clear out: contribution 0.00 is not positive; unstable: active in 0 of 12 periods (0%), below 50%; no positive spend',
      },
      { code: 'CLEAR_OUT_RECOMMENDED', text: 'expected margin 1.00 does not cover the cost to serve 20.00' },
    ]
    // Texts shared between customers and configurations read once are still each call's own.
    expect(idle(12)).toEqual(twelve)
    expect(idle(4)[0]?.text).toContain('active in 0 of 4 periods (0%), below 50%')
    expect(idle(12, strict)[0]?.text).toContain('active in 0 of 12 periods (0%), below 75%')
    expect(
      quadrantReasons(
        quadrantOf({ contribution: 300, series: [10, 0], expectedMargin: 50, costToServe: 20 }, 800, strict),
        strict,
      )[0]?.text,
    ).toContain('below the top-10% threshold')
    expect(idle(12, DEFAULT_QUADRANT_CONFIG, 2.5)[1]?.text).toBe(
      'expected margin 1.00 does not cover the cost to serve 2.50',
    )
    expect(idle(12)).toEqual(twelve)
  })
})

describe('pattern reasons', () => {
  const of = (series: number[]) => patternReasons(consumptionPattern(series), DEFAULT_PATTERN_CONFIG)

  it.each([
    [
      [10, 20, 30, 40, 50, 60],
      'PATTERN_INCREASING',
      'spend trend +171% over 6 periods, more than +30%; scatter around the trend (CV) 0.00',
    ],
    [
      [60, 50, 40, 30, 20, 10],
      'PATTERN_DECREASING',
      'spend trend -171% over 6 periods, more than -30%; scatter around the trend (CV) 0.00',
    ],
    [
      [50, 50, 50, 50, 50, 50],
      'PATTERN_STABLE',
      'spend trend 0% over 6 periods, within +/-30%; scatter around the trend (CV) 0.00',
    ],
    [
      [0, 0, 10, 20, 30],
      'PATTERN_INSUFFICIENT_HISTORY',
      'only 3 periods since the first purchase (6 needed)',
    ],
    [[10, 0, 0, 0, 0, 0, 20], 'PATTERN_INSUFFICIENT_HISTORY', 'only 2 active periods (3 needed)'],
    [[0, 0, 0], 'PATTERN_INSUFFICIENT_HISTORY', 'no purchase in the window'],
  ])('explain the pattern of %j', (series, code, text) => {
    expect(of(series)).toEqual([{ code, text }])
  })

  it('explain an irregular pattern by its scatter', () => {
    const [reason] = of([100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 100, 0])
    expect(reason?.code).toBe('PATTERN_IRREGULAR')
    expect(reason?.text).toMatch(
      /^spend too uneven for a trend: scatter around the trend \(CV\) \d\.\d\d, above 1\.00$/,
    )
  })
})

describe('decision reasons', () => {
  const of = (
    netValue: number,
    marketingCost: number,
    churnRisk: number,
    tier: 'key' | 'general' = 'general',
  ) =>
    decisionReasons(investmentDecision({ netValue, marketingCost, churnRisk, tier }), DEFAULT_DECISION_CONFIG)

  it('say when net value falls below the planned marketing cost', () => {
    expect(of(12.4, 20, 0.3)).toContainEqual({
      code: 'NET_VALUE_BELOW_MARKETING_COST',
      text: 'net value 12.40 is below the planned marketing cost 20.00',
    })
  })

  it('explain a stop by value and churn risk', () => {
    expect(of(12.4, 20, 0.85)).toEqual([
      {
        code: 'NET_VALUE_BELOW_MARKETING_COST',
        text: 'net value 12.40 is below the planned marketing cost 20.00',
      },
      {
        code: 'DECISION_STOP',
        text: 'net value 12.40 is below the planned marketing cost 20.00 and churn risk 85% is at or above 70%: stop investing',
      },
    ])
  })

  it('explain why a key customer is reduced rather than stopped', () => {
    expect(codes(of(12.4, 20, 0.85, 'key'))).toEqual([
      'NET_VALUE_BELOW_MARKETING_COST',
      'DECISION_REDUCE',
      'KEY_CUSTOMER_NOT_STOPPED',
    ])
  })

  it('explain an investment by the multiple of the cost', () => {
    expect(of(95, 20, 0.25)).toEqual([
      {
        code: 'DECISION_INVEST',
        text: 'net value 95.00 is at least 3 times the planned marketing cost 20.00 (60.00) and churn risk 25% is below 70%: invest',
      },
    ])
  })

  it('explain a maintain by the missing multiple or the churn risk', () => {
    expect(of(45, 20, 0.25)[0]?.text).toBe(
      'net value 45.00 covers the planned marketing cost 20.00 but is below 3 times it (60.00): maintain',
    )
    expect(of(95, 20, 0.8)[0]?.text).toBe(
      'net value 95.00 covers the planned marketing cost 20.00, but churn risk 80% is at or above 70%: maintain',
    )
  })

  it('give every decision its reason, carrying the net value and the cost', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.constantFrom('key' as const, 'general' as const),
        (netCents, costCents, riskPercent, tier) => {
          const reasons = of(netCents / 100, costCents / 100, riskPercent / 100, tier)
          const decision = reasons.find((r) => r.code.startsWith('DECISION_'))
          expect(decision?.text).toContain(`net value ${(netCents / 100).toFixed(2)}`)
          expect(decision?.text).toContain(`marketing cost ${(costCents / 100).toFixed(2)}`)
          for (const reason of reasons) expect(Object.keys(REASON_CODES)).toContain(reason.code)
        },
      ),
    )
  })
})

describe('ChurnReasons', () => {
  const recencies = Array.from({ length: 500 }, (_, i) => (i * 37) % 400)
  const table = percentileTable(recencies)
  const config = { ...DEFAULT_DECISION_CONFIG, ...DEFAULT_RECENCY_REASON_CONFIG }

  it('gives every customer the reasons churnReasons gives, however many customers share them', () => {
    const cache = new ChurnReasons(config, table)
    const share = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(0, 1, -0, 0.005, 0.995, 0.125, 0.7, 0.6999999999999998, config.highChurnRisk),
      fc.double(),
    )
    const days = fc.oneof(fc.integer({ min: 0, max: 500 }), fc.constantFrom(0, 1, 399, 400, 1e6))
    fc.assert(
      fc.property(fc.array(fc.tuple(share, days), { minLength: 1, maxLength: 50 }), (customers) => {
        for (const [churnRisk, recency] of customers) {
          expect(cache.of(churnRisk, recency)).toEqual(
            churnReasons({ churnRisk, recency: { days: recency, table } }, config),
          )
        }
      }),
      { numRuns: 500 },
    )
  })
})

/** The double `steps` representable numbers above `value` (below when negative). */
function ulpsAway(value: number, steps: number): number {
  const bits = new BigInt64Array(new Float64Array([value]).buffer)
  bits[0] = (bits[0] as bigint) + BigInt(value < 0 ? -steps : steps)
  return new Float64Array(bits.buffer)[0] as number
}

describe('amounts with two decimals', () => {
  // Reason texts show every amount with fixed2; it must write exactly what toFixed(2) writes.
  it('agrees with toFixed(2) on any number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (value) => {
        expect(fixed2(value)).toBe(value.toFixed(2))
      }),
      { numRuns: 20_000 },
    )
  })

  it('agrees with toFixed(2) on amounts of whole cents, half cents and just beside them', () => {
    const values: number[] = []
    for (let cents = -100_000; cents <= 100_000; cents++) {
      const half = (cents + 0.5) / 100
      values.push(cents / 100, half, half + 1e-9, half - 1e-9, (cents * 12_345.67) / 100)
      for (let step = -3; step <= 3; step++) values.push(ulpsAway(half, step))
    }
    values.push(1.005, 2.675, 1.045, 8.345, 0.125, -0.125, 1.255, 19_999_999.995, 2e7 - 0.005, 2e7, -0, 1e21)
    const wrong = values.filter((value) => fixed2(value) !== value.toFixed(2))
    expect(wrong).toEqual([])
  })

  it('agrees with toFixed(2) on money-sized amounts', () => {
    fc.assert(
      fc.property(fc.double({ min: -3e7, max: 3e7, noNaN: true }), (value) => {
        expect(fixed2(value)).toBe(value.toFixed(2))
      }),
      { numRuns: 50_000 },
    )
  })
})
