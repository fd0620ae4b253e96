import { z } from 'zod'

/** Bumped whenever a change to the scoring rules can change a record for the same input. */
export const MODEL_VERSION = 'cs-1'

const ReasonSchema = z.object({ code: z.string(), text: z.string() })

/**
 * One customer's score: what a lookup returns and what exports and the command-line scorer write.
 * Field names are part of the API (see the README's field list).
 */
export const ScoreRecordSchema = z.object({
  customerId: z.string(),
  /** The day the score describes (YYYY-MM-DD); rows dated later are ignored. */
  asOf: z.iso.date(),
  modelVersion: z.string(),
  /** The run whose fitted parameters and cut-offs the record was scored with. */
  runId: z.string(),
  firstPurchase: z.iso.date(),
  lastPurchase: z.iso.date(),
  /** Repeat purchase occasions (occasions - 1). */
  x: z.number().int().nonnegative(),
  /** Time from the first to the last occasion, in the configured time unit. */
  tx: z.number().nonnegative(),
  /** Time from the first occasion to the as-of day, in the configured time unit. */
  T: z.number().nonnegative(),
  timeUnit: z.enum(['days', 'weeks']),
  /** Days from the last purchase occasion to the as-of day. */
  recency: z.number().int().nonnegative(),
  /** Purchase occasions (days with at least one non-refund row). */
  frequency: z.number().int().positive(),
  /** Mean value of an occasion, refunds deducted. */
  monetary: z.number(),
  totalSpend: z.number(),
  totalMargin: z.number(),
  /** Margin to date (the historic value). */
  historicValue: z.number(),
  monthlySpend: z.array(z.number()),
  quarterlySpend: z.array(z.number()),
  /** BG/NBD: expected purchases over the horizon. */
  expectedPurchases: z.number().nonnegative(),
  pAlive: z.number().min(0).max(1),
  churnRisk: z.number().min(0).max(1),
  /** Gamma-Gamma: expected spend per future purchase. */
  expectedSpend: z.number(),
  /** Discounted expected margin over the horizon. */
  clv: z.number(),
  /** CLV minus the discounted retention cost. */
  netValue: z.number(),
  rfmScore: z.string().regex(/^\d{3}$/),
  rfmSegment: z.string(),
  tier: z.enum(['key', 'general', 'secondary']),
  tierStrategy: z.string(),
  quadrant: z.enum(['EI', 'EII', 'EIII', 'EIV']),
  quadrantStrategy: z.string(),
  /** EIV only: whether the expected margin fails to cover the cost to serve. */
  clearOutRecommended: z.boolean().nullable(),
  pattern: z.enum(['increasing', 'stable', 'decreasing', 'irregular', 'insufficient history']),
  decision: z.enum(['invest', 'maintain', 'reduce', 'stop']),
  reasons: z.array(ReasonSchema).min(1),
})

export type ScoreRecord = z.infer<typeof ScoreRecordSchema>

/** Column order of CSV output. */
export const SCORE_FIELDS = Object.keys(ScoreRecordSchema.shape) as (keyof ScoreRecord)[]
