/**
 * Reason codes a marketer can read: a stable UPPER_SNAKE code and a text with the numbers behind
 * the decision. Every builder returns at least one reason. Amounts are shown with two decimals,
 * shares as whole percents, and texts never depend on the locale.
 */

import { flatString } from '../text.ts'
import type { DecisionConfig, DecisionResult } from './decision.ts'
import type { PatternConfig, PatternResult } from './pattern.ts'
import type { QuadrantConfig, QuadrantResult } from './quadrant.ts'
import { RFM_SEGMENT_MEANING, type RfmScores, type RfmSegment } from './rfm.ts'
import { quantileOfSorted, sortedFinite } from './stats.ts'
import { TIER_STRATEGY, type Tier, type ValueCutoffs } from './tiers.ts'

/** Every code with its meaning; codes are stable, texts may be reworded. */
export const REASON_CODES = {
  RFM_SEGMENT: 'the RFM cell and segment of the customer',
  TIER_KEY: 'in the key value tier (top share of customers by net value): maintain',
  TIER_GENERAL: 'in the general value tier: develop',
  TIER_SECONDARY: 'in the secondary value tier: let be, develop if potential',
  QUADRANT_EI: 'high contribution, stable purchases: consolidate',
  QUADRANT_EII: 'high contribution, unstable purchases: turn around, find out why they drift',
  QUADRANT_EIII: 'low contribution, stable purchases: upgrade',
  QUADRANT_EIV: 'low contribution, unstable purchases: clear out after a cost-benefit check',
  CLEAR_OUT_RECOMMENDED: 'EIV customer whose expected margin does not cover the cost to serve',
  CLEAR_OUT_NOT_RECOMMENDED: 'EIV customer whose expected margin covers the cost to serve',
  PATTERN_INCREASING: 'spend per period is trending up',
  PATTERN_STABLE: 'spend per period shows no clear trend',
  PATTERN_DECREASING: 'spend per period is trending down',
  PATTERN_IRREGULAR: 'spend per period scatters too much for a trend',
  PATTERN_INSUFFICIENT_HISTORY: 'too few periods or purchases for a pattern',
  DECISION_INVEST: 'net value well above the planned marketing cost and churn risk not high: invest',
  DECISION_MAINTAIN: 'net value covers the planned marketing cost: keep the current investment',
  DECISION_REDUCE: 'net value below the planned marketing cost: reduce the investment',
  DECISION_STOP: 'net value below the planned marketing cost and churn risk high: stop investing',
  NET_VALUE_BELOW_MARKETING_COST: 'the planned marketing cost exceeds the customer net value',
  KEY_CUSTOMER_NOT_STOPPED: 'a key customer who would be stopped is reduced instead, pending review',
  CHURN_RISK_HIGH: 'churn risk (1 - P(alive)) at or above the high-risk line',
  CHURN_RISK_LOW: 'churn risk (1 - P(alive)) below the high-risk line',
  RECENCY_HIGH: 'long since the last purchase compared with other customers',
  RECENCY_NORMAL: 'time since the last purchase is not unusual among customers',
} as const

export type ReasonCode = keyof typeof REASON_CODES

export type Reason = {
  readonly code: ReasonCode
  readonly text: string
}

/** Quantiles of a population at evenly spaced points 0% .. 100%: small, serialisable. */
export type PercentileTable = {
  readonly quantiles: readonly number[]
}

export type RecencyReasonConfig = {
  /** Recency percentile from which the time since the last purchase counts as long. */
  readonly highRecencyPercentile: number
}

export const DEFAULT_RECENCY_REASON_CONFIG: RecencyReasonConfig = {
  /** The longest-lapsed tenth of customers is worth pointing out. */
  highRecencyPercentile: 90,
}

/** `points` quantiles (type 7) at 0, 1 / (points - 1), ..., 1 of the values, in any order. */
export function percentileTable(values: ArrayLike<number>, points = 101): PercentileTable {
  if (!Number.isInteger(points) || points < 2) throw new RangeError('points must be an integer >= 2')
  const sorted = sortedFinite(values, 'values')
  const quantiles: number[] = []
  for (let i = 0; i < points; i++) quantiles.push(quantileOfSorted(sorted, i / (points - 1)))
  return { quantiles }
}

/**
 * Percentile (0 to 100) of a value in the table, interpolating linearly between the table's
 * points; 0 below the smallest and 100 above the largest. A value on a flat stretch of the
 * table (many equal values) gets the middle of the stretch, so ties are neither low nor high.
 */
export function percentileOf(table: PercentileTable, value: number): number {
  const q = table.quantiles
  const m = q.length
  if (m < 2) throw new RangeError('a percentile table needs at least two points')
  if (!Number.isFinite(value)) throw new RangeError('value must be a finite number')
  if (value < (q[0] as number)) return 0
  if (value > (q[m - 1] as number)) return 100
  // Lowest and highest positions at which the interpolated table equals the value.
  const i = firstIndex(q, (x) => x >= value)
  const lower = i === 0 ? 0 : i - 1 + fraction(q, i - 1, value)
  const j = firstIndex(q, (x) => x > value) - 1
  const upper = j === m - 1 ? m - 1 : j + fraction(q, j, value)
  return (50 * (lower + upper)) / (m - 1)
}

export function rfmReasons(scores: RfmScores, segment: RfmSegment): Reason[] {
  return [{ code: 'RFM_SEGMENT', text: `RFM ${scores.cell}: ${segment} (${RFM_SEGMENT_MEANING[segment]})` }]
}

export function tierReasons(tier: Tier, netValue: number, cutoffs: ValueCutoffs): Reason[] {
  const texts = tierTexts(cutoffs)
  // The net value, then a part made once per set of cut-offs.
  const value = netValueText(netValue)
  if (tier === 'key') return [{ code: 'TIER_KEY', text: value + texts.keyTail }]
  if (tier === 'general') return [{ code: 'TIER_GENERAL', text: value + texts.generalTail }]
  const tail = netValue <= 0 ? texts.notPositiveTail : cutoffs.general ? texts.belowTail : texts.noneTail
  return [{ code: 'TIER_SECONDARY', text: value + tail }]
}

/** 'churn risk 37%', made once for each whole percent from 0 to 100. */
const CHURN_RISK_TEXTS: (string | undefined)[] = new Array<undefined>(101).fill(undefined)

function churnRiskText(churnRisk: number): string {
  const risk = wholePercent(churnRisk)
  if (!(risk >= 0 && risk <= 100)) return `churn risk ${risk}%`
  let text = CHURN_RISK_TEXTS[risk]
  if (text === undefined) {
    text = flatString(`churn risk ${risk}%`)
    CHURN_RISK_TEXTS[risk] = text
  }
  return text
}

/** 'net value 12.34': the decision and the tier reasons of a customer both start with it. */
const netValueText = lastOf((netValue: number) => `net value ${money(netValue)}`)

/** The parts of the tier texts that come from the cut-offs, made once for each set of cut-offs. */
const tierTexts = lastOf((cutoffs: ValueCutoffs) => {
  const strategy = (tier: Tier) => `strategy: ${TIER_STRATEGY[tier]}`
  const keyCut = cutoffs.key ? ` (key cut-off ${money(cutoffs.key.netValue)})` : ''
  const generalCut = cutoffs.general ? ` (general cut-off ${money(cutoffs.general.netValue)})` : ''
  const key = `${percent(cutoffs.keyShare)} of customers${keyCut}; ${strategy('key')}`
  const general = `${percent(cutoffs.generalShare)} of customers after the key tier${generalCut}; ${strategy('general')}`
  const belowGeneral = cutoffs.general ? `the general cut-off ${money(cutoffs.general.netValue)}` : ''
  const secondary = strategy('secondary')
  return {
    keyTail: flatString(` ranks in the top ${key}`),
    generalTail: flatString(` ranks in the next ${general}`),
    notPositiveTail: flatString(` is not positive; ${secondary}`),
    belowTail: flatString(` ranks below ${belowGeneral}; ${secondary}`),
    noneTail: flatString(`; no customer had a positive net value when the tiers were set; ${secondary}`),
  }
})

export function quadrantReasons(result: QuadrantResult, config: QuadrantConfig): Reason[] {
  const texts = quadrantTexts(config)
  // A customer with no purchase in the window (most customers of a long history) gets a text that
  // depends on the quadrant and the number of periods alone: made once, shared.
  const idle =
    result.contribution === 0 &&
    !result.highContribution &&
    result.activePeriods === 0 &&
    result.activeShare === 0 &&
    result.cv === null &&
    Number.isInteger(result.periods) &&
    result.periods >= 0 &&
    result.periods < 1e4
  const key = idle
    ? (result.periods * 4 + QUADRANT_NUMBER[result.quadrant]) * 2 + (result.stable ? 1 : 0)
    : undefined
  const { idle: kept } = texts
  // Filled from 0 on without holes, so that the array stays packed.
  if (key !== undefined) while (kept.length <= key) kept.push(undefined)
  let first = key === undefined ? undefined : kept[key]
  if (first === undefined) {
    const text = quadrantText(result, config, texts)
    first = { code: QUADRANT_CODE[result.quadrant], text }
    if (key !== undefined) {
      first = flatReason(first)
      kept[key] = first
    }
  }
  const check = result.clearOut
  if (!check) return [first]
  const margin = `expected margin ${money(check.expectedMargin)}`
  const tails = clearOutTails(check.costToServe)
  return [
    first,
    check.recommended
      ? { code: 'CLEAR_OUT_RECOMMENDED', text: margin + tails.notCovered }
      : { code: 'CLEAR_OUT_NOT_RECOMMENDED', text: margin + tails.covered },
  ]
}

function quadrantText(result: QuadrantResult, config: QuadrantConfig, texts: QuadrantTexts): string {
  // The contribution between parts made once per configuration and threshold.
  const tails = texts.contributionTails(result.threshold)
  const tail = result.highContribution
    ? tails.high
    : result.contribution <= 0
      ? tails.notPositive
      : tails.below
  const contribution = `contribution ${money(result.contribution)}${tail}`
  const active = `active in ${result.activePeriods} of ${result.periods} periods (${percent(result.activeShare)})`
  const cv = result.cv === null ? 'no positive spend' : `spend CV ${fixed2(result.cv)}`
  let stability: string
  if (result.stable) {
    stability = `stable: ${active}, at least ${texts.minActive}, and ${cv}, at most ${texts.maxCv}`
  } else {
    // The causes joined with '; ' (by concatenation, quicker than an array and join).
    let causes = result.activeShare < config.minActiveShare ? `${active}, below ${texts.minActive}` : ''
    const cvCause =
      result.cv === null ? cv : result.cv > config.maxCv ? `${cv}, above ${texts.maxCv}` : undefined
    if (cvCause !== undefined) causes = causes === '' ? cvCause : `${causes}; ${cvCause}`
    stability = `unstable: ${causes}`
  }
  return `${result.quadrant} ${result.strategy}: ${contribution}; ${stability}`
}

/** The code of each quadrant, as constants (codes are compared and looked up for every record). */
const QUADRANT_CODE = {
  EI: 'QUADRANT_EI',
  EII: 'QUADRANT_EII',
  EIII: 'QUADRANT_EIII',
  EIV: 'QUADRANT_EIV',
} as const satisfies Record<QuadrantResult['quadrant'], ReasonCode>

type QuadrantTexts = {
  /** What follows the contribution: above, not above the threshold, or not positive. */
  readonly contributionTails: (threshold: number) => {
    readonly high: string
    readonly below: string
    readonly notPositive: string
  }
  readonly minActive: string
  readonly maxCv: string
  /**
   * The first reason of customers without a purchase in the window, by quadrant, periods and stability
   * (the key in quadrantReasons).
   */
  readonly idle: (Reason | undefined)[]
}

const QUADRANT_NUMBER = { EI: 0, EII: 1, EIII: 2, EIV: 3 } as const satisfies Record<
  QuadrantResult['quadrant'],
  number
>

/** The parts of the quadrant texts that come from the configuration, made once for each configuration. */
const quadrantTexts = lastOf(
  (config: QuadrantConfig): QuadrantTexts => ({
    contributionTails: lastOf((threshold: number) => {
      const top = percent(1 - config.contributionQuantile)
      return {
        high: flatString(` at or above the top-${top} threshold ${money(threshold)}`),
        below: flatString(` below the top-${top} threshold ${money(threshold)}`),
        notPositive: ' is not positive',
      }
    }),
    minActive: percent(config.minActiveShare),
    maxCv: fixed2(config.maxCv),
    idle: [],
  }),
)

/** What follows the expected margin in the clear-out reasons, made once per cost to serve. */
const clearOutTails = lastOf((cost: number) => ({
  notCovered: flatString(` does not cover the cost to serve ${money(cost)}`),
  covered: flatString(` covers the cost to serve ${money(cost)}; keep serving`),
}))

export function patternReasons(result: PatternResult, config: PatternConfig): Reason[] {
  const { pattern, periods, activePeriods, relativeChange, residualCv } = result
  if (pattern === 'insufficient history') {
    const text =
      activePeriods === 0
        ? 'no purchase in the window'
        : periods < config.minPeriods
          ? `only ${plural(periods, 'period')} since the first purchase (${config.minPeriods} needed)`
          : `only ${plural(activePeriods, 'active period')} (${config.minActivePeriods} needed)`
    return [{ code: 'PATTERN_INSUFFICIENT_HISTORY', text }]
  }
  if (relativeChange === null || residualCv === null) {
    return [{ code: 'PATTERN_IRREGULAR', text: `no positive mean spend over ${plural(periods, 'period')}` }]
  }
  const trend = `spend trend ${signedPercent(relativeChange)} over ${plural(periods, 'period')}`
  const scatter = `scatter around the trend (CV) ${fixed2(residualCv)}`
  const { limit, maxScatter } = patternTexts(config)
  switch (pattern) {
    case 'irregular':
      return [
        { code: 'PATTERN_IRREGULAR', text: `spend too uneven for a trend: ${scatter}, above ${maxScatter}` },
      ]
    case 'increasing':
      return [{ code: 'PATTERN_INCREASING', text: `${trend}, more than +${limit}; ${scatter}` }]
    case 'decreasing':
      return [{ code: 'PATTERN_DECREASING', text: `${trend}, more than -${limit}; ${scatter}` }]
    case 'stable':
      return [{ code: 'PATTERN_STABLE', text: `${trend}, within +/-${limit}; ${scatter}` }]
  }
}

/** The parts of the pattern texts that come from the configuration, made once for each configuration. */
const patternTexts = lastOf((config: PatternConfig) => ({
  limit: percent(config.changeThreshold),
  maxScatter: fixed2(config.maxResidualCv),
}))

export function decisionReasons(result: DecisionResult, config: DecisionConfig): Reason[] {
  // The net value and the churn risk, with the parts between and after them made once per
  // configuration and marketing cost (decisionTexts).
  const value = netValueText(result.netValue)
  const t = decisionTexts(config)(result.marketingCost)
  const risk = churnRiskText(result.churnRisk)
  const reasons: Reason[] = []
  if (result.belowMarketingCost) {
    reasons.push({ code: 'NET_VALUE_BELOW_MARKETING_COST', text: value + t.belowCost })
  }
  switch (result.decision) {
    case 'stop':
      reasons.push({ code: 'DECISION_STOP', text: value + t.belowCostAnd + risk + t.stopTail })
      break
    case 'reduce':
      reasons.push({
        code: 'DECISION_REDUCE',
        text:
          value + t.belowCostThen + risk + (result.keyCustomerNotStopped ? t.reduceKeyTail : t.reduceTail),
      })
      break
    case 'invest':
      reasons.push({ code: 'DECISION_INVEST', text: value + t.investMiddle + risk + t.investTail })
      break
    case 'maintain':
      reasons.push({
        code: 'DECISION_MAINTAIN',
        text: result.highChurnRisk ? value + t.coversBut + risk + t.maintainHighTail : value + t.maintainTail,
      })
      break
  }
  if (result.keyCustomerNotStopped) {
    reasons.push({
      code: 'KEY_CUSTOMER_NOT_STOPPED',
      text: `key customer with ${risk} and ${value}${t.keyTail}`,
    })
  }
  return reasons
}

/**
 * The parts of the decision texts that come from the configuration and the marketing cost, made once
 * for each configuration and cost.
 */
const decisionTexts = lastOf((config: DecisionConfig) =>
  lastOf((marketingCost: number) => {
    const cost = `the planned marketing cost ${money(marketingCost)}`
    const line = percent(config.highChurnRisk)
    const investAmount = money(config.investMultiple * marketingCost)
    const multiple = config.investMultiple
    return {
      belowCost: flatString(` is below ${cost}`),
      belowCostAnd: flatString(` is below ${cost} and `),
      stopTail: flatString(` is at or above ${line}: stop investing`),
      belowCostThen: flatString(` is below ${cost}; `),
      reduceKeyTail: flatString(
        ` is at or above ${line}, but a key customer is not stopped automatically: reduce`,
      ),
      reduceTail: flatString(` is below ${line}: reduce`),
      investMiddle: flatString(` is at least ${multiple} times ${cost} (${investAmount}) and `),
      investTail: flatString(` is below ${line}: invest`),
      coversBut: flatString(` covers ${cost}, but `),
      maintainHighTail: flatString(` is at or above ${line}: maintain`),
      maintainTail: flatString(
        ` covers ${cost} but is below ${multiple} times it (${investAmount}): maintain`,
      ),
      keyTail: flatString(` below ${cost}: review before stopping`),
    }
  }),
)

/**
 * `build`, remembering the last key and what it built: the builders above are called with the same
 * configuration (and mostly the same cut-offs and costs) for every customer of a run. Keys are
 * compared with ===, so a configuration must not be changed once used (it never is: it is parsed once).
 */
function lastOf<K, V>(build: (key: K) => V): (key: K) => V {
  let last: { readonly key: K; readonly value: V } | undefined
  return (key) => {
    if (last === undefined || last.key !== key) last = { key, value: build(key) }
    return last.value
  }
}

export type ChurnReasonInput = {
  /** 1 - P(alive). */
  readonly churnRisk: number
  /** Days since the last purchase, with the population's recency table, for a recency reason. */
  readonly recency?: { readonly days: number; readonly table: PercentileTable }
}

export function churnReasons(
  input: ChurnReasonInput,
  config: Pick<DecisionConfig, 'highChurnRisk'> & RecencyReasonConfig,
): Reason[] {
  const reasons: Reason[] = [churnRiskReason(input.churnRisk, config)]
  if (input.recency) reasons.push(recencyReason(input.recency.days, input.recency.table, config))
  return reasons
}

function churnRiskReason(churnRisk: number, config: Pick<DecisionConfig, 'highChurnRisk'>): Reason {
  return riskReason(
    wholePercent(churnRisk),
    wholePercent(1 - churnRisk),
    churnRisk >= config.highChurnRisk,
    config,
  )
}

/** The churn risk reason from the risk and P(alive) in whole percents, which is all its text shows. */
function riskReason(
  riskPercent: number,
  alivePercent: number,
  high: boolean,
  config: Pick<DecisionConfig, 'highChurnRisk'>,
): Reason {
  const risk = `churn risk ${riskPercent}% (P(alive) ${alivePercent}%)`
  const line = percent(config.highChurnRisk)
  return high
    ? { code: 'CHURN_RISK_HIGH', text: `${risk} is at or above ${line}` }
    : { code: 'CHURN_RISK_LOW', text: `${risk} is below ${line}` }
}

/**
 * `churnReasons` for one configuration and recency table, for many customers: the texts depend on a
 * few small whole numbers (percents, days), so each distinct reason is built once and shared by every
 * customer it describes (reasons are never changed once built).
 */
export class ChurnReasons {
  private readonly config: Pick<DecisionConfig, 'highChurnRisk'> & RecencyReasonConfig
  private readonly table: PercentileTable
  /** By the key in `risk`: arrays, as the keys are small whole numbers. */
  private readonly risks: (Reason | undefined)[] = new Array(101 * 101 * 2).fill(undefined)
  /** By days. */
  private readonly recencies: (Reason | undefined)[] = []

  constructor(config: Pick<DecisionConfig, 'highChurnRisk'> & RecencyReasonConfig, table: PercentileTable) {
    this.config = config
    this.table = table
  }

  /** The same reasons as `churnReasons({ churnRisk, recency: { days, table } }, config)`. */
  of(churnRisk: number, days: number): Reason[] {
    return [this.risk(churnRisk), this.recency(days)]
  }

  private risk(churnRisk: number): Reason {
    const risk = wholePercent(churnRisk)
    const alive = wholePercent(1 - churnRisk)
    const high = churnRisk >= this.config.highChurnRisk
    // Percents of a share from 0 to 1 lie in 0..100; anything else is built as it comes.
    if (!(risk >= 0 && risk <= 100 && alive >= 0 && alive <= 100))
      return riskReason(risk, alive, high, this.config)
    const key = (risk * 101 + alive) * 2 + (high ? 1 : 0)
    let reason = this.risks[key]
    if (reason === undefined) {
      reason = flatReason(riskReason(risk, alive, high, this.config))
      this.risks[key] = reason
    }
    return reason
  }

  private recency(days: number): Reason {
    if (!(Number.isInteger(days) && days >= 0 && days < 1e5))
      return recencyReason(days, this.table, this.config)
    const { recencies } = this
    // Filled from 0 on without holes, so that the array stays packed.
    while (recencies.length <= days) recencies.push(undefined)
    let reason = recencies[days]
    if (reason === undefined) {
      reason = flatReason(recencyReason(days, this.table, this.config))
      recencies[days] = reason
    }
    return reason
  }
}

/** e.g. RECENCY_HIGH 'no purchase for 214 days, 93rd percentile of recency'. */
export function recencyReason(days: number, table: PercentileTable, config: RecencyReasonConfig): Reason {
  const percentile = percentileOf(table, days)
  const where = `${ordinal(Math.round(percentile))} percentile of recency`
  return percentile >= config.highRecencyPercentile
    ? { code: 'RECENCY_HIGH', text: `no purchase for ${plural(days, 'day')}, ${where}` }
    : {
        code: 'RECENCY_NORMAL',
        text: `${days === 0 ? 'last purchase today' : `last purchase ${plural(days, 'day')} ago`}, ${where}`,
      }
}

/**
 * The reason with its text as one flat string, for a reason kept and shared by many customers: built
 * by concatenation, the text is a tree of its parts, walked again for every line that holds it.
 */
export function flatReason(reason: Reason): Reason {
  return { code: reason.code, text: flatString(reason.text) }
}

function firstIndex(sorted: readonly number[], test: (x: number) => boolean): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (test(sorted[mid] as number)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Where the value sits between points k and k + 1, from 0 to 1. */
function fraction(q: readonly number[], k: number, value: number): number {
  const a = q[k] as number
  const b = q[k + 1] as number
  return b > a ? (value - a) / (b - a) : 0
}

function money(amount: number): string {
  const text = fixed2(amount)
  return text === '-0.00' ? '0.00' : text
}

/**
 * `value.toFixed(2)`, a few times faster (it is called for every amount of every reason text). toFixed
 * rounds the exact binary value to cents, halves up. Below 2e7 the product by 100 is correctly rounded
 * and the half cent above its whole part is a double, so the product lies on the same side of it as the
 * exact value, or on it: only then is the rounding left to toFixed.
 */
export function fixed2(value: number): string {
  const size = value < 0 ? -value : value
  if (size < 2e7) {
    const scaled = size * 100
    const floor = Math.floor(scaled)
    const rest = scaled - floor
    if (rest !== 0.5) {
      const cents = rest > 0.5 ? floor + 1 : floor
      const whole = Math.floor(cents / 100)
      const part = cents - whole * 100
      const text = part < 10 ? `${whole}.0${part}` : `${whole}.${part}`
      return value < 0 ? `-${text}` : text
    }
  }
  return value.toFixed(2)
}

function percent(share: number): string {
  return `${wholePercent(share)}%`
}

function wholePercent(share: number): number {
  return Math.round(share * 100) + 0
}

function signedPercent(share: number): string {
  const rounded = Math.round(share * 100) + 0
  return `${rounded > 0 ? '+' : ''}${rounded}%`
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

function ordinal(n: number): string {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'
  return `${n}${suffix}`
}
