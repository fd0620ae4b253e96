import { z } from 'zod'
import { PROSPECT_QUADRANTS } from './quadrant.ts'

/** Bumped whenever a change to the prospect rules can change a record for the same input. */
export const PROSPECT_MODEL_VERSION = 'ps-1'

const nullableText = z.string().nullable()

/**
 * One prospect's score: what GET /prospects/{id} returns and prospect exports write. Flat, so that
 * CSV exports have one column per field.
 */
export const ProspectRecordSchema = z.object({
  prospectId: z.string(),
  /** The day the score describes: intent decays up to it. */
  asOf: z.iso.date(),
  modelVersion: z.string(),
  /** The run whose customers' net values the look-alike estimate used; null before any run. */
  runId: z.string().nullable(),
  industry: nullableText,
  sizeBand: nullableText,
  region: nullableText,
  /** Look-alike estimate of the net value the prospect would have as a customer. */
  expectedContribution: z.number(),
  lookalikeBasis: z.enum(['cell', 'broader', 'population', 'none']),
  /** The most specific cell used, as "industry=retail; sizeBand=10-49"; empty for the population. */
  lookalikeCell: z.string(),
  /** Customers in that cell. */
  lookalikeCustomers: z.number().int().nonnegative(),
  /** Mean acquisition cost of those customers (from the master); null when none has one. */
  lookalikeAcquisitionCost: z.number().nullable(),
  /** Purchase intent, 0-1, from the engagement signals with recency decay. */
  intent: z.number().min(0).max(1),
  visits30d: z.number().int().nonnegative(),
  visits90d: z.number().int().nonnegative(),
  inquiries30d: z.number().int().nonnegative(),
  inquiries90d: z.number().int().nonnegative(),
  quoteRequested: z.boolean(),
  meetingHeld: z.boolean(),
  lastContactDate: z.iso.date().nullable(),
  daysSinceContact: z.number().int().nonnegative().nullable(),
  quadrant: z.enum(PROSPECT_QUADRANTS),
  quadrantStrategy: z.string(),
  /** The customer the prospect became, if it converted. */
  convertedCustomerId: nullableText,
  reasons: z.array(z.object({ code: z.string(), text: z.string() })).min(1),
})

export type ProspectRecord = z.infer<typeof ProspectRecordSchema>

/** Column order of CSV exports. */
export const PROSPECT_FIELDS = Object.keys(ProspectRecordSchema.shape) as (keyof ProspectRecord)[]
