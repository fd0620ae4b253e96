/**
 * Per-customer purchase summaries (recency, frequency, spend) from transaction rows.
 *
 * Rules:
 * - Rows dated after the as-of date are ignored.
 * - A day with at least one non-negative row is one purchase occasion (zero-value rows count);
 *   the occasion's value is the sum of that day's rows, refunds included.
 * - Refund rows (negative amounts) on a day without purchases reduce the customer's latest earlier
 *   occasion; refunds before the first occasion are ignored and counted in `ignoredRefunds`.
 * - A repeated transactionId within a customer's rows is kept once (its first occurrence).
 *
 * Time convention: every date is a point in time, the same time of day for purchases and for the
 * as-of date. So T = (as-of date - first occasion) and t_x = (last - first occasion), both in whole
 * days converted to the unit, and a purchase on the as-of day has t_x = T. Equivalently, the as-of
 * day is counted to its end and every purchase sits at the end of its day. On CDNOW (as-of
 * 1997-09-30, weeks) this gives T = 272/7 = 38.86 for a customer first seen on 1997-01-01, as in
 * the published summary, and reproduces the published fit (LL -9582.4). Counting the as-of day
 * as one more day (T + 1/7 week, purchases at the start of their day) does not: it fits
 * a = 0.814, b = 2.48 with LL -9589.9.
 */
import type { Transaction } from '../domain/transaction.ts'

export type TimeUnit = 'days' | 'weeks'

export type SummaryOptions = {
  /** Last business day included, YYYY-MM-DD. */
  readonly asOf: string
  readonly unit: TimeUnit
  /** Margin as a share of amount, used for rows without their own margin. */
  readonly marginRate: number
}

/** The fields of a transaction the summary reads. */
export type SummaryRow = Pick<Transaction, 'date' | 'amount' | 'transactionId' | 'margin'>

export type CustomerSummary = {
  readonly customerId: string
  readonly firstPurchase: string
  readonly lastPurchase: string
  readonly occasions: number
  /** Repeat occasions: occasions - 1. */
  readonly x: number
  /** Last minus first occasion, in the time unit. */
  readonly tx: number
  /** As-of date minus first occasion, in the time unit. */
  readonly T: number
  /** Mean value of the repeat occasions (first excluded); 0 where x = 0. */
  readonly zbar: number
  readonly totalSpend: number
  /** Mean occasion value, first occasion included. */
  readonly averageSpend: number
  readonly totalMargin: number
  /** Days from the last occasion to the as-of date. */
  readonly recencyDays: number
  /** Refund rows dated before the customer's first occasion, left out of every figure. */
  readonly ignoredRefunds: number
}

export type SummaryStats = {
  readonly rows: number
  readonly rowsAfterAsOf: number
  readonly duplicateRows: number
  /** Refund rows before a first occasion, including those of customers without any purchase. */
  readonly ignoredRefunds: number
  /** Customers with rows but no purchase occasion on or before the as-of date. */
  readonly customersWithoutPurchase: number
}

export type SummaryResult = {
  /** One summary per customer with at least one occasion, in order of first appearance. */
  readonly customers: CustomerSummary[]
  readonly stats: SummaryStats
}

export class UngroupedRowsError extends Error {
  override readonly name = 'UngroupedRowsError'
}

/** Summary of one customer's rows (in any order); undefined when there is no occasion by the as-of date. */
export function summariseCustomer(
  customerId: string,
  rows: Iterable<SummaryRow>,
  options: SummaryOptions,
): CustomerSummary | undefined {
  return summariseRows(customerId, rows, resolve(options)).summary
}

/**
 * Summaries of rows in any order. Holds references to all rows, grouped by customer, until the
 * end; for inputs sorted or partitioned by customer, `summariseGroupedTransactions` streams.
 */
export function summariseTransactions(rows: Iterable<Transaction>, options: SummaryOptions): SummaryResult {
  const resolved = resolve(options)
  const byCustomer = new Map<string, Transaction[]>()
  for (const row of rows) {
    const group = byCustomer.get(row.customerId)
    if (group === undefined) byCustomer.set(row.customerId, [row])
    else group.push(row)
  }
  const stats = newStats()
  const customers: CustomerSummary[] = []
  for (const [customerId, group] of byCustomer) {
    const summary = collect(stats, summariseRows(customerId, group, resolved))
    if (summary !== undefined) customers.push(summary)
  }
  return { customers, stats: { ...stats } }
}

/**
 * Streams summaries from rows where each customer's rows are contiguous (any order within the
 * customer), keeping only the current customer's rows in memory. Yields each summary as its
 * customer's rows end and returns the statistics. Throws UngroupedRowsError if a customer's rows
 * reappear after another customer's (detected from the set of finished ids, the only state that
 * grows with the input).
 */
export function* summariseGroupedTransactions(
  rows: Iterable<Transaction>,
  options: SummaryOptions,
): Generator<CustomerSummary, SummaryStats, undefined> {
  const resolved = resolve(options)
  const stats = newStats()
  const finished = new Set<string>()
  let currentId: string | undefined
  let current: Transaction[] = []
  for (const row of rows) {
    if (row.customerId !== currentId) {
      if (currentId !== undefined) {
        finished.add(currentId)
        const summary = collect(stats, summariseRows(currentId, current, resolved))
        if (summary !== undefined) yield summary
      }
      if (finished.has(row.customerId)) {
        throw new UngroupedRowsError(`rows of customer ${row.customerId} are not contiguous`)
      }
      currentId = row.customerId
      current = []
    }
    current.push(row)
  }
  if (currentId !== undefined) {
    const summary = collect(stats, summariseRows(currentId, current, resolved))
    if (summary !== undefined) yield summary
  }
  return { ...stats }
}

const DAYS_PER_UNIT: Record<TimeUnit, number> = { days: 1, weeks: 7 }

type Resolved = {
  readonly asOfDay: number
  readonly unitDays: number
  readonly marginRate: number
  /** Day number of a date, cached: a data set has few distinct dates and many rows. */
  readonly dayOf: (date: string) => number
}

type MutableStats = { -readonly [K in keyof SummaryStats]: SummaryStats[K] }

type RowsOutcome = {
  readonly summary: CustomerSummary | undefined
  readonly rows: number
  readonly rowsAfterAsOf: number
  readonly duplicateRows: number
  readonly ignoredRefunds: number
}

function resolve(options: SummaryOptions): Resolved {
  if (!Number.isFinite(options.marginRate)) throw new RangeError('marginRate must be a finite number')
  const cache = new Map<string, number>()
  const dayOf = (date: string) => {
    let day = cache.get(date)
    if (day === undefined) {
      day = dayNumber(date)
      cache.set(date, day)
    }
    return day
  }
  return {
    asOfDay: dayNumber(options.asOf),
    unitDays: DAYS_PER_UNIT[options.unit],
    marginRate: options.marginRate,
    dayOf,
  }
}

function newStats(): MutableStats {
  return { rows: 0, rowsAfterAsOf: 0, duplicateRows: 0, ignoredRefunds: 0, customersWithoutPurchase: 0 }
}

function collect(stats: MutableStats, outcome: RowsOutcome): CustomerSummary | undefined {
  stats.rows += outcome.rows
  stats.rowsAfterAsOf += outcome.rowsAfterAsOf
  stats.duplicateRows += outcome.duplicateRows
  stats.ignoredRefunds += outcome.ignoredRefunds
  if (outcome.summary === undefined) stats.customersWithoutPurchase++
  return outcome.summary
}

function summariseRows(customerId: string, rows: Iterable<SummaryRow>, options: Resolved): RowsOutcome {
  const { asOfDay, unitDays, marginRate, dayOf } = options
  let seenIds: Set<string> | undefined
  const kept: KeptRow[] = []
  let count = 0
  let rowsAfterAsOf = 0
  let duplicateRows = 0
  let ordered = true
  for (const row of rows) {
    count++
    if (row.transactionId !== undefined) {
      seenIds ??= new Set()
      if (seenIds.has(row.transactionId)) {
        duplicateRows++
        continue
      }
      seenIds.add(row.transactionId)
    }
    const day = dayOf(row.date)
    if (day > asOfDay) {
      rowsAfterAsOf++
      continue
    }
    const item = { day, amount: row.amount, margin: row.margin ?? row.amount * marginRate, date: row.date }
    const previous = kept[kept.length - 1]
    if (previous !== undefined && compareRows(previous, item) > 0) ordered = false
    kept.push(item)
  }
  // Amount and margin order within a day make the floating-point sums independent of row order.
  if (!ordered) kept.sort(compareRows)

  const values: number[] = []
  let first: KeptRow | undefined
  let last: KeptRow | undefined
  let totalMargin = 0
  let ignoredRefunds = 0
  let dayValue = 0
  let dayMargin = 0
  let dayPurchase = false
  let dayRefunds = 0
  for (let i = 0; i < kept.length; i++) {
    const item = kept[i] as KeptRow
    dayValue += item.amount
    dayMargin += item.margin
    if (item.amount >= 0) dayPurchase = true
    else dayRefunds++
    if (kept[i + 1]?.day === item.day) continue
    // Last row of its day: the day is a purchase occasion, or its refunds go to the latest one.
    if (dayPurchase) {
      values.push(dayValue)
      first ??= item
      last = item
      totalMargin += dayMargin
    } else if (values.length > 0) {
      const latest = values.length - 1
      values[latest] = (values[latest] ?? 0) + dayValue
      totalMargin += dayMargin
    } else {
      ignoredRefunds += dayRefunds
    }
    dayValue = 0
    dayMargin = 0
    dayPurchase = false
    dayRefunds = 0
  }

  const outcome = { rows: count, rowsAfterAsOf, duplicateRows, ignoredRefunds }
  if (first === undefined || last === undefined) return { ...outcome, summary: undefined }

  let repeatSpend = 0
  for (let k = 1; k < values.length; k++) repeatSpend += values[k] ?? 0
  const totalSpend = (values[0] ?? 0) + repeatSpend
  const occasions = values.length
  const x = occasions - 1
  return {
    ...outcome,
    summary: {
      customerId,
      firstPurchase: first.date,
      lastPurchase: last.date,
      occasions,
      x,
      tx: (last.day - first.day) / unitDays,
      T: (asOfDay - first.day) / unitDays,
      zbar: x > 0 ? repeatSpend / x : 0,
      totalSpend,
      averageSpend: totalSpend / occasions,
      totalMargin,
      recencyDays: asOfDay - last.day,
      ignoredRefunds,
    },
  }
}

type KeptRow = {
  readonly day: number
  readonly amount: number
  readonly margin: number
  readonly date: string
}

function compareRows(p: KeptRow, q: KeptRow): number {
  return p.day - q.day || p.amount - q.amount || p.margin - q.margin
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MS_PER_DAY = 86_400_000

/** Days since 1970-01-01 of a YYYY-MM-DD date. */
function dayNumber(date: string): number {
  const match = DATE.exec(date)
  if (match === null) throw new RangeError(`not a YYYY-MM-DD date: ${date}`)
  const [, y, m, d] = match
  return Date.UTC(Number(y), Number(m) - 1, Number(d)) / MS_PER_DAY
}

/** Rows of many customers in columns, for `ColumnSummariser`. */
export type SummaryColumns = {
  /** Per row, an index into the `dayOf` table given with the columns. */
  readonly date: Int32Array
  readonly amount: Float64Array
  /** Per row, the row's own margin; NaN where it has none. Undefined when no row has one. */
  readonly margin: Float64Array | undefined
}

/** What `ColumnSummariser.summarise` finds for one customer: the fields of a CustomerSummary. */
export type ColumnSummary = {
  occasions: number
  x: number
  tx: number
  T: number
  zbar: number
  totalSpend: number
  averageSpend: number
  totalMargin: number
  recencyDays: number
  ignoredRefunds: number
  /** Rows (column indexes) whose dates are the first and the last purchase. */
  firstRow: number
  lastRow: number
}

/**
 * `summariseCustomer` for rows held in columns: the same rules and the same floating-point operations
 * in the same order, so the same figures to the last bit (a property test compares the two), without an
 * object per row. One instance summarises any number of customers, reusing its scratch arrays.
 * Transaction ids are not looked at: the caller keeps each id once (RowStore does, across customers).
 */
export class ColumnSummariser {
  readonly asOfDay: number
  private readonly unitDays: number
  private readonly marginRate: number
  private day = new Float64Array(64)
  private amount = new Float64Array(64)
  private margin = new Float64Array(64)
  private row = new Int32Array(64)
  private order = new Int32Array(64)
  /** The summary of the last customer `summarise` found an occasion for. */
  readonly result: ColumnSummary = {
    occasions: 0,
    x: 0,
    tx: 0,
    T: 0,
    zbar: 0,
    totalSpend: 0,
    averageSpend: 0,
    totalMargin: 0,
    recencyDays: 0,
    ignoredRefunds: 0,
    firstRow: 0,
    lastRow: 0,
  }

  constructor(options: SummaryOptions) {
    const resolved = resolve(options)
    this.asOfDay = resolved.asOfDay
    this.unitDays = resolved.unitDays
    this.marginRate = resolved.marginRate
  }

  /** The day number the rules give a YYYY-MM-DD date, for the `dayOf` table. */
  dayOf(date: string): number {
    return dayNumber(date)
  }

  /**
   * Summarises rows `from` to `to - 1` of the columns, where `dayOf[columns.date[k]]` is the day number of
   * row k. False when they hold no occasion by the as-of day (then `result` is left as it was).
   */
  summarise(columns: SummaryColumns, dayOf: ArrayLike<number>, from: number, to: number): boolean {
    if (to - from > this.row.length) this.grow(to - from)
    const { asOfDay, marginRate, day, amount, margin, row } = this
    const margins = columns.margin
    let n = 0
    let ordered = true
    for (let k = from; k < to; k++) {
      const d = dayOf[columns.date[k] as number] as number
      if (d > asOfDay) continue
      const a = columns.amount[k] as number
      const own = margins === undefined ? Number.NaN : (margins[k] as number)
      const m = Number.isNaN(own) ? a * marginRate : own
      day[n] = d
      amount[n] = a
      margin[n] = m
      row[n] = k
      if (n > 0 && ordered && this.compare(n - 1, n) > 0) ordered = false
      n++
    }
    const order = this.order
    for (let i = 0; i < n; i++) order[i] = i
    // Amount and margin order within a day make the floating-point sums independent of row order.
    if (!ordered) this.sort(n)

    let occasions = 0
    let firstValue = 0
    let latestValue = 0
    let repeatSpend = 0
    let firstRow = -1
    let lastRow = -1
    let firstDay = 0
    let lastDay = 0
    let totalMargin = 0
    let ignoredRefunds = 0
    let dayValue = 0
    let dayMargin = 0
    let dayPurchase = false
    let dayRefunds = 0
    for (let i = 0; i < n; i++) {
      const r = order[i] as number
      const d = day[r] as number
      const a = amount[r] as number
      dayValue += a
      dayMargin += margin[r] as number
      if (a >= 0) dayPurchase = true
      else dayRefunds++
      if (i + 1 < n && day[order[i + 1] as number] === d) continue
      // Last row of its day: the day is a purchase occasion, or its refunds go to the latest one.
      if (dayPurchase) {
        // The latest occasion's value is final once the next occasion starts.
        if (occasions === 1) firstValue = latestValue
        else if (occasions > 1) repeatSpend += latestValue
        latestValue = dayValue
        occasions++
        if (firstRow < 0) {
          firstRow = row[r] as number
          firstDay = d
        }
        lastRow = row[r] as number
        lastDay = d
        totalMargin += dayMargin
      } else if (occasions > 0) {
        latestValue += dayValue
        totalMargin += dayMargin
      } else {
        ignoredRefunds += dayRefunds
      }
      dayValue = 0
      dayMargin = 0
      dayPurchase = false
      dayRefunds = 0
    }
    if (occasions === 0) return false
    if (occasions === 1) firstValue = latestValue
    else repeatSpend += latestValue

    const { result, unitDays } = this
    const x = occasions - 1
    const totalSpend = firstValue + repeatSpend
    result.occasions = occasions
    result.x = x
    result.tx = (lastDay - firstDay) / unitDays
    result.T = (asOfDay - firstDay) / unitDays
    result.zbar = x > 0 ? repeatSpend / x : 0
    result.totalSpend = totalSpend
    result.averageSpend = totalSpend / occasions
    result.totalMargin = totalMargin
    result.recencyDays = asOfDay - lastDay
    result.ignoredRefunds = ignoredRefunds
    result.firstRow = firstRow
    result.lastRow = lastRow
    return true
  }

  /** compareRows on scratch rows i and j. */
  private compare(i: number, j: number): number {
    return (
      (this.day[i] as number) - (this.day[j] as number) ||
      (this.amount[i] as number) - (this.amount[j] as number) ||
      (this.margin[i] as number) - (this.margin[j] as number)
    )
  }

  /**
   * Stable sort of `order[0..n)` (the identity on entry) by compareRows. Rows come mostly in date
   * order, out of order only among rows of one day, so insertion sort, linear in the rows plus the
   * moves, serves; past a budget of moves (rows in no useful order) the rows are sorted by Array sort.
   * Both are stable, so the result is the same.
   */
  private sort(n: number): void {
    const order = this.order
    let budget = 8 * n + 32
    for (let i = 1; i < n; i++) {
      const item = order[i] as number
      let j = i - 1
      while (j >= 0 && this.compare(order[j] as number, item) > 0) {
        order[j + 1] = order[j] as number
        j--
        budget--
      }
      order[j + 1] = item
      if (budget < 0) {
        for (let k = 0; k < n; k++) order[k] = k
        const sorted = Array.from(order.subarray(0, n)).sort((a, b) => this.compare(a, b))
        order.set(sorted)
        return
      }
    }
  }

  private grow(rows: number): void {
    const size = Math.max(rows, this.row.length * 2)
    this.day = new Float64Array(size)
    this.amount = new Float64Array(size)
    this.margin = new Float64Array(size)
    this.row = new Int32Array(size)
    this.order = new Int32Array(size)
  }
}
