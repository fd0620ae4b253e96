import { z } from 'zod'
import { SCORE_FIELDS, type ScoreRecord, ScoreRecordSchema } from '../domain/score-record.ts'
import { RFM_SEGMENT_MEANING, type RfmSegment } from '../segments/rfm.ts'
import { fieldFilter, RangeSchema } from './filter.ts'
import {
  EXPORT_KINDS,
  kindProblems,
  PROSPECT_FIELDS,
  PROSPECT_FILTER_SHAPE,
  PROSPECT_QUADRANTS,
} from './prospect-export.ts'

type ScoreField = keyof ScoreRecord

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const RFM_SEGMENTS = Object.keys(RFM_SEGMENT_MEANING) as [RfmSegment, ...RfmSegment[]]

const oneOrMore = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1).meta({ description: 'Records whose value is one of these' })

/** Which records an export holds: every given condition must hold; an empty filter keeps every record. */
export const ExportFilterSchema = z
  .object({
    tier: oneOrMore(ScoreRecordSchema.shape.tier).optional(),
    quadrant: oneOrMore(
      z.enum([...ScoreRecordSchema.shape.quadrant.options, ...PROSPECT_QUADRANTS]),
    ).optional(),
    rfmSegment: oneOrMore(z.enum(RFM_SEGMENTS)).optional(),
    pattern: oneOrMore(ScoreRecordSchema.shape.pattern).optional(),
    decision: oneOrMore(ScoreRecordSchema.shape.decision).optional(),
    netValue: RangeSchema.optional(),
    churnRisk: RangeSchema.optional(),
    recency: RangeSchema.optional(),
    ...PROSPECT_FILTER_SHAPE,
  })
  .strict()

export type ExportFilter = z.infer<typeof ExportFilterSchema>

export const ScoreFieldSchema = z.enum(SCORE_FIELDS as [ScoreField, ...ScoreField[]])

/** Fields of customer records, then those only prospect records have. */
const EXPORT_FIELDS = [...new Set<string>([...SCORE_FIELDS, ...PROSPECT_FIELDS])] as [string, ...string[]]

export const ExportRequestSchema = z
  .object({
    kind: z
      .enum(EXPORT_KINDS)
      .default('customers')
      .meta({ description: 'Customer records (default) or prospect records (PI-PIV)' }),
    filter: ExportFilterSchema.default({}),
    fields: z
      .array(z.enum(EXPORT_FIELDS))
      .min(1)
      .refine((fields) => new Set(fields).size === fields.length, { message: 'fields must not repeat' })
      .optional()
      .meta({ description: 'Columns (CSV) or properties (JSON lines), in this order; default every field' }),
    format: z.enum(EXPORT_FORMATS),
    gzip: z.boolean().default(false),
  })
  .strict()
  .superRefine((request, context) => {
    for (const problem of kindProblems(request)) context.addIssue({ code: 'custom', ...problem })
  })

export type ExportRequest = z.infer<typeof ExportRequestSchema>

/** The filter as one predicate, its lists turned into sets once. */
export function recordFilter(filter: ExportFilter): (record: ScoreRecord) => boolean {
  return fieldFilter<ScoreRecord>(
    filter,
    ['tier', 'quadrant', 'rfmSegment', 'pattern', 'decision'],
    ['netValue', 'churnRisk', 'recency'],
  )
}

/** exports/<exportId>.csv, .jsonl, .csv.gz or .jsonl.gz */
export function exportKey(exportsPrefix: string, exportId: string, request: ExportRequest): string {
  return `${exportsPrefix}${exportId}.${request.format}${request.gzip ? '.gz' : ''}`
}
