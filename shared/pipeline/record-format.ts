import { csvLine } from '../csv.ts'
import { SCORE_FIELDS, type ScoreRecord } from '../domain/score-record.ts'

export type RecordFormat = 'jsonl' | 'csv'

export function csvHeader(fields: readonly (keyof ScoreRecord)[] = SCORE_FIELDS): string {
  return csvLine(fields)
}

/** One CSV row: reasons as "CODE: text" joined with "; ", spend series joined with spaces. */
export function csvRecord(
  record: ScoreRecord,
  fields: readonly (keyof ScoreRecord)[] = SCORE_FIELDS,
): string {
  return csvLine(
    fields.map((field) => {
      const value = record[field]
      if (field === 'reasons') return record.reasons.map((r) => `${r.code}: ${r.text}`).join('; ')
      if (Array.isArray(value)) return value.join(' ')
      return value as string | number | boolean | null
    }),
  )
}

export function formatRecord(record: ScoreRecord, format: RecordFormat): string {
  return format === 'csv' ? csvRecord(record) : JSON.stringify(record)
}
