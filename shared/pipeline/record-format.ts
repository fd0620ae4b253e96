import { csvCell, csvLine } from '../csv.ts'
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
  let line = ''
  for (let k = 0; k < fields.length; k++) {
    const field = fields[k] as keyof ScoreRecord
    if (k > 0) line += ','
    if (field === 'reasons') {
      const { reasons } = record
      let text = ''
      for (let j = 0; j < reasons.length; j++) {
        const reason = reasons[j] as ScoreRecord['reasons'][number]
        text += `${j > 0 ? '; ' : ''}${reason.code}: ${reason.text}`
      }
      line += csvCell(text)
      continue
    }
    const value = record[field]
    line += csvCell(Array.isArray(value) ? value.join(' ') : (value as string | number | boolean | null))
  }
  return line
}

export function formatRecord(record: ScoreRecord, format: RecordFormat): string {
  // JSON.stringify is V8's own serializer: measured faster here than lines concatenated from the
  // record's fields (the concatenation has to be flattened before it is encoded).
  return format === 'csv' ? csvRecord(record) : JSON.stringify(record)
}
