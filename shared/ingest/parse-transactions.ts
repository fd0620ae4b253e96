import type { Transaction } from '../domain/transaction.ts'
import { businessDayResolver } from './business-day.ts'
import {
  type CsvRecordHandler,
  CsvRecordSplitter,
  countLineBreaks,
  DEFAULT_MAX_RECORD_LENGTH,
  RecordTooLongError,
} from './csv-records.ts'
import { PlainLineParser, type PlainRowSink, PlainRows } from './plain-lines.ts'
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
import { UploadBytesError, Utf8Decoder, uploadBytes, uploadText } from './upload-bytes.ts'

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
  if (!reader.sawRecord) throw emptyFileError(fileName, format)
  yield* batches.takeAll()
  options.onPartEnd?.(reader.partEnd())
}

/** Where `readTransactions` puts what it reads: rows and rejections each in file order. */
export interface TransactionTarget extends PlainRowSink {
  /** A row read by the careful path; rows of plain lines come in batches, by `addPlainRows`. */
  add(row: Transaction): void
  reject(rejection: RowRejection): void
}

/**
 * `parseTransactions` into a target instead of batches: the same rows in the same order, the same
 * rejections and the same file-level errors. The plain lines of a CSV file are read from its bytes
 * straight into columns (plain-lines.ts); every other line takes the careful path, as in
 * `parseTransactions`. A CSV file that is not gzipped is read piece by piece, each done with (and
 * nothing of it kept) before the next is asked for, so the input may hand every piece in one buffer.
 */
export async function readTransactions(
  input: AsyncIterable<Uint8Array>,
  options: ParseTransactionsOptions,
  target: TransactionTarget,
): Promise<void> {
  const { fileName } = options
  if ((options.format ?? formatFromKey(fileName)) !== 'csv') {
    for await (const batch of parseTransactions(input, options)) {
      for (const row of batch.rows) target.add(row)
      for (const rejection of batch.rejections) target.reject(rejection)
    }
    return
  }
  const reader = new PlainCsvUpload(fileName, transactionContract(options.timeZone), target)
  try {
    for await (const bytes of uploadBytes(input)) reader.push(bytes)
    reader.finish(options.onPartEnd === undefined)
  } catch (error) {
    throw toUploadError(error, fileName, reader)
  }
  if (!reader.sawRecord) throw emptyFileError(fileName, 'csv')
  options.onPartEnd?.(reader.partEnd())
}

function emptyFileError(fileName: string, format: UploadFormat): InvalidUploadError {
  return new InvalidUploadError({
    fileName,
    field: WHOLE_FILE,
    reason: format === 'csv' ? 'the file is empty (no header row)' : 'the file is empty',
  })
}

interface UploadReader {
  push(text: string): void
  end(): void
  lineAfter(text: string): number
  partEnd(): PartEnd
  readonly sawRecord: boolean
}

function toUploadError(error: unknown, fileName: string, reader: Pick<UploadReader, 'lineAfter'>): unknown {
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

  /** The header's columns, once it was read. */
  get header(): CsvColumns<Columns> | undefined {
    return this.#columns
  }

  get atRecordEnd(): boolean {
    return this.#splitter.atRecordEnd
  }

  /** See CsvRecordSplitter.skipLines. */
  skipLines(lines: number): void {
    this.#splitter.skipLines(lines)
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

/** Longest start of a line kept as bytes until its end arrives; a longer one goes to the careful path. */
const MAX_CARRIED_BYTES = 1 << 16
const LF = 10

/**
 * A CSV transaction file read from its bytes: the header and every line that is not plain go, decoded,
 * through the careful path (CsvUpload, whose line count is advanced past the plain lines); plain lines
 * are read into PlainRows, which go to the target before anything the careful path reads after them.
 */
class PlainCsvUpload {
  readonly #careful: CsvUpload<Transaction, ColumnIndexes>
  readonly #target: PlainRowSink
  readonly #decoder = new Utf8Decoder()
  readonly #rows = new PlainRows()
  #parser: PlainLineParser | undefined
  /** The start of a line that the bytes so far cut off. */
  #carry: Uint8Array | undefined
  /** Plain lines read since the careful path last saw text. */
  #plainLines = 0

  constructor(
    fileName: string,
    contract: UploadContract<Transaction, ColumnIndexes>,
    target: TransactionTarget,
  ) {
    const sink: RowSink<Transaction> = {
      accept: (row) => target.add(row),
      reject: (rejection) => target.reject(rejection),
    }
    this.#careful = new CsvUpload(fileName, contract, contract.checker(sink), sink)
    this.#target = target
  }

  get sawRecord(): boolean {
    return this.#careful.sawRecord
  }

  push(bytes: Uint8Array): void {
    let pos = 0
    const carry = this.#carry
    if (carry !== undefined) {
      const lineEnd = bytes.indexOf(LF)
      if (lineEnd < 0) {
        this.#carry = Buffer.concat([carry, bytes])
        if (this.#carry.length > MAX_CARRIED_BYTES) {
          const long = this.#carry
          this.#carry = undefined
          this.#toCareful(long, 0, long.length)
        }
        return
      }
      this.#carry = undefined
      this.#lines(Buffer.concat([carry, bytes.subarray(0, lineEnd + 1)]), 0)
      pos = lineEnd + 1
    }
    this.#lines(bytes, pos)
  }

  /** Ends the input; `atEnd`: its end ends the last record (see ParseTransactionsOptions.onPartEnd). */
  finish(atEnd: boolean): void {
    const carry = this.#carry
    this.#carry = undefined
    if (carry !== undefined) this.#toCareful(carry, 0, carry.length)
    const tail = this.#decoder.end()
    this.#sync()
    this.#careful.push(tail)
    if (atEnd) this.#careful.end()
  }

  lineAfter(text: string): number {
    this.#sync()
    return this.#careful.lineAfter(text)
  }

  partEnd(): PartEnd {
    this.#sync()
    return this.#careful.partEnd()
  }

  #lines(bytes: Uint8Array, from: number): void {
    const rows = this.#rows
    rows.source = bytes
    const length = bytes.length
    let pos = from
    while (pos < length) {
      const parser = this.#parser
      if (parser === undefined || !this.#careful.atRecordEnd) {
        // The header, or the rest of a record that runs over several lines.
        const lineEnd = bytes.indexOf(LF, pos)
        const next = lineEnd < 0 ? length : lineEnd + 1
        this.#toCareful(bytes, pos, next)
        pos = next
        const header = this.#careful.header
        if (parser === undefined && header !== undefined)
          this.#parser = new PlainLineParser(header.columns, header.width)
        continue
      }
      const next = parser.parse(bytes, pos, rows)
      if (next >= 0) {
        pos = next
        this.#plainLines++
        if (rows.full) this.#flush()
        continue
      }
      const lineEnd = bytes.indexOf(LF, pos)
      if (lineEnd < 0) {
        // A copy: the input may reuse its buffer for the next piece (Buffer's slice would be a view).
        this.#carry = new Uint8Array(bytes.subarray(pos))
        break
      }
      this.#toCareful(bytes, pos, lineEnd + 1)
      pos = lineEnd + 1
    }
    this.#flush()
  }

  /** Hands bytes `from` to `to - 1` to the careful path, after the rows read before them. */
  #toCareful(bytes: Uint8Array, from: number, to: number): void {
    this.#flush()
    this.#sync()
    this.#careful.push(this.#decoder.decode(bytes.subarray(from, to)))
  }

  #flush(): void {
    if (this.#rows.count === 0) return
    this.#target.addPlainRows(this.#rows)
    this.#rows.count = 0
  }

  /** Advances the careful path's line count past the plain lines read since it last saw text. */
  #sync(): void {
    if (this.#plainLines === 0) return
    this.#careful.skipLines(this.#plainLines)
    this.#plainLines = 0
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
