import { dayString, daysInMonth } from './business-day.ts'
import { type ColumnIndexes, MAX_TRANSACTION_ID_LENGTH } from './transaction-fields.ts'

/**
 * The fast path of CSV transaction files: a line in the plainest form is read from the file's bytes
 * straight into columns, without a string per field or an object per row. Plain means: ASCII, no quote,
 * exactly the header's number of fields, LF or CRLF at its end, and every field in the form the careful
 * path would accept unchanged: a valid customer id, a `YYYY-MM-DD` date, decimals without spaces
 * around them (`12.50`, `-3`, at most 15 significant digits), an optional transaction id of at most 256
 * characters without spaces around it. Anything else (a quote, a date-time, a bad or missing value, a
 * blank line, a line cut by the end of the bytes) is left to the careful path, which reads it as it
 * always did, with its line number and rejections; test/unit/ingest/plain-lines.test.ts proves that the
 * two paths give the same rows for any line.
 */

/** Rows of plain lines in columns; the customer and transaction ids are byte ranges of `source`. */
export class PlainRows {
  static readonly CAPACITY = 1024
  source: Uint8Array = new Uint8Array(0)
  count = 0
  readonly idStart = new Int32Array(PlainRows.CAPACITY)
  readonly idEnd = new Int32Array(PlainRows.CAPACITY)
  readonly date: string[] = new Array<string>(PlainRows.CAPACITY).fill('')
  readonly amount = new Float64Array(PlainRows.CAPACITY)
  /** NaN for a row without a margin. */
  readonly margin = new Float64Array(PlainRows.CAPACITY)
  /** -1 for a row without a transaction id. */
  readonly txStart = new Int32Array(PlainRows.CAPACITY)
  readonly txEnd = new Int32Array(PlainRows.CAPACITY)

  get full(): boolean {
    return this.count === PlainRows.CAPACITY
  }

  push(
    idStart: number,
    idEnd: number,
    date: string,
    amount: number,
    margin: number,
    txStart: number,
    txEnd: number,
  ): void {
    const r = this.count
    this.idStart[r] = idStart
    this.idEnd[r] = idEnd
    this.date[r] = date
    this.amount[r] = amount
    this.margin[r] = margin
    this.txStart[r] = txStart
    this.txEnd[r] = txEnd
    this.count = r + 1
  }
}

/** Where rows of plain lines go (RowStore), a batch at a time. */
export interface PlainRowSink {
  addPlainRows(rows: PlainRows): void
}

/** Roles of a field; 0 for a column the contract does not read. */
const CUSTOMER_ID = 1
const DATE = 2
const AMOUNT = 3
const TRANSACTION_ID = 4
const MARGIN = 5

const LF = 10
const CR = 13
const SPACE = 32
const TAB = 9
const QUOTE = 34
const COMMA = 44
const DASH = 45
const PLUS = 43
const DOT = 46
const DIGIT_0 = 48
const MAX_CUSTOMER_ID_LENGTH = 128

/** 2 for a letter or digit, 1 for the other characters of customer ids (`. _ - : @`), else 0. */
const ID_CHARS = Uint8Array.from({ length: 256 }, (_, c) => {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return 2
  return c === 46 || c === 95 || c === 45 || c === 58 || c === 64 ? 1 : 0
})

const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, i) => 10 ** i)

/** Reads plain lines of a file whose header gave these columns and this many fields. */
export class PlainLineParser {
  readonly #roles: Uint8Array
  /** The decimal last read by #decimal. */
  #value = 0
  /** The bytes of the last valid date read (none yet: a zero byte, which no date has), and its day. */
  readonly #lastDate = new Uint8Array(10)
  #lastDay = ''
  /** The columns are customer id, date and amount, in that order and no other: the common layout. */
  readonly #threeColumns: boolean

  constructor(columns: ColumnIndexes, width: number) {
    const roles = new Uint8Array(width)
    roles[columns.customerId] = CUSTOMER_ID
    roles[columns.date] = DATE
    roles[columns.amount] = AMOUNT
    if (columns.transactionId >= 0) roles[columns.transactionId] = TRANSACTION_ID
    if (columns.margin >= 0) roles[columns.margin] = MARGIN
    this.#roles = roles
    this.#threeColumns = width === 3 && roles[0] === CUSTOMER_ID && roles[1] === DATE && roles[2] === AMOUNT
  }

  /**
   * Reads the line that starts at `pos` as row `rows.count` and returns where the next line starts; -1
   * (and `rows` unchanged) when the line is not plain or does not end within `bytes`.
   */
  parse(bytes: Uint8Array, pos: number, rows: PlainRows): number {
    if (this.#threeColumns) return this.#parseThree(bytes, pos, rows)
    const roles = this.#roles
    const width = roles.length
    const n = bytes.length
    let p = pos
    let idStart = 0
    let idEnd = 0
    let date = ''
    let amount = 0
    let margin = Number.NaN
    let txStart = -1
    let txEnd = -1
    for (let f = 0; f < width; f++) {
      const role = roles[f]
      if (role === CUSTOMER_ID) {
        idEnd = idEndAt(bytes, p)
        if (idEnd < 0) return -1
        idStart = p
        p = idEnd
      } else if (role === DATE) {
        const day = this.#day(bytes, p)
        if (day === undefined) return -1
        date = day
        p += 10
      } else if (role === AMOUNT || role === MARGIN) {
        const end = this.#decimal(bytes, p)
        if (end < 0) {
          // An empty margin is an absent one; an empty amount is the careful path's rejection.
          if (role === AMOUNT || end === EMPTY) return -1
        } else {
          if (role === AMOUNT) amount = this.#value
          else margin = this.#value
          p = end
        }
      } else {
        const start = p
        for (; p < n; p++) {
          const c = bytes[p] as number
          if (c === COMMA || c === LF || c === CR) break
          if (c === QUOTE || c > 127) return -1
        }
        if (role === TRANSACTION_ID && p > start) {
          if (p - start > MAX_TRANSACTION_ID_LENGTH || isBlank(bytes[start]) || isBlank(bytes[p - 1]))
            return -1
          txStart = start
          txEnd = p
        }
      }
      const c = bytes[p]
      if (f + 1 < width) {
        if (c !== COMMA) return -1
        p++
      } else if (c === LF) {
        p++
      } else if (c === CR && bytes[p + 1] === LF) {
        p += 2
      } else {
        return -1
      }
    }
    rows.push(idStart, idEnd, date, amount, margin, txStart, txEnd)
    return p
  }

  /**
   * `parse` for the layout of exactly customer id, date and amount: the same checks in the fields'
   * order, without a loop over the fields (about a third faster per line).
   */
  #parseThree(bytes: Uint8Array, pos: number, rows: PlainRows): number {
    const idEnd = idEndAt(bytes, pos)
    if (idEnd < 0 || bytes[idEnd] !== COMMA) return -1
    const date = this.#day(bytes, idEnd + 1)
    if (date === undefined || bytes[idEnd + 11] !== COMMA) return -1
    let p = this.#decimal(bytes, idEnd + 12)
    if (p < 0) return -1
    const c = bytes[p]
    if (c === LF) p++
    else if (c === CR && bytes[p + 1] === LF) p += 2
    else return -1
    rows.push(pos, idEnd, date, this.#value, Number.NaN, -1, -1)
    return p
  }

  /** The day of the `YYYY-MM-DD` at `pos`, or undefined when those 10 bytes are not a valid date. */
  #day(bytes: Uint8Array, pos: number): string | undefined {
    // Files are mostly in date order: a line's date is most often the one of the line before.
    const last = this.#lastDate
    let same = pos + 10 <= bytes.length
    for (let i = 0; same && i < 10; i++) same = bytes[pos + i] === last[i]
    if (same) return this.#lastDay
    const day = plainDay(bytes, pos)
    if (day === undefined) return undefined
    for (let i = 0; i < 10; i++) last[i] = bytes[pos + i] as number
    this.#lastDay = day
    return day
  }

  /**
   * Reads the decimal at `pos` into #value, as parseDecimal reads it, and returns where it ends; EMPTY
   * when no sign, digit or point is there (an empty field, if a separator follows), NOT_PLAIN when it is
   * not a decimal the fast path reads exactly.
   */
  #decimal(bytes: Uint8Array, pos: number): number {
    const n = bytes.length
    let i = pos
    let c = bytes[i] as number
    const negative = c === DASH
    if (negative || c === PLUS) c = bytes[++i] as number
    let mantissa = 0
    let digits = 0
    let decimals = 0
    while (i < n && c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + c - DIGIT_0
      digits++
      c = bytes[++i] as number
    }
    if (i < n && c === DOT) {
      c = bytes[++i] as number
      while (i < n && c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + c - DIGIT_0
        digits++
        decimals++
        c = bytes[++i] as number
      }
    }
    if (digits === 0) return i === pos ? EMPTY : NOT_PLAIN
    // Past 15 digits the mantissa may not be exact; the careful path reads those.
    if (digits > 15) return NOT_PLAIN
    const value = decimals === 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] as number)
    this.#value = negative ? -value : value
    return i
  }
}

const EMPTY = -2
const NOT_PLAIN = -1

/** Where the plain customer id at `pos` ends (a byte that is no id character), or -1 when there is none. */
function idEndAt(bytes: Uint8Array, pos: number): number {
  const n = bytes.length
  if (pos >= n || ID_CHARS[bytes[pos] as number] !== 2) return -1
  let p = pos + 1
  while (p < n && (ID_CHARS[bytes[p] as number] as number) > 0) p++
  return p - pos > MAX_CUSTOMER_ID_LENGTH ? -1 : p
}

/** The day of the `YYYY-MM-DD` at `pos`, or undefined when those 10 bytes are not a valid date. */
function plainDay(bytes: Uint8Array, pos: number): string | undefined {
  if (pos + 10 > bytes.length || bytes[pos + 4] !== DASH || bytes[pos + 7] !== DASH) return undefined
  const year =
    digit(bytes[pos]) * 1000 +
    digit(bytes[pos + 1]) * 100 +
    digit(bytes[pos + 2]) * 10 +
    digit(bytes[pos + 3])
  const month = digit(bytes[pos + 5]) * 10 + digit(bytes[pos + 6])
  const day = digit(bytes[pos + 8]) * 10 + digit(bytes[pos + 9])
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  return dayString(year, month, day)
}

/** The digit, or a large negative number when the byte is none (see business-day.ts). */
function digit(byte: number | undefined): number {
  const d = (byte as number) - DIGIT_0
  return d >= 0 && d <= 9 ? d : -1e6
}

function isBlank(byte: number | undefined): boolean {
  return byte === SPACE || byte === TAB
}
