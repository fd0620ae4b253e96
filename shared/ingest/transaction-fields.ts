import { CustomerIdSchema, type Transaction } from '../domain/transaction.ts'
import type { BusinessDayResolver } from './business-day.ts'

/**
 * The hand-written column checker of the hot path. It turns the raw values of one row into a
 * `Transaction` that satisfies `TransactionSchema`, or into one rejection per bad field;
 * test/unit/ingest/transaction-fields.test.ts proves that it agrees with a zod reference.
 *
 * Rules: surrounding spaces and tabs are ignored. customer_id matches CUSTOMER_ID_PATTERN (isCustomerId).
 * transaction_date: see business-day.ts. amount and margin are plain decimals (parseDecimal), or numbers in
 * JSON. transaction_id is at most 256 characters. An empty optional value counts as absent; ids may be
 * JSON integers.
 */

/** One rejected field of one row. `line` is the 1-based physical line the record starts on. */
export interface RowRejection {
  readonly line: number
  readonly field: string
  readonly reason: string
  readonly value?: string
}

export interface RowSink<Row = Transaction> {
  accept(row: Row, line: number): void
  reject(rejection: RowRejection): void
}

/** Column names of the upload contract, as they appear in CSV headers and JSON lines. */
export const COLUMNS = {
  customerId: 'customer_id',
  date: 'transaction_date',
  amount: 'amount',
  transactionId: 'transaction_id',
  margin: 'margin',
} as const

export const REQUIRED_COLUMNS = [COLUMNS.customerId, COLUMNS.date, COLUMNS.amount] as const

/** Field name of rejections that concern the whole line (broken quoting, field count, invalid JSON). */
export const WHOLE_LINE = '(line)'

export const MAX_TRANSACTION_ID_LENGTH = 256

/** Where each column sits in a CSV record; -1 for an optional column the file does not have. */
export interface ColumnIndexes {
  readonly customerId: number
  readonly date: number
  readonly amount: number
  readonly transactionId: number
  readonly margin: number
}

const SHOWN_VALUE_LENGTH = 60
const KEPT_VALUE_LENGTH = 300
const MISSING = 'is missing'
const TAB = 9
const SPACE = 32

export class RowChecker {
  readonly #resolveDay: BusinessDayResolver
  readonly #sink: RowSink
  #line = 0
  #valid = true

  constructor(resolveDay: BusinessDayResolver, sink: RowSink) {
    this.#resolveDay = resolveDay
    this.#sink = sink
  }

  /** Checks one CSV record whose field `i` is `source.slice(starts[i], ends[i])`. */
  checkRecord(
    line: number,
    source: string,
    starts: Int32Array,
    ends: Int32Array,
    columns: ColumnIndexes,
  ): void {
    this.#line = line
    this.#valid = true
    const { customerId, date, amount, transactionId, margin } = columns
    const row: Transaction = {
      customerId: this.#customerId(source, starts[customerId] ?? 0, ends[customerId] ?? 0),
      date: this.#date(source, starts[date] ?? 0, ends[date] ?? 0),
      amount: this.#decimal(COLUMNS.amount, source, starts[amount] ?? 0, ends[amount] ?? 0, true) ?? 0,
      // Every row gets all five properties so that all rows share one object shape.
      transactionId:
        transactionId < 0
          ? undefined
          : this.#transactionId(source, starts[transactionId] ?? 0, ends[transactionId] ?? 0),
      margin:
        margin < 0
          ? undefined
          : this.#decimal(COLUMNS.margin, source, starts[margin] ?? 0, ends[margin] ?? 0, false),
    }
    if (this.#valid) this.#sink.accept(row, line)
  }

  /** Checks one parsed JSON line. */
  checkObject(line: number, object: Readonly<Record<string, unknown>>): void {
    this.#line = line
    this.#valid = true
    const customerId = idText(object[COLUMNS.customerId])
    const date = object[COLUMNS.date]
    const amount = object[COLUMNS.amount]
    const transactionId = idText(object[COLUMNS.transactionId])
    const margin = object[COLUMNS.margin]
    const row: Transaction = {
      customerId:
        typeof customerId === 'string'
          ? this.#customerId(customerId, 0, customerId.length)
          : this.#notText(COLUMNS.customerId, customerId),
      date: typeof date === 'string' ? this.#date(date, 0, date.length) : this.#notText(COLUMNS.date, date),
      amount: this.#jsonDecimal(COLUMNS.amount, amount, true) ?? 0,
      transactionId:
        typeof transactionId === 'string'
          ? this.#transactionId(transactionId, 0, transactionId.length)
          : this.#notOptionalText(COLUMNS.transactionId, transactionId),
      margin: this.#jsonDecimal(COLUMNS.margin, margin, false),
    }
    if (this.#valid) this.#sink.accept(row, line)
  }

  #customerId(source: string, from: number, to: number): string {
    const start = trimStart(source, from, to)
    const end = trimEnd(source, start, to)
    if (isCustomerId(source, start, end)) return source.slice(start, end)
    if (start === end) return this.#reject(COLUMNS.customerId, '', MISSING)
    const value = source.slice(start, end)
    const message =
      CustomerIdSchema.safeParse(value).error?.issues[0]?.message ?? 'is not a valid customer id'
    return this.#reject(COLUMNS.customerId, source.slice(from, to), `${show(value)} ${message}`)
  }

  #date(source: string, from: number, to: number): string {
    const start = trimStart(source, from, to)
    const end = trimEnd(source, start, to)
    const day = this.#resolveDay(source, start, end)
    if (day !== undefined) return day
    if (start === end) return this.#reject(COLUMNS.date, '', MISSING)
    const problem = `${show(source.slice(start, end))} is not a date (YYYY-MM-DD) or an ISO 8601 date-time`
    return this.#reject(COLUMNS.date, source.slice(from, to), problem)
  }

  /** A required decimal that is missing or bad is undefined, as is an absent optional one. */
  #decimal(field: string, source: string, from: number, to: number, required: boolean): number | undefined {
    const start = trimStart(source, from, to)
    const end = trimEnd(source, start, to)
    if (start === end) {
      if (required) this.#reject(field, '', MISSING)
      return undefined
    }
    const n = parseDecimal(source, start, end)
    if (Number.isFinite(n)) return n
    const problem = Number.isNaN(n) ? 'is not a decimal number' : 'is out of range'
    this.#reject(field, source.slice(from, to), `${show(source.slice(start, end))} ${problem}`)
    return undefined
  }

  #jsonDecimal(field: string, raw: unknown, required: boolean): number | undefined {
    if (typeof raw === 'string') return this.#decimal(field, raw, 0, raw.length, required)
    if (typeof raw === 'number') {
      if (Number.isFinite(raw)) return raw
      this.#reject(field, String(raw), `${raw} is out of range`)
    } else if (!isAbsent(raw)) {
      this.#wrongType(field, raw, 'a number')
    } else if (required) {
      this.#reject(field, '', MISSING)
    }
    return undefined
  }

  #transactionId(source: string, from: number, to: number): string | undefined {
    const start = trimStart(source, from, to)
    const end = trimEnd(source, start, to)
    if (start === end) return undefined
    if (end - start <= MAX_TRANSACTION_ID_LENGTH) return source.slice(start, end)
    const problem = `${show(source.slice(start, end))} is longer than ${MAX_TRANSACTION_ID_LENGTH} characters`
    this.#reject(COLUMNS.transactionId, source.slice(from, to), problem)
    return undefined
  }

  /** A required JSON value that is not a string: missing or of the wrong type. */
  #notText(field: string, raw: unknown): string {
    return isAbsent(raw) ? this.#reject(field, '', MISSING) : this.#wrongType(field, raw, 'a string')
  }

  /** An optional JSON value that is not a string: absent, or of the wrong type. */
  #notOptionalText(field: string, raw: unknown): undefined {
    if (!isAbsent(raw)) this.#wrongType(field, raw, 'a string')
    return undefined
  }

  #wrongType(field: string, raw: unknown, expected: string): string {
    const value = JSON.stringify(raw) ?? String(raw)
    return this.#reject(field, value, `${show(value)} is not ${expected}`)
  }

  /**
   * Records a rejection of the current row; `problem` is MISSING or starts with the offending value.
   * Returns '' as a placeholder for the field.
   */
  #reject(field: string, value: string, problem: string): string {
    this.#valid = false
    const reason = problem === MISSING ? `${field} ${problem}` : `${field}: ${problem}`
    const line = this.#line
    this.#sink.reject(
      value === '' ? { line, field, reason } : { line, field, reason, value: keepValue(value) },
    )
    return ''
  }
}

/**
 * Whether `text.slice(start, end)` matches CUSTOMER_ID_PATTERN: 1 to 128 letters, digits and `. _ - : @`,
 * starting with a letter or digit. A loop is several times faster than the regular expression here.
 */
export function isCustomerId(text: string, start = 0, end = text.length): boolean {
  if (end - start < 1 || end - start > 128) return false
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) continue
    if (i === start || !(c === 46 || c === 95 || c === 45 || c === 58 || c === 64)) return false
  }
  return true
}

const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, i) => 10 ** i)

/**
 * The plain decimal `text.slice(start, end)`: optional sign, digits, optional fraction (`12`, `-3.5`,
 * `+0.25`, `.5`, `7.`), no exponent, thousands separator or currency symbol. NaN when it is not one.
 * Equals `Number(text.slice(start, end))`: mantissas up to 2^53 with up to 22 decimals divide exactly
 * rounded (Clinger's fast path), anything longer is left to Number.
 */
export function parseDecimal(text: string, start = 0, end = text.length): number {
  let i = start
  let c = text.charCodeAt(i)
  const negative = c === 45
  if (negative || c === 43) c = text.charCodeAt(++i)
  let mantissa = 0
  let digits = 0
  let decimals = 0
  while (i < end && c >= 48 && c <= 57) {
    mantissa = mantissa * 10 + c - 48
    digits++
    c = text.charCodeAt(++i)
  }
  if (i < end && c === 46) {
    c = text.charCodeAt(++i)
    while (i < end && c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + c - 48
      digits++
      decimals++
      c = text.charCodeAt(++i)
    }
  }
  if (i !== end || digits === 0) return Number.NaN
  if (mantissa > Number.MAX_SAFE_INTEGER || decimals >= POWERS_OF_TEN.length)
    return Number(text.slice(start, end))
  const value = decimals === 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] ?? 1)
  return negative ? -value : value
}

/** Rejections keep the offending value, shortened: a broken line can be very long. */
export function keepValue(value: string): string {
  return value.length > KEPT_VALUE_LENGTH ? `${value.slice(0, KEPT_VALUE_LENGTH)}…` : value
}

function trimStart(text: string, start: number, end: number): number {
  let i = start
  for (let c = text.charCodeAt(i); i < end && (c === SPACE || c === TAB); c = text.charCodeAt(++i));
  return i
}

function trimEnd(text: string, start: number, end: number): number {
  let i = end
  for (let c = text.charCodeAt(i - 1); i > start && (c === SPACE || c === TAB); c = text.charCodeAt(--i - 1));
  return i
}

function isAbsent(raw: unknown): raw is null | undefined {
  return raw === undefined || raw === null
}

/** JSON ids may be integers, which read as their decimal text. */
function idText(raw: unknown): unknown {
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw)
  return raw
}

function show(value: string): string {
  const shown = value.length > SHOWN_VALUE_LENGTH ? `${value.slice(0, SHOWN_VALUE_LENGTH)}…` : value
  return `'${shown}'`
}
