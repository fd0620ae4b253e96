import { z } from 'zod'
import { RunIdSchema } from '../domain/run-id.ts'
import { ScoreRecordSchema } from '../domain/score-record.ts'
import { CustomerIdSchema } from '../domain/transaction.ts'
import { EXPORT_FORMATS, ExportRequestSchema } from '../exports/request.ts'
import { EXPORTS } from '../resources.ts'
import { EXPORT_STATUSES } from '../storage/dynamo-export-store.ts'
import { HISTORY_LIMIT, HistoryEntrySchema } from '../storage/dynamo-history-store.ts'
import { ProspectSummarySchema } from './prospect-schemas.ts'

/**
 * The request and response shapes of the API, as zod schemas: handlers validate with them and the
 * OpenAPI document (openapi.ts) is generated from them, so the two cannot drift apart.
 */

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable, machine-readable: bad_request, run_not_found, ...' }),
    message: z.string(),
    details: z.unknown().meta({ description: 'What was wrong, where it helps: bad fields, limits' }),
  }),
})

export const CustomerPathSchema = z.object({ customerId: CustomerIdSchema })
export const RunPathSchema = z.object({ runId: RunIdSchema })
export const HistoryQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT).default(HISTORY_LIMIT) })
  .strict()

export const HistoryResponseSchema = z.object({
  customerId: z.string(),
  history: z.array(HistoryEntrySchema),
})

export const RunResponseSchema = z.object({
  runId: z.string(),
  kind: z.enum(['ingest', 'nightly']),
  asOf: z.iso.date(),
  status: z.enum(['running', 'fitted', 'succeeded', 'failed']),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  customers: z.number().int().optional(),
  reportKey: z.string().optional(),
  error: z.string().optional(),
  previousRunId: z.string().optional(),
  executionId: z
    .string()
    .optional()
    .meta({ description: 'The execution that holds a nightly run: the start that claimed its day' }),
  heartbeatAt: z
    .string()
    .optional()
    .meta({ description: 'When a step of that execution last started; a running run is alive by it' }),
  report: z
    .record(z.string(), z.unknown())
    .nullable()
    .meta({ description: 'The run report (runs/<runId>/report.json); null for a run without one' }),
})

const SegmentGroupSchema = z.object({
  customers: z.number().int().nonnegative(),
  netValue: z.number(),
  valueShare: z
    .number()
    .nullable()
    .meta({ description: 'Share of the total net value; null when it is not positive' }),
})
const SegmentGroupsSchema = z.record(z.string(), SegmentGroupSchema)

export const ParetoSchema = z.object({
  topShare: z.number(),
  valueShareOfTop: z.number().nullable(),
  valueShare: z.number(),
  customerShareForValue: z.number().nullable(),
  totalPositiveValue: z.number(),
  customers: z.number().int().nonnegative(),
})

/** GET /segments: the part of a run report that describes the population by segment. */
export const SegmentsResponseSchema = z.object({
  runId: z.string(),
  asOf: z.iso.date(),
  customers: z.number().int().nonnegative(),
  totalNetValue: z.number(),
  segments: z.object({
    tier: SegmentGroupsSchema,
    quadrant: SegmentGroupsSchema,
    rfmSegment: SegmentGroupsSchema,
    pattern: SegmentGroupsSchema,
    decision: SegmentGroupsSchema,
  }),
  pareto: ParetoSchema,
  prospects: ProspectSummarySchema.nullable().meta({
    description: 'Prospects by quadrant PI-PIV as last scored for this run; null when none are stored',
  }),
})

export type SegmentsResponse = z.infer<typeof SegmentsResponseSchema>

/** GET /openapi.json: any JSON object (the document itself is described by the OpenAPI 3.1 schema). */
export const OpenApiResponseSchema = z.record(z.string(), z.unknown())

/** POST /score: larger bodies are refused with 413 before they are parsed. */
export const MAX_SCORE_BODY_BYTES = 256 * 1024
/** POST /score: at most this many transactions (a 400); about 340 KB even at their shortest. */
export const MAX_SCORE_TRANSACTIONS = 10_000

const DecimalSchema = z
  .union([z.number(), z.string()])
  .meta({ description: 'A number, or a decimal with "." as text ("12.50", "-3"); negative is a refund' })

/** One transaction of POST /score: the columns of the upload contract, checked by the same rules. */
export const ScoreTransactionSchema = z
  .object({
    transaction_date: z.string().optional().meta({
      description: 'YYYY-MM-DD or an ISO 8601 date-time (converted to the business time zone first)',
    }),
    date: z.string().optional().meta({ description: 'Another name for transaction_date' }),
    amount: DecimalSchema,
    transaction_id: z
      .union([z.string(), z.number().int()])
      .optional()
      .meta({ description: 'A repeated id is kept once' }),
    margin: DecimalSchema.optional(),
  })
  .strict()
  .refine((row) => (row.transaction_date === undefined) !== (row.date === undefined), {
    message: 'give exactly one of transaction_date and date',
    path: ['transaction_date'],
  })
  .meta({ description: 'Exactly one of transaction_date and date is required' })

export const ScoreRequestSchema = z
  .object({
    customerId: CustomerIdSchema,
    transactions: z.array(ScoreTransactionSchema).min(1).max(MAX_SCORE_TRANSACTIONS),
    asOf: z.iso
      .date()
      .optional()
      .meta({ description: 'The day the score describes; default today (UTC). Later rows are ignored' }),
  })
  .strict()

export type ScoreRequest = z.infer<typeof ScoreRequestSchema>

export const ExportPathSchema = z.object({ exportId: z.uuid() })

/** POST /exports: the filter, fields and format are small; anything larger is not a real request. */
export const MAX_EXPORT_BODY_BYTES = 16 * 1024

/** POST /exports answers 202 with the new job. */
export const ExportCreatedSchema = z.object({ exportId: z.uuid(), status: z.enum(EXPORT_STATUSES) })

export const ExportResponseSchema = z.object({
  exportId: z.uuid(),
  status: z.enum(EXPORT_STATUSES).meta({ description: 'queued, running, then ready or failed' }),
  runId: z.string().meta({ description: 'The run whose scores the export holds' }),
  format: z.enum(EXPORT_FORMATS),
  gzip: z.boolean(),
  rows: z.number().int().nonnegative().nullable().meta({ description: 'Records written; null until ready' }),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  url: z
    .url()
    .optional()
    .meta({ description: `Ready only: a download link valid for ${EXPORTS.urlExpirySeconds / 60} minutes` }),
  expiresAt: z.iso.datetime().optional().meta({ description: 'When the download link stops working' }),
  reason: z.string().optional().meta({ description: 'Failed only: why' }),
})

export type ExportResponse = z.infer<typeof ExportResponseSchema>

export { ExportRequestSchema, ScoreRecordSchema }
