import { csvCell, csvLine } from '../csv.ts'
import { SCORE_FIELDS, type ScoreRecord } from '../domain/score-record.ts'
import { flatString } from '../text.ts'

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

/** A record as an output line: `scoreLine` for JSON lines (see there), `csvRecord` for CSV. */
export function formatRecord(record: ScoreRecord, format: RecordFormat): string {
  return format === 'csv' ? csvRecord(record) : scoreLine(record)
}

/**
 * `JSON.stringify(record)`, the same text, for a record as `Scorer.score` builds it: its reasons are its
 * last field, and their codes and texts are plain text that JSON leaves as it is (reasons.ts).
 *
 * The record's other fields go through `JSON.stringify`, with its reasons left out; the reasons are
 * added as text. Reason texts are built by concatenation, and V8's serializer takes the slow path for
 * every string so built, copying it first (and with `--json-stringify-fast-path`, which the scorer turns
 * on, it starts over on the slow path). Added as text, they are copied once, when the line is encoded.
 * A hand-built line of every field was measured slower than `JSON.stringify`.
 */
export function scoreLine(record: ScoreRecord): string {
  const { reasons } = record
  // JSON.stringify leaves out a field whose value is undefined; a record that cannot be changed is
  // written whole.
  if (!Reflect.set(record, 'reasons', undefined)) return JSON.stringify(record)
  let fields: string
  try {
    fields = JSON.stringify(record)
  } finally {
    Reflect.set(record, 'reasons', reasons)
  }
  // The fields end with the last field before the reasons (a record has an id), then "}".
  let line = `${fields.slice(0, -1)},"reasons":[`
  for (let i = 0; i < reasons.length; i++) {
    const reason = reasons[i] as ScoreRecord['reasons'][number]
    const start = i < LAST_CODES.length ? startAt(i, reason.code) : reasonStart(reason.code)
    line += i > 0 ? `,${start}` : start
    line += reason.text
    line += '"}'
  }
  return `${line}]}`
}

/**
 * The code and start of the last reason at each place of a record: records mostly have the same codes
 * in the same places, and a comparison of two constant strings is quicker than a lookup.
 */
const LAST_CODES: (string | undefined)[] = new Array<undefined>(16).fill(undefined)
const LAST_STARTS: string[] = new Array<string>(16).fill('')

function startAt(i: number, code: string): string {
  if (LAST_CODES[i] === code) return LAST_STARTS[i] as string
  const start = reasonStart(code)
  LAST_CODES[i] = code
  LAST_STARTS[i] = start
  return start
}

/** `{"code":"CODE","text":"` of each code, made once: fewer parts to join into every line. */
const REASON_STARTS = new Map<string, string>()

function reasonStart(code: string): string {
  let start = REASON_STARTS.get(code)
  if (start === undefined) {
    start = flatString(`{"code":"${code}","text":"`)
    // The scorer's codes are a fixed set (REASON_CODES); any others are made each time.
    if (REASON_STARTS.size < 256) REASON_STARTS.set(code, start)
  }
  return start
}
