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
