import { z } from 'zod'
import { DEFAULT_PROSPECT_CONFIG } from './prospects/config.ts'
import { DEFAULT_DECISION_CONFIG } from './segments/decision.ts'
import { DEFAULT_PATTERN_CONFIG } from './segments/pattern.ts'
import { DEFAULT_QUADRANT_CONFIG } from './segments/quadrant.ts'
import { DEFAULT_RECENCY_REASON_CONFIG } from './segments/reasons.ts'
import { DEFAULT_RFM_CONFIG } from './segments/rfm.ts'
import { DEFAULT_TIER_CONFIG } from './segments/tiers.ts'

const share = z.number().min(0).max(1)
const money = z.number().finite().nonnegative()

const weight = z.number().finite().nonnegative()
const { intent, lookalike } = DEFAULT_PROSPECT_CONFIG

const ProspectConfigSchema = z
  .object({
    intent: z
      .object({
        weights: z
          .object({
            visit: weight.default(intent.weights.visit),
            inquiry: weight.default(intent.weights.inquiry),
            quoteRequested: weight.default(intent.weights.quoteRequested),
            meetingHeld: weight.default(intent.weights.meetingHeld),
          })
          .strict()
          .prefault({}),
        halfLifeDays: z.number().positive().max(3653).default(intent.halfLifeDays),
        highIntent: share.default(intent.highIntent),
      })
      .strict()
      .prefault({}),
    lookalike: z
      .object({
        minCellCustomers: z.number().int().min(1).default(lookalike.minCellCustomers),
        shrinkage: z.number().finite().nonnegative().default(lookalike.shrinkage),
        dropOrder: z
          .array(z.enum(['industry', 'sizeBand', 'region']))
          .refine((fields) => new Set(fields).size === fields.length, { message: 'fields must not repeat' })
          .default([...lookalike.dropOrder]),
      })
      .strict()
      .prefault({}),
    highContribution: z.number().finite().optional(),
  })
  .strict()
  .prefault({})

/**
 * The scoring configuration: a JSON object (config/scoring.json in the bucket, a file for the
 * command-line scorer). Every key is optional; unknown keys are errors, so a typo is not silently
 * ignored. The README lists each key with its default.
 */
export const ScoringConfigSchema = z
  .object({
    /** The day scores describe; default today (UTC). Rows dated later are ignored. */
    asOf: z.iso.date().optional(),
    /** Unit of t_x, T and of the fitted purchase rate. */
    timeUnit: z.enum(['days', 'weeks']).default('days'),
    /** Forecast horizon of expected purchases and customer value. */
    horizonDays: z.number().int().min(1).max(3653).default(365),
    annualDiscountRate: z.number().min(0).max(1).default(0.1),
    /** Gross margin as a share of spend, for rows that carry no margin of their own. */
    marginRate: share.default(1),
    /** Cost of retaining an active customer for a year (service, loyalty programme). */
    retentionCostPerYear: money.default(0),
    /** Planned marketing spend per customer over the horizon; below it, the decision says so. */
    marketingCostPerCustomer: money.default(0),
    /** Window of the periodic spend series behind quadrants and patterns. */
    lookbackMonths: z.number().int().min(3).max(120).default(12),
    /** Period of the spend series: calendar months or quarters. */
    stabilityPeriod: z.enum(['month', 'quarter']).default('month'),
    /**
     * The nightly Fit fits on every customer up to this many; beyond it, on a deterministic sample of
     * this many (by a hash of the customer id), so that its memory stays within the nightly function's
     * 3,008 MB (10M customers measured at about 2.0 GiB).
     */
    fitSampleCustomers: z.number().int().min(1000).default(10_000_000),
    rfm: z
      .object({ bins: z.number().int().min(2).max(9).default(DEFAULT_RFM_CONFIG.bins) })
      .strict()
      .prefault({}),
    tiers: z
      .object({
        keyShare: share.default(DEFAULT_TIER_CONFIG.keyShare),
        generalShare: share.default(DEFAULT_TIER_CONFIG.generalShare),
        paretoTopShare: share.default(DEFAULT_TIER_CONFIG.paretoTopShare),
        paretoValueShare: share.default(DEFAULT_TIER_CONFIG.paretoValueShare),
      })
      .strict()
      .refine((t) => t.keyShare + t.generalShare <= 1, {
        message: 'keyShare + generalShare must not exceed 1',
      })
      .prefault({}),
    quadrants: z
      .object({
        minActiveShare: share.default(DEFAULT_QUADRANT_CONFIG.minActiveShare),
        maxCv: z.number().positive().default(DEFAULT_QUADRANT_CONFIG.maxCv),
        contributionQuantile: share.default(DEFAULT_QUADRANT_CONFIG.contributionQuantile),
      })
      .strict()
      .prefault({}),
    pattern: z
      .object({
        minPeriods: z.number().int().min(3).default(DEFAULT_PATTERN_CONFIG.minPeriods),
        minActivePeriods: z.number().int().min(2).default(DEFAULT_PATTERN_CONFIG.minActivePeriods),
        changeThreshold: z.number().positive().default(DEFAULT_PATTERN_CONFIG.changeThreshold),
        maxResidualCv: z.number().positive().default(DEFAULT_PATTERN_CONFIG.maxResidualCv),
      })
      .strict()
      .prefault({}),
    decision: z
      .object({
        highChurnRisk: share.default(DEFAULT_DECISION_CONFIG.highChurnRisk),
        investMultiple: z.number().min(1).default(DEFAULT_DECISION_CONFIG.investMultiple),
      })
      .strict()
      .prefault({}),
    recency: z
      .object({
        highRecencyPercentile: z
          .number()
          .min(0)
          .max(100)
          .default(DEFAULT_RECENCY_REASON_CONFIG.highRecencyPercentile),
      })
      .strict()
      .prefault({}),
    /** Prospect scoring (PI-PIV): see shared/prospects/ and the README's prospect section. */
    prospects: ProspectConfigSchema,
  })
  .strict()

export type ScoringConfig = z.infer<typeof ScoringConfigSchema>
export type ScoringConfigInput = z.input<typeof ScoringConfigSchema>

export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError'
  readonly problems: readonly string[]

  constructor(source: string, problems: readonly string[]) {
    super(`${source}: invalid scoring configuration: ${problems.join('; ')}`)
    this.problems = problems
  }
}

/** Parses a configuration object; a bad one is rejected with every problem listed. */
export function parseScoringConfig(input: unknown, source = 'configuration'): ScoringConfig {
  const result = ScoringConfigSchema.safeParse(input ?? {})
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.')
      return path ? `${path}: ${issue.message}` : issue.message
    })
    throw new InvalidConfigError(source, problems)
  }
  return result.data
}

/** Parses configuration JSON text, naming the source in every error. */
export function parseScoringConfigJson(text: string, source: string): ScoringConfig {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new InvalidConfigError(source, [
      `not valid JSON (${error instanceof Error ? error.message : error})`,
    ])
  }
  return parseScoringConfig(json, source)
}

export const DEFAULT_SCORING_CONFIG: ScoringConfig = parseScoringConfig({})
