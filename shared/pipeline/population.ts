import { MODEL_VERSION, type ScoreRecord } from '../domain/score-record.ts'
import {
  type BgNbdFit,
  type BgNbdParams,
  expectedIfAlive,
  fitBgNbd,
  groupPatterns,
  pAlive,
} from '../scoring/bgnbd.ts'
import { monthlyRate } from '../scoring/clv.ts'
import {
  expectedSpend,
  fitGammaGamma,
  frequencySpendCorrelation,
  type GammaGammaFit,
  populationMeanSpend,
} from '../scoring/gamma-gamma.ts'
import type { CustomerSummary } from '../scoring/summary.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import { investmentDecision } from '../segments/decision.ts'
import { consumptionPattern } from '../segments/pattern.ts'
import { contributionThreshold, QUADRANT_STRATEGY, quadrantOf } from '../segments/quadrant.ts'
import {
  churnReasons,
  decisionReasons,
  type PercentileTable,
  patternReasons,
  percentileTable,
  quadrantReasons,
  rfmReasons,
  tierReasons,
} from '../segments/reasons.ts'
import { type RfmCutoffs, rfmCutoffs, rfmScores, rfmSegment } from '../segments/rfm.ts'
import {
  type ParetoFigures,
  TIER_STRATEGY,
  tierOf,
  type ValueCutoffs,
  valueTiers,
} from '../segments/tiers.ts'
import type { PeriodicSpend } from './periodic.ts'

/** Everything scoring needs to know about one customer. */
export interface CustomerInput {
  readonly summary: CustomerSummary
  readonly periodic: PeriodicSpend
}

/**
 * The population-wide part of a score: fitted parameters and cut-offs. Small and serialisable, so
 * a run stores it and later scoring (ingest between runs, ad-hoc scoring) reuses it.
 */
export interface PopulationModel {
  readonly modelVersion: string
  readonly runId: string
  readonly asOf: string
  readonly timeUnit: ScoringConfig['timeUnit']
  readonly customers: number
  readonly bgnbd: BgNbdFit
  readonly gammaGamma: GammaGammaFit & {
    readonly populationMeanSpend: number
    /** Correlation of x and zbar among repeat customers; the model assumes it is near zero. */
    readonly frequencySpendCorrelation: number
  }
  readonly rfm: RfmCutoffs
  readonly valueCutoffs: ValueCutoffs
  readonly pareto: ParetoFigures
  readonly contributionThreshold: number
  readonly recencyPercentiles: PercentileTable
}

export class NotEnoughDataError extends Error {
  override readonly name = 'NotEnoughDataError'
}

/** Fits the models and the population cut-offs on every customer's summary. */
export function fitPopulation(
  customers: readonly CustomerInput[],
  config: ScoringConfig,
  asOf: string,
  runId: string,
): PopulationModel {
  if (customers.length === 0)
    throw new NotEnoughDataError('no customer with a purchase on or before the as-of day')
  const summaries = customers.map((c) => c.summary)
  const bgnbd = fitBgNbd(groupPatterns(summaries))
  const repeat = summaries.filter((s) => s.x > 0 && s.zbar > 0)
  const gg = repeat.length > 0 ? fitGammaGamma(repeat) : unfittedSpendModel(summaries)
  const gammaGamma = {
    ...gg,
    populationMeanSpend: populationMeanSpend(gg),
    frequencySpendCorrelation: repeat.length > 2 ? finiteOr0(frequencySpendCorrelation(repeat)) : 0,
  }
  const value = new ValueModel(bgnbd, gammaGamma, config)
  const tiers = valueTiers(
    summaries.map((s) => ({ customerId: s.customerId, netValue: value.of(s).netValue })),
    config.tiers,
  )
  return {
    modelVersion: MODEL_VERSION,
    runId,
    asOf,
    timeUnit: config.timeUnit,
    customers: customers.length,
    bgnbd,
    gammaGamma,
    rfm: rfmCutoffs(
      {
        recency: Float64Array.from(summaries, (s) => s.recencyDays),
        frequency: Float64Array.from(summaries, (s) => s.occasions),
        monetary: Float64Array.from(summaries, (s) => s.averageSpend),
      },
      config.rfm.bins,
    ),
    valueCutoffs: tiers.valueCutoffs,
    pareto: tiers.pareto,
    contributionThreshold: contributionThreshold(
      Float64Array.from(customers, (c) => c.periodic.contribution),
      config.quadrants.contributionQuantile,
    ),
    recencyPercentiles: percentileTable(Float64Array.from(summaries, (s) => s.recencyDays)),
  }
}

/**
 * Without repeat customers there is nothing to fit spend on: every customer is expected to spend the
 * population's mean occasion value (p = 1, q = 2, v = mean gives v p / (q - 1) = mean), flagged unconverged.
 */
function unfittedSpendModel(summaries: readonly CustomerSummary[]): GammaGammaFit {
  const mean = summaries.reduce((sum, s) => sum + s.averageSpend, 0) / summaries.length
  return {
    p: 1,
    q: 2,
    v: Math.max(mean, 0),
    logLikelihood: 0,
    customers: 0,
    iterations: 0,
    gradientNorm: 0,
    converged: false,
  }
}

function finiteOr0(value: number): number {
  return Number.isFinite(value) ? value : 0
}

/** Scores customers with a fitted model. Create once per model: it caches per (x, T). */
export class Scorer {
  private readonly value: ValueModel
  private readonly model: PopulationModel
  private readonly config: ScoringConfig
  private readonly asOf: string

  /** `asOf` is the day the summaries describe; the model may have been fitted on an earlier day. */
  constructor(model: PopulationModel, config: ScoringConfig, asOf: string = model.asOf) {
    this.model = model
    this.config = config
    this.asOf = asOf
    this.value = new ValueModel(model.bgnbd, model.gammaGamma, config)
  }

  score(customer: CustomerInput): ScoreRecord {
    const { model, config } = this
    const { summary: s, periodic } = customer
    const value = this.value.of(s)
    const churnRisk = 1 - value.pAlive
    const rfm = rfmScores(model.rfm, {
      recency: s.recencyDays,
      frequency: s.occasions,
      monetary: s.averageSpend,
    })
    const bins = model.rfm.bins
    const segment = rfmSegment(toQuintile(rfm.r, bins), toQuintile(rfm.f, bins), toQuintile(rfm.m, bins))
    const tier = tierOf(model.valueCutoffs, value.netValue, s.customerId)
    const series = config.stabilityPeriod === 'month' ? periodic.monthly : periodic.quarterly
    const quadrant = quadrantOf(
      {
        contribution: periodic.contribution,
        series,
        expectedMargin: value.clv,
        costToServe: value.retentionCost + config.marketingCostPerCustomer,
      },
      model.contributionThreshold,
      config.quadrants,
    )
    const pattern = consumptionPattern(series, config.pattern)
    const decision = investmentDecision(
      { netValue: value.netValue, marketingCost: config.marketingCostPerCustomer, churnRisk, tier },
      config.decision,
    )
    return {
      customerId: s.customerId,
      asOf: this.asOf,
      modelVersion: model.modelVersion,
      runId: model.runId,
      firstPurchase: s.firstPurchase,
      lastPurchase: s.lastPurchase,
      x: s.x,
      tx: round(s.tx, 4),
      T: round(s.T, 4),
      timeUnit: config.timeUnit,
      recency: s.recencyDays,
      frequency: s.occasions,
      monetary: round(s.averageSpend, 2),
      totalSpend: round(s.totalSpend, 2),
      totalMargin: round(s.totalMargin, 2),
      historicValue: round(s.totalMargin, 2),
      monthlySpend: periodic.monthly,
      quarterlySpend: periodic.quarterly,
      expectedPurchases: round(value.expectedPurchases, 4),
      pAlive: round(value.pAlive, 4),
      churnRisk: round(churnRisk, 4),
      expectedSpend: round(value.expectedSpend, 2),
      clv: round(value.clv, 2),
      netValue: round(value.netValue, 2),
      rfmScore: rfm.cell,
      rfmSegment: segment,
      tier,
      tierStrategy: TIER_STRATEGY[tier],
      quadrant: quadrant.quadrant,
      quadrantStrategy: QUADRANT_STRATEGY[quadrant.quadrant],
      clearOutRecommended: quadrant.clearOut?.recommended ?? null,
      pattern: pattern.pattern,
      decision: decision.decision,
      reasons: [
        ...decisionReasons(decision, config.decision),
        ...churnReasons(
          { churnRisk, recency: { days: s.recencyDays, table: model.recencyPercentiles } },
          { ...config.decision, ...config.recency },
        ),
        ...tierReasons(tier, value.netValue, model.valueCutoffs),
        ...quadrantReasons(quadrant, config.quadrants),
        ...patternReasons(pattern, config.pattern),
        ...rfmReasons(rfm, segment),
      ],
    }
  }
}

interface CustomerValue {
  readonly pAlive: number
  readonly expectedPurchases: number
  readonly expectedSpend: number
  readonly clv: number
  readonly retentionCost: number
  readonly netValue: number
}

/**
 * CLV = sum over months k of (E(k) - E(k-1)) x spend x margin / (1 + d)^k, and net value = CLV minus
 * P(alive) x retention cost per month x sum_k 1/(1 + d)^k (today's P(alive) held constant; see
 * shared/scoring/clv.ts). E(t) = P(alive | x, t_x, T) x E(t | alive, x, T): the second factor does not
 * depend on t_x, so its discounted monthly sums are computed once per distinct (x, T).
 */
class ValueModel {
  private readonly params: BgNbdParams
  private readonly spend: GammaGammaFit
  private readonly months: number
  private readonly monthLength: number
  private readonly discounts: Float64Array
  private readonly annuity: number
  private readonly marginRate: number
  private readonly retentionPerMonth: number
  private readonly cache = new Map<number, Map<number, readonly [purchases: number, discounted: number]>>()

  constructor(params: BgNbdParams, spend: GammaGammaFit, config: ScoringConfig) {
    this.params = params
    this.spend = spend
    this.months = Math.max(1, Math.round(config.horizonDays / (365.25 / 12)))
    // The horizon is split into whole periods of about a month each, in the model's time unit.
    this.monthLength = config.horizonDays / this.months / (config.timeUnit === 'weeks' ? 7 : 1)
    const d = monthlyRate(config.annualDiscountRate)
    this.discounts = Float64Array.from({ length: this.months }, (_, k) => (1 + d) ** -(k + 1))
    this.annuity = this.discounts.reduce((sum, v) => sum + v, 0)
    this.marginRate = config.marginRate
    this.retentionPerMonth = config.retentionCostPerYear / 12
  }

  of(s: CustomerSummary): CustomerValue {
    const alive = pAlive(this.params, s.x, s.tx, s.T)
    const [purchases, discounted] = this.ifAlive(s.x, s.T)
    const spend = expectedSpend(this.spend, s.x, s.zbar)
    const clv = alive * discounted * spend * this.marginRate
    const retentionCost = alive * this.retentionPerMonth * this.annuity
    return {
      pAlive: alive,
      expectedPurchases: alive * purchases,
      expectedSpend: spend,
      clv,
      retentionCost,
      netValue: clv - retentionCost,
    }
  }

  /** Expected purchases over the horizon and their discounted monthly sum, for a customer alive at T. */
  private ifAlive(x: number, T: number): readonly [number, number] {
    let byT = this.cache.get(x)
    if (!byT) {
      byT = new Map()
      this.cache.set(x, byT)
    }
    let entry = byT.get(T)
    if (!entry) {
      let previous = 0
      let discounted = 0
      for (let k = 1; k <= this.months; k++) {
        const cumulative = expectedIfAlive(this.params, x, T, k * this.monthLength)
        discounted += (cumulative - previous) * (this.discounts[k - 1] as number)
        previous = cumulative
      }
      entry = [previous, discounted]
      byT.set(T, entry)
    }
    return entry
  }
}

/** The segment map is drawn on quintiles: scores on another scale are mapped onto 1-5. */
function toQuintile(score: number, bins: number): number {
  return bins === 5 ? score : 1 + Math.round(((score - 1) * 4) / (bins - 1))
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
