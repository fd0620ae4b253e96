import type { Transaction } from '../domain/transaction.ts'
import { businessDayResolver } from './business-day.ts'
import {
  type CsvRecordHandler,
  CsvRecordSplitter,
  countLineBreaks,
  DEFAULT_MAX_RECORD_LENGTH,
  RecordTooLongError,
} from './csv-records.ts'
import {
  COLUMNS,
  type ColumnIndexes,
  keepValue,
  REQUIRED_COLUMNS,
  RowChecker,
  type RowRejection,
  type RowSink,
  WHOLE_LINE,
} from './transaction-fields.ts'
import { UploadBytesError, uploadText } from './upload-bytes.ts'

/**
 * Streaming parse and validation of an uploaded transaction file (the upload contract):
 * - CSV: UTF-8 (BOM allowed), comma-separated, RFC 4180 quoting, LF or CRLF, blank lines skipped. The header
 *   names the columns in any order (case-insensitive, trimmed); unknown columns are ignored.
 * - JSON lines: one object per line with the same property names (exact case).
 * - Either may be gzipped; gzip is recognised by its magic bytes, not by the name.
 * - Columns: customer_id, transaction_date and amount are required; transaction_id and margin are optional.
 *   Spaces and tabs around values are ignored. See transaction-fields.ts and business-day.ts for the rules.
 *
 * Memory stays bounded whatever the file size: bytes are inflated, decoded and checked piece by piece, and
 * rows leave in batches.
 */

export { toBusinessDay } from './business-day.ts'
export { type RowRejection, WHOLE_LINE } from './transaction-fields.ts'

export type UploadFormat = 'csv' | 'jsonl'

export interface ParseTransactionsOptions {
  /** Names the file in errors and, unless `format` is given, chooses the format by its extension. */
  readonly fileName: string
  /** IANA zone that defines business days; default UTC. */
  readonly timeZone?: string | undefined
  readonly format?: UploadFormat | undefined
  /** Most rows plus rejections in one batch; default 5,000. */
  readonly batchSize?: number | undefined
  /**
   * The input is the first part of a longer file: its end does not end the last record. Called after
   * the last batch with the line the rest of the file starts on, and whether this part ended where a
   * record ends (false when a record, such as a quoted field with a line break, runs on past it).
   */
  readonly onPartEnd?: ((end: PartEnd) => void) | undefined
}

/** Where the first part of a file ended (see `ParseTransactionsOptions.onPartEnd`). */
export interface PartEnd {
  readonly line: number
  readonly atRecordEnd: boolean
}

export interface UploadBatch<Row> {
  readonly rows: Row[]
  /** `lines[i]` is the line on which `rows[i]` starts. */
  readonly lines: number[]
  readonly rejections: RowRejection[]
}

export type TransactionBatch = UploadBatch<Transaction>

/** What checks the records of one kind of upload. */
export interface RecordChecker<Columns> {
  /** Checks one CSV record whose field `i` is `source.slice(starts[i], ends[i])`. */
  checkRecord(line: number, source: string, starts: Int32Array, ends: Int32Array, columns: Columns): void
  /** Checks one parsed JSON line. */
  checkObject(line: number, object: Readonly<Record<string, unknown>>): void
}

/**
 * The contract of one kind of upload: its columns, which are required, and the checker that turns
 * a record into a row or into rejections. `Columns` is where the checker finds each column of a CSV
 * record, built once from the header (`indexOf` is -1 for a column the file does not have).
 */
export interface UploadContract<Row, Columns> {
  readonly columns: readonly string[]
  readonly required: readonly string[]
  columnsOf(indexOf: (column: string) => number): Columns
  checker(sink: RowSink<Row>): RecordChecker<Columns>
}

/** The transaction file contract (see transaction-fields.ts and business-day.ts). */
export function transactionContract(timeZone = 'UTC'): UploadContract<Transaction, ColumnIndexes> {
  const resolveDay = businessDayResolver(timeZone)
  return {
    columns: Object.values(COLUMNS),
    required: REQUIRED_COLUMNS,
    columnsOf: (at) => ({
      customerId: at(COLUMNS.customerId),
      date: at(COLUMNS.date),
      amount: at(COLUMNS.amount),
      transactionId: at(COLUMNS.transactionId),
      margin: at(COLUMNS.margin),
    }),
    checker: (sink) => new RowChecker(resolveDay, sink),
  }
}

/** Field of file-level problems that concern no column. */
export const WHOLE_FILE = '(file)'

/** A problem with the file as a whole: nothing of it can be trusted. The message carries no row values. */
export class InvalidUploadError extends Error {
  override readonly name = 'InvalidUploadError'
  readonly fileName: string
  readonly line: number | undefined
  readonly field: string
  readonly reason: string

  constructor(problem: { fileName: string; line?: number | undefined; field: string; reason: string }) {
    super(
      `${problem.fileName}${problem.line === undefined ? '' : ` line ${problem.line}`}: ${problem.reason}`,
    )
    this.fileName = problem.fileName
    this.line = problem.line
    this.field = problem.field
    this.reason = problem.reason
  }
}

const DEFAULT_BATCH_SIZE = 5_000

/** The format an object key's extension names (.csv, .jsonl or .ndjson, each optionally .gz), if any. */
export function formatFromKey(key: string): UploadFormat | undefined {
  const name = key.toLowerCase()
  const base = name.endsWith('.gz') ? name.slice(0, -3) : name
  if (base.endsWith('.csv')) return 'csv'
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return 'jsonl'
  return undefined
}

/**
 * Reads an upload and yields its valid rows, each with its line, and the rejections of its bad rows, in
 * file order. Throws InvalidUploadError for file-level problems, and a RangeError for an unknown time zone.
 */
export function parseTransactions(
  input: AsyncIterable<Uint8Array>,
  options: ParseTransactionsOptions,
): AsyncGenerator<TransactionBatch, void, undefined> {
  return parseUpload(input, transactionContract(options.timeZone), options)
}

/**
 * Reads an upload of any kind under its contract: the same formats, file-level checks, line
 * numbers and batches as transaction files.
 */
export async function* parseUpload<Row, Columns>(
  input: AsyncIterable<Uint8Array>,
  contract: UploadContract<Row, Columns>,
  options: Omit<ParseTransactionsOptions, 'timeZone'>,
): AsyncGenerator<UploadBatch<Row>, void, undefined> {
  const { fileName } = options
  const format = options.format ?? formatFromKey(fileName)
  if (format === undefined) {
    throw new InvalidUploadError({
      fileName,
      field: WHOLE_FILE,
      reason: 'the file type is unknown; name it .csv, .jsonl or .ndjson, optionally followed by .gz',
    })
  }
  const batches = new Batches<Row>(options.batchSize ?? DEFAULT_BATCH_SIZE)
  const checker = contract.checker(batches)
  const reader =
    format === 'csv'
      ? new CsvUpload(fileName, contract, checker, batches)
      : new JsonLinesUpload(checker, batches)
  try {
    for await (const text of uploadText(input)) {
      reader.push(text)
      yield* batches.takeFull()
    }
    if (options.onPartEnd === undefined) reader.end()
  } catch (error) {
    throw toUploadError(error, fileName, reader)
  }
  if (!reader.sawRecord) {
    throw new InvalidUploadError({
      fileName,
      field: WHOLE_FILE,
      reason: format === 'csv' ? 'the file is empty (no header row)' : 'the file is empty',
    })
  }
  yield* batches.takeAll()
  options.onPartEnd?.(reader.partEnd())
}

interface UploadReader {
  push(text: string): void
  end(): void
  lineAfter(text: string): number
  partEnd(): PartEnd
  readonly sawRecord: boolean
}

function toUploadError(error: unknown, fileName: string, reader: UploadReader): unknown {
  if (error instanceof UploadBytesError) {
    const line = error.textBefore === undefined ? undefined : reader.lineAfter(error.textBefore)
    return new InvalidUploadError({ fileName, line, field: WHOLE_FILE, reason: `the file ${error.message}` })
  }
  if (error instanceof RecordTooLongError) {
    return new InvalidUploadError({ fileName, line: error.line, field: WHOLE_LINE, reason: error.message })
  }
  return error
}

class Batches<Row> implements RowSink<Row> {
  readonly #size: number
  #rows: Row[] = []
  #lines: number[] = []
  #rejections: RowRejection[] = []
  #full: UploadBatch<Row>[] = []

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`batchSize must be a positive integer, not ${size}`)
    }
    this.#size = size
  }

  accept(row: Row, line: number): void {
    this.#rows.push(row)
    this.#lines.push(line)
    if (this.#rows.length + this.#rejections.length >= this.#size) this.#close()
  }

  reject(rejection: RowRejection): void {
    this.#rejections.push(rejection)
    if (this.#rows.length + this.#rejections.length >= this.#size) this.#close()
  }

  takeFull(): UploadBatch<Row>[] {
    const full = this.#full
    this.#full = []
    return full
  }

  takeAll(): UploadBatch<Row>[] {
    if (this.#rows.length + this.#rejections.length > 0) this.#close()
    return this.takeFull()
  }

  #close(): void {
    this.#full.push({ rows: this.#rows, lines: this.#lines, rejections: this.#rejections })
    this.#rows = []
    this.#lines = []
    this.#rejections = []
  }
}

interface CsvColumns<Columns> {
  /** How many fields the header has, and so every record. */
  readonly width: number
  readonly columns: Columns
}

class CsvUpload<Row, Columns> implements UploadReader, CsvRecordHandler {
  readonly #fileName: string
  readonly #contract: UploadContract<Row, Columns>
  readonly #known: ReadonlySet<string>
  readonly #checker: RecordChecker<Columns>
  readonly #sink: RowSink<Row>
  readonly #splitter: CsvRecordSplitter
  #columns: CsvColumns<Columns> | undefined

  constructor(
    fileName: string,
    contract: UploadContract<Row, Columns>,
    checker: RecordChecker<Columns>,
    sink: RowSink<Row>,
  ) {
    this.#fileName = fileName
    this.#contract = contract
    this.#known = new Set(contract.columns)
    this.#checker = checker
    this.#sink = sink
    this.#splitter = new CsvRecordSplitter(this)
  }

  get sawRecord(): boolean {
    return this.#columns !== undefined
  }

  push(text: string): void {
    this.#splitter.push(text)
  }

  end(): void {
    this.#splitter.end()
  }

  lineAfter(text: string): number {
    return this.#splitter.lineAfter(text)
  }

  partEnd(): PartEnd {
    return this.#splitter.partEnd()
  }

  record(source: string, starts: Int32Array, ends: Int32Array, count: number, line: number): void {
    const columns = this.#columns
    if (columns === undefined) {
      this.#columns = this.#header(source, starts, ends, count, line)
      return
    }
    if (count !== columns.width) {
      this.#sink.reject({
        line,
        field: WHOLE_LINE,
        reason: `the line has ${count} fields but the header has ${columns.width}`,
        value: keepValue(fieldsOf(source, starts, ends, count).join(',')),
      })
      return
    }
    this.#checker.checkRecord(line, source, starts, ends, columns.columns)
  }

  malformed(line: number, reason: string): void {
    if (this.#columns === undefined) {
      throw new InvalidUploadError({
        fileName: this.#fileName,
        line,
        field: WHOLE_LINE,
        reason: `header: ${reason}`,
      })
    }
    this.#sink.reject({ line, field: WHOLE_LINE, reason })
  }

  #header(
    source: string,
    starts: Int32Array,
    ends: Int32Array,
    count: number,
    line: number,
  ): CsvColumns<Columns> {
    const names = fieldsOf(source, starts, ends, count)
    const indexes = new Map<string, number>()
    for (const [index, name] of names.entries()) {
      const column = name.trim().toLowerCase()
      if (!this.#known.has(column)) continue
      if (indexes.has(column)) {
        throw new InvalidUploadError({
          fileName: this.#fileName,
          line,
          field: column,
          reason: `the header names column ${column} twice`,
        })
      }
      indexes.set(column, index)
    }
    const missing = this.#contract.required.filter((column) => !indexes.has(column))
    if (missing.length > 0) {
      throw new InvalidUploadError({
        fileName: this.#fileName,
        line,
        field: missing.join(', '),
        reason: `the header has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}${separatorHint(names)}`,
      })
    }
    return { width: count, columns: this.#contract.columnsOf((column) => indexes.get(column) ?? -1) }
  }
}

function fieldsOf(source: string, starts: Int32Array, ends: Int32Array, count: number): string[] {
  return Array.from({ length: count }, (_, i) => source.slice(starts[i], ends[i]))
}

/** Spreadsheets in many locales export semicolon-separated "CSV". */
function separatorHint(names: readonly string[]): string {
  const header = names.join(',')
  if (header.includes(';')) return '; the file must be separated by commas, not semicolons'
  if (header.includes('\t')) return '; the file must be separated by commas, not tabs'
  return ''
}

/** JSON lines: a JSON string cannot hold a raw line break, so every record is one physical line. */
class JsonLinesUpload<Row, Columns> implements UploadReader {
  readonly #checker: RecordChecker<Columns>
  readonly #sink: RowSink<Row>
  #pending = ''
  #line = 1
  #sawRecord = false

  constructor(checker: RecordChecker<Columns>, sink: RowSink<Row>) {
    this.#checker = checker
    this.#sink = sink
  }

  get sawRecord(): boolean {
    return this.#sawRecord
  }

  push(text: string): void {
    let pos = 0
    if (this.#pending.length > 0) {
      // Completes the unfinished line on its own: V8 searches a concatenation much slower than a flat string.
      const lineEnd = text.indexOf('\n')
      if (lineEnd < 0) {
        this.#keep(this.#pending + text)
        return
      }
      this.#record(this.#pending + text.slice(0, lineEnd))
      pos = lineEnd + 1
    }
    for (let lineEnd = text.indexOf('\n', pos); lineEnd >= 0; lineEnd = text.indexOf('\n', pos)) {
      this.#record(text.slice(pos, lineEnd))
      pos = lineEnd + 1
    }
    this.#keep(text.slice(pos))
  }

  #keep(unfinished: string): void {
    if (unfinished.length > DEFAULT_MAX_RECORD_LENGTH) {
      throw new RecordTooLongError(this.#line, DEFAULT_MAX_RECORD_LENGTH)
    }
    this.#pending = unfinished
  }

  end(): void {
    if (this.#pending.length > 0) this.#record(this.#pending)
    this.#pending = ''
  }

  partEnd(): PartEnd {
    return { line: this.#line, atRecordEnd: this.#pending.length === 0 }
  }

  lineAfter(text: string): number {
    return (
      this.#line +
      countLineBreaks(this.#pending, 0, this.#pending.length) +
      countLineBreaks(text, 0, text.length)
    )
  }

  #record(rawLine: string): void {
    const line = this.#line++
    const text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    if (text.trim() === '') return
    this.#sawRecord = true
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      const detail = error instanceof Error ? ` (${error.message})` : ''
      this.#sink.reject({
        line,
        field: WHOLE_LINE,
        reason: `the line is not valid JSON${detail}`,
        value: keepValue(text),
      })
      return
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.#sink.reject({
        line,
        field: WHOLE_LINE,
        reason: 'the line is not a JSON object',
        value: keepValue(text),
      })
      return
    }
    this.#checker.checkObject(line, value as Record<string, unknown>)
  }
}
