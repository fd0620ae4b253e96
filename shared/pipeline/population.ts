import { MODEL_VERSION, type ScoreRecord } from '../domain/score-record.ts'
import {
  type BgNbdFit,
  type BgNbdParams,
  expectedIfAlive,
  fitBgNbd,
  groupPatternTable,
  pAlive,
} from '../scoring/bgnbd.ts'
import { monthlyRate } from '../scoring/clv.ts'
import {
  expectedSpend,
  fitGammaGammaColumns,
  type GammaGammaFit,
  pearsonCorrelation,
  populationMeanSpend,
} from '../scoring/gamma-gamma.ts'
import type { CustomerSummary } from '../scoring/summary.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import { investmentDecision } from '../segments/decision.ts'
import { consumptionPattern } from '../segments/pattern.ts'
import { contributionThreshold, QUADRANT_STRATEGY, quadrantOf } from '../segments/quadrant.ts'
import {
  ChurnReasons,
  decisionReasons,
  flatReason,
  type PercentileTable,
  patternReasons,
  percentileTable,
  quadrantReasons,
  type Reason,
  rfmReasons,
  tierReasons,
} from '../segments/reasons.ts'
import {
  type RfmCutoffs,
  type RfmScores,
  type RfmSegment,
  rfmCutoffs,
  rfmScores,
  rfmSegment,
} from '../segments/rfm.ts'
import {
  type ParetoFigures,
  TIER_STRATEGY,
  tierFigures,
  tierOf,
  type ValueCutoffs,
} from '../segments/tiers.ts'
import { flatString } from '../text.ts'
import { type CustomerTable, isCustomerTable, tableOfInputs } from './customer-table.ts'
import type { FitSample, FitTable } from './fit-input.ts'
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
  /** Present when the fit ran on a sample of the customers (see fit-input.ts); `customers` counts them all. */
  readonly sample?: FitSample | undefined
}

export class NotEnoughDataError extends Error {
  override readonly name = 'NotEnoughDataError'
}

/**
 * Fits the models and the population cut-offs on every customer's summary. Reads the customers as a
 * table of columns (`customerTable` builds one from a RowStore; an array of inputs is read into one).
 */
export function fitPopulation(
  customers: readonly CustomerInput[] | CustomerTable,
  config: ScoringConfig,
  asOf: string,
  runId: string,
): PopulationModel {
  return fitTable(isCustomerTable(customers) ? customers : tableOfInputs(customers), config, asOf, runId)
}

/** The columns of a CustomerTable the fit reads (shared memory, for a table of a RowStore). */
export type FitColumns = Pick<
  CustomerTable,
  'size' | 'x' | 'tx' | 'T' | 'zbar' | 'occasions' | 'averageSpend' | 'recencyDays' | 'contribution'
>

/** The population cut-offs, which need no fitted model. */
export type PopulationCutoffs = Pick<PopulationModel, 'rfm' | 'contributionThreshold' | 'recencyPercentiles'>

/**
 * `fitPopulation` on a table: the BG/NBD fit, the spend fit and the cut-offs, then each customer's net
 * value for the value tiers. The three first parts are independent (`fitTableParallel` runs them side
 * by side); here they run in turn.
 */
export function fitTable(
  table: FitTable,
  config: ScoringConfig,
  asOf: string,
  runId: string,
): PopulationModel {
  if (table.size === 0) throw new NotEnoughDataError('no customer with a purchase on or before the as-of day')
  const bgnbd = fitPurchases(table)
  const gammaGamma = fitSpend(table)
  const tiers = valueTierFigures(table, config, bgnbd, gammaGamma)
  return assembleModel(
    table.size,
    config,
    asOf,
    runId,
    bgnbd,
    gammaGamma,
    tiers,
    populationCutoffs(table, config),
  )
}

/** BG/NBD on the customers' (x, t_x, T) patterns. */
export function fitPurchases(table: FitColumns): BgNbdFit {
  return fitBgNbd(groupPatternTable(table.x, table.tx, table.T))
}

/** Gamma-Gamma on the repeat customers (x > 0, zbar > 0), with the correlation of x and zbar among them. */
export function fitSpend(table: FitColumns): PopulationModel['gammaGamma'] {
  // The customers fitGammaGamma keeps (it also drops a zbar that is not finite), in columns: the same
  // customers in the same order as a list of spend histories would give it.
  let repeat = 0
  let finite = 0
  for (let i = 0; i < table.size; i++) {
    const x = table.x[i] as number
    const zbar = table.zbar[i] as number
    if (!(x > 0 && zbar > 0)) continue
    repeat++
    if (Number.isFinite(zbar)) finite++
  }
  const xs = new Float64Array(finite)
  const zbars = new Float64Array(finite)
  for (let i = 0, k = 0; i < table.size; i++) {
    const x = table.x[i] as number
    const zbar = table.zbar[i] as number
    if (!(x > 0 && zbar > 0 && Number.isFinite(zbar))) continue
    xs[k] = x
    zbars[k] = zbar
    k++
  }
  const gg = repeat > 0 ? fitGammaGammaColumns(xs, zbars) : unfittedSpendModel(table.averageSpend)
  const modelled = populationMeanSpend(gg)
  return {
    ...gg,
    // A degenerate fit (q <= 1, seen on a handful of customers) has no population mean: use the
    // observed mean occasion value, so customers without repeat history still get a finite spend.
    populationMeanSpend:
      Number.isFinite(modelled) && modelled >= 0 ? modelled : observedMean(table.averageSpend),
    // frequencySpendCorrelation over the same customers, without preparing them a second time.
    frequencySpendCorrelation: repeat > 2 ? finiteOr0(pearsonCorrelation(xs, zbars)) : 0,
  }
}

export function populationCutoffs(table: FitColumns, config: ScoringConfig): PopulationCutoffs {
  return {
    rfm: rfmCutoffs(
      { recency: table.recencyDays, frequency: table.occasions, monetary: table.averageSpend },
      config.rfm.bins,
    ),
    contributionThreshold: contributionThreshold(table.contribution, config.quadrants.contributionQuantile),
    recencyPercentiles: percentileTable(table.recencyDays),
  }
}

/**
 * The value tiers' cut-offs and Pareto figures, from every customer's net value under the two fits
 * (`customerValues` of the whole table unless given).
 */
export function valueTierFigures(
  table: FitTable,
  config: ScoringConfig,
  bgnbd: BgNbdFit,
  gammaGamma: PopulationModel['gammaGamma'],
  netValue: Float64Array = customerValues(table, config, bgnbd, gammaGamma).netValue,
): Pick<PopulationModel, 'valueCutoffs' | 'pareto'> {
  return tierFigures(netValue, (i) => table.customerId(i), table.uniqueIds, config.tiers)
}

/** Each customer's value figures under the two fits (what `Scorer.score` computes), in columns. */
export interface ValueColumns {
  readonly pAlive: Float64Array
  readonly expectedPurchases: Float64Array
  readonly expectedSpend: Float64Array
  readonly clv: Float64Array
  readonly retentionCost: Float64Array
  readonly netValue: Float64Array
}

/** Value columns for `size` customers, on shared memory when `shared` (for worker threads). */
export function valueColumns(size: number, shared = false): ValueColumns {
  const column = () => (shared ? new Float64Array(new SharedArrayBuffer(8 * size)) : new Float64Array(size))
  return {
    pAlive: column(),
    expectedPurchases: column(),
    expectedSpend: column(),
    clv: column(),
    retentionCost: column(),
    netValue: column(),
  }
}

/** Customer `i`'s value figures, as `customerValues` wrote them. */
export function valueAt(columns: ValueColumns, i: number): CustomerValue {
  return {
    pAlive: columns.pAlive[i] as number,
    expectedPurchases: columns.expectedPurchases[i] as number,
    expectedSpend: columns.expectedSpend[i] as number,
    clv: columns.clv[i] as number,
    retentionCost: columns.retentionCost[i] as number,
    netValue: columns.netValue[i] as number,
  }
}

/**
 * The value figures of customers `from` to `to - 1` of the table under the two fits (as `Scorer` gives
 * them), written at the same places of `out`. Ranges of customers may run on different threads.
 */
export function customerValues(
  table: FitColumns,
  config: ScoringConfig,
  bgnbd: BgNbdFit,
  gammaGamma: PopulationModel['gammaGamma'],
  out: ValueColumns = valueColumns(table.size),
  from = 0,
  to: number = table.size,
): ValueColumns {
  new ValueModel(bgnbd, gammaGamma, config).ofRange(table, from, to, out)
  return out
}

export function assembleModel(
  customers: number,
  config: ScoringConfig,
  asOf: string,
  runId: string,
  bgnbd: BgNbdFit,
  gammaGamma: PopulationModel['gammaGamma'],
  tiers: Pick<PopulationModel, 'valueCutoffs' | 'pareto'>,
  cutoffs: PopulationCutoffs,
): PopulationModel {
  return {
    modelVersion: MODEL_VERSION,
    runId,
    asOf,
    timeUnit: config.timeUnit,
    customers,
    bgnbd,
    gammaGamma,
    rfm: cutoffs.rfm,
    valueCutoffs: tiers.valueCutoffs,
    pareto: tiers.pareto,
    contributionThreshold: cutoffs.contributionThreshold,
    recencyPercentiles: cutoffs.recencyPercentiles,
  }
}

/**
 * Without repeat customers there is nothing to fit spend on: every customer is expected to spend the
 * population's mean occasion value (p = 1, q = 2, v = mean gives v p / (q - 1) = mean), flagged unconverged.
 */
function observedMean(averageSpend: Float64Array): number {
  let sum = 0
  for (let i = 0; i < averageSpend.length; i++) sum += averageSpend[i] as number
  return averageSpend.length > 0 ? Math.max(sum / averageSpend.length, 0) : 0
}

function unfittedSpendModel(averageSpend: Float64Array): GammaGammaFit {
  let sum = 0
  for (let i = 0; i < averageSpend.length; i++) sum += averageSpend[i] as number
  const mean = sum / averageSpend.length
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
  private readonly modelVersion: string
  private readonly runId: string
  private readonly churn: ChurnReasons
  /** The RFM reason of each cell of scores 1 to 9 (its segment follows from the cell), by r f m as digits. */
  private readonly rfmReasons: (Reason[] | undefined)[] = new Array(1000).fill(undefined)

  /** `asOf` is the day the summaries describe; the model may have been fitted on an earlier day. */
  constructor(model: PopulationModel, config: ScoringConfig, asOf: string = model.asOf) {
    this.model = model
    this.config = config
    // Flat copies of the strings every record shares, for JSON.stringify's fast path (record-format.ts).
    this.asOf = flatString(asOf)
    this.modelVersion = flatString(model.modelVersion)
    this.runId = flatString(model.runId)
    this.value = new ValueModel(model.bgnbd, model.gammaGamma, config)
    this.churn = new ChurnReasons({ ...config.decision, ...config.recency }, model.recencyPercentiles)
  }

  /**
   * The customer's record. `value`, when given, is the customer's value under this scorer's model and
   * configuration as computed before (`customerValues`, the same computation), so it is not done again.
   */
  score(customer: CustomerInput, value: CustomerValue = this.value.of(customer.summary)): ScoreRecord {
    const { model, config } = this
    const { summary: s, periodic } = customer
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
      modelVersion: this.modelVersion,
      runId: this.runId,
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
      reasons: decisionReasons(decision, config.decision).concat(
        this.churn.of(churnRisk, s.recencyDays),
        tierReasons(tier, value.netValue, model.valueCutoffs),
        quadrantReasons(quadrant, config.quadrants),
        patternReasons(pattern, config.pattern),
        this.rfmReason(rfm, segment),
      ),
    }
  }

  private rfmReason(rfm: RfmScores, segment: RfmSegment): Reason[] {
    const { r, f, m } = rfm
    if (!(r >= 1 && r <= 9 && f >= 1 && f <= 9 && m >= 1 && m <= 9)) return rfmReasons(rfm, segment)
    const key = (r * 10 + f) * 10 + m
    let reasons = this.rfmReasons[key]
    if (reasons === undefined) {
      reasons = rfmReasons(rfm, segment).map(flatReason)
      this.rfmReasons[key] = reasons
    }
    return reasons
  }
}

/** A customer's value under a model's two fits (ValueModel). */
export interface CustomerValue {
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
  private readonly spend: GammaGammaFit & { readonly populationMeanSpend: number }
  private readonly months: number
  private readonly monthLength: number
  private readonly discounts: Float64Array
  private readonly annuity: number
  private readonly marginRate: number
  private readonly retentionPerMonth: number
  private readonly cache = new PairCache<readonly [purchases: number, discounted: number]>()

  constructor(
    params: BgNbdParams,
    spend: GammaGammaFit & { readonly populationMeanSpend: number },
    config: ScoringConfig,
  ) {
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
    return this.ofFigures(s.x, s.tx, s.T, s.zbar)
  }

  /** Value figures of customers `from` to `to - 1` of the table, into `out` at the same places. */
  ofRange(table: FitColumns, from: number, to: number, out: ValueColumns): void {
    const { x, tx, T, zbar } = table
    for (let i = from; i < to; i++) {
      const value = this.ofFigures(x[i] as number, tx[i] as number, T[i] as number, zbar[i] as number)
      out.pAlive[i] = value.pAlive
      out.expectedPurchases[i] = value.expectedPurchases
      out.expectedSpend[i] = value.expectedSpend
      out.clv[i] = value.clv
      out.retentionCost[i] = value.retentionCost
      out.netValue[i] = value.netValue
    }
  }

  private ofFigures(x: number, tx: number, T: number, zbar: number): CustomerValue {
    const alive = pAlive(this.params, x, tx, T)
    const [purchases, discounted] = this.ifAlive(x, T)
    const modelled = expectedSpend(this.spend, x, zbar)
    const spend = Number.isFinite(modelled) ? modelled : this.spend.populationMeanSpend
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
    let entry = this.cache.get(x, T)
    if (entry === undefined) {
      let previous = 0
      let discounted = 0
      for (let k = 1; k <= this.months; k++) {
        const cumulative = expectedIfAlive(this.params, x, T, k * this.monthLength)
        discounted += (cumulative - previous) * (this.discounts[k - 1] as number)
        previous = cumulative
      }
      entry = [previous, discounted]
      this.cache.set(x, T, entry)
    }
    return entry
  }
}

/**
 * A map from pairs of numbers, open addressing on the numbers' bits: two Map lookups keyed by heap
 * numbers cost more than the rest of a customer's value. Keys compare as Map keys do (SameValueZero).
 */
export class PairCache<V> {
  private keys = new Float64Array(2 << 10)
  private values: (V | undefined)[] = new Array(1 << 10).fill(undefined)
  private mask = (1 << 10) - 1
  private size = 0
  private readonly bits = new Float64Array(2)
  private readonly words = new Int32Array(this.bits.buffer)

  get(a: number, b: number): V | undefined {
    const { keys, mask } = this
    for (let slot = this.hash(a, b) & mask; ; slot = (slot + 1) & mask) {
      const value = this.values[slot]
      if (value === undefined) return undefined
      if (same(keys[2 * slot] as number, a) && same(keys[2 * slot + 1] as number, b)) return value
    }
  }

  set(a: number, b: number, value: V): void {
    if (2 * (this.size + 1) > this.mask + 1) this.grow()
    const { keys, mask } = this
    let slot = this.hash(a, b) & mask
    while (this.values[slot] !== undefined) {
      if (same(keys[2 * slot] as number, a) && same(keys[2 * slot + 1] as number, b)) break
      slot = (slot + 1) & mask
    }
    if (this.values[slot] === undefined) this.size++
    keys[2 * slot] = a
    keys[2 * slot + 1] = b
    this.values[slot] = value
  }

  private hash(a: number, b: number): number {
    // +0 for -0 and one NaN for all, as SameValueZero treats them.
    this.bits[0] = a === 0 ? 0 : a
    this.bits[1] = b === 0 ? 0 : b
    const { words } = this
    if (Number.isNaN(a)) this.bits[0] = Number.NaN
    if (Number.isNaN(b)) this.bits[1] = Number.NaN
    let h = Math.imul((words[0] as number) ^ (words[1] as number), 0x9e3779b1)
    h = Math.imul(h ^ (h >>> 15) ^ (words[2] as number), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13) ^ (words[3] as number), 0xc2b2ae35)
    return h ^ (h >>> 16)
  }

  private grow(): void {
    const { keys, values } = this
    this.keys = new Float64Array(keys.length * 2)
    this.values = new Array(values.length * 2).fill(undefined)
    this.mask = (this.mask << 1) | 1
    this.size = 0
    values.forEach((value, slot) => {
      if (value !== undefined) this.set(keys[2 * slot] as number, keys[2 * slot + 1] as number, value)
    })
  }
}

function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b))
}

/** The segment map is drawn on quintiles: scores on another scale are mapped onto 1-5. */
function toQuintile(score: number, bins: number): number {
  return bins === 5 ? score : 1 + Math.round(((score - 1) * 4) / (bins - 1))
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
