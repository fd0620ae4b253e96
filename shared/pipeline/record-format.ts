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

/**
 * One record as JSON, byte for byte what `JSON.stringify(record)` writes for a record whose fields are
 * in SCORE_FIELDS order (as `Scorer.score` builds it), a few times faster: the field names are written
 * as constants, and strings are escaped by JSON.stringify only when they hold a character that needs it.
 */
export function jsonRecord(r: ScoreRecord): string {
  return (
    `{"customerId":${str(r.customerId)},"asOf":${str(r.asOf)},"modelVersion":${str(r.modelVersion)}` +
    `,"runId":${str(r.runId)},"firstPurchase":${str(r.firstPurchase)},"lastPurchase":${str(r.lastPurchase)}` +
    `,"x":${num(r.x)},"tx":${num(r.tx)},"T":${num(r.T)},"timeUnit":${str(r.timeUnit)}` +
    `,"recency":${num(r.recency)},"frequency":${num(r.frequency)},"monetary":${num(r.monetary)}` +
    `,"totalSpend":${num(r.totalSpend)},"totalMargin":${num(r.totalMargin)}` +
    `,"historicValue":${num(r.historicValue)},"monthlySpend":${nums(r.monthlySpend)}` +
    `,"quarterlySpend":${nums(r.quarterlySpend)},"expectedPurchases":${num(r.expectedPurchases)}` +
    `,"pAlive":${num(r.pAlive)},"churnRisk":${num(r.churnRisk)},"expectedSpend":${num(r.expectedSpend)}` +
    `,"clv":${num(r.clv)},"netValue":${num(r.netValue)},"rfmScore":${str(r.rfmScore)}` +
    `,"rfmSegment":${str(r.rfmSegment)},"tier":${str(r.tier)},"tierStrategy":${str(r.tierStrategy)}` +
    `,"quadrant":${str(r.quadrant)},"quadrantStrategy":${str(r.quadrantStrategy)}` +
    `,"clearOutRecommended":${r.clearOutRecommended === null ? 'null' : r.clearOutRecommended}` +
    `,"pattern":${str(r.pattern)},"decision":${str(r.decision)},"reasons":${reasons(r.reasons)}}`
  )
}

/** Characters JSON.stringify writes as escapes: quote, backslash, controls and (lone) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

function str(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`
}

/** JSON.stringify writes a finite number as String does (-0 as 0), any other as null. */
function num(value: number): string {
  return Number.isFinite(value) ? `${value}` : 'null'
}

function nums(values: readonly number[]): string {
  let text = '['
  for (let k = 0; k < values.length; k++)
    text += k > 0 ? `,${num(values[k] as number)}` : num(values[k] as number)
  return `${text}]`
}

function reasons(list: ScoreRecord['reasons']): string {
  let text = '['
  for (let k = 0; k < list.length; k++) {
    const reason = list[k] as ScoreRecord['reasons'][number]
    text += `${k > 0 ? ',' : ''}{"code":${str(reason.code)},"text":${str(reason.text)}}`
  }
  return `${text}]`
}

export function formatRecord(record: ScoreRecord, format: RecordFormat): string {
  return format === 'csv' ? csvRecord(record) : jsonRecord(record)
}
