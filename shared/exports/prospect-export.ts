import { csvLine } from '../csv.ts'
import { SCORE_FIELDS } from '../domain/score-record.ts'
import { PROSPECT_QUADRANTS } from '../prospects/quadrant.ts'
import { PROSPECT_FIELDS, type ProspectRecord } from '../prospects/record.ts'
import { fieldFilter, RangeSchema } from './filter.ts'

/**
 * Prospect exports (`"kind": "prospects"`): the prospect records of the run being served
 * (runs/<runId>/prospects/scores.jsonl.gz), filtered by quadrant PI-PIV, intent and expected
 * contribution, in the same formats as customer exports.
 */

export const EXPORT_KINDS = ['customers', 'prospects'] as const
export type ExportKind = (typeof EXPORT_KINDS)[number]

/** Filter conditions only prospect exports take; `quadrant` takes PI-PIV for them. */
export const PROSPECT_FILTER_SHAPE = {
  intent: RangeSchema.optional().meta({ description: 'Prospect exports only: intent, 0-1' }),
  expectedContribution: RangeSchema.optional().meta({ description: 'Prospect exports only' }),
}

export const PROSPECT_ONLY_FILTERS = Object.keys(PROSPECT_FILTER_SHAPE)
/** Customer filter conditions a prospect export also takes. */
const SHARED_FILTERS = ['quadrant']

export { PROSPECT_FIELDS, PROSPECT_QUADRANTS }

/**
 * Problems of a request whose filter or fields do not fit its kind, as zod issues would name them.
 */
export function kindProblems(request: {
  kind: ExportKind
  filter: Record<string, unknown>
  fields?: readonly string[] | undefined
}): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = []
  const prospects = request.kind === 'prospects'
  const quadrants: readonly string[] = prospects ? PROSPECT_QUADRANTS : ['EI', 'EII', 'EIII', 'EIV']
  for (const [key, value] of Object.entries(request.filter)) {
    if (value === undefined) continue
    const fits = prospects
      ? PROSPECT_ONLY_FILTERS.includes(key) || SHARED_FILTERS.includes(key)
      : !PROSPECT_ONLY_FILTERS.includes(key)
    if (!fits) problems.push({ path: ['filter', key], message: `is not a filter of ${request.kind} exports` })
  }
  const quadrant = request.filter.quadrant
  if (Array.isArray(quadrant)) {
    quadrant.forEach((q, i) => {
      if (!quadrants.includes(q)) {
        problems.push({
          path: ['filter', 'quadrant', i],
          message: `${request.kind} quadrants are ${quadrants.join(', ')}`,
        })
      }
    })
  }
  const prospectFields: readonly string[] = PROSPECT_FIELDS
  request.fields?.forEach((field, i) => {
    const fits = prospects ? prospectFields.includes(field) : !PROSPECT_ONLY_FIELDS.has(field)
    if (!fits) problems.push({ path: ['fields', i], message: `is not a field of ${request.kind} records` })
  })
  return problems
}

/** Fields of prospect records that customer records do not have. */
export const PROSPECT_ONLY_FIELDS: ReadonlySet<string> = new Set(
  PROSPECT_FIELDS.filter((field) => !(SCORE_FIELDS as readonly string[]).includes(field)),
)

export type ProspectFilter = {
  readonly quadrant?: readonly string[] | undefined
  readonly intent?: { min?: number | undefined; max?: number | undefined } | undefined
  readonly expectedContribution?: { min?: number | undefined; max?: number | undefined } | undefined
}

export function prospectFilter(filter: ProspectFilter): (record: ProspectRecord) => boolean {
  return fieldFilter<ProspectRecord>(filter, ['quadrant'], ['intent', 'expectedContribution'])
}

/** One CSV row of a prospect: reasons as "CODE: text" joined with "; ", as for customers. */
export function prospectCsv(record: ProspectRecord, fields: readonly (keyof ProspectRecord)[]): string {
  return csvLine(
    fields.map((field) =>
      field === 'reasons' ? record.reasons.map((r) => `${r.code}: ${r.text}`).join('; ') : record[field],
    ),
  )
}
