import type { StoredRow } from './row-store.ts'

export interface PeriodicSpend {
  /** Spend per calendar month of the lookback window, oldest first, refunds deducted. */
  readonly monthly: number[]
  /** The same window by calendar quarter (the oldest quarter may be partly outside the window). */
  readonly quarterly: number[]
  /** Margin over the lookback window: row margins where given, else amount x margin rate. */
  readonly contribution: number
}

/**
 * Spend per month and per quarter over the `lookbackMonths` calendar months that end with the
 * as-of month. Rows after the as-of day are ignored, as everywhere.
 */
export function periodicSpend(
  rows: readonly StoredRow[],
  asOf: string,
  lookbackMonths: number,
  marginRate: number,
): PeriodicSpend {
  const end = monthIndex(asOf)
  const start = end - lookbackMonths + 1
  const quarterStart = Math.floor(start / 3)
  const monthly = new Array<number>(lookbackMonths).fill(0)
  const quarterly = new Array<number>(Math.floor(end / 3) - quarterStart + 1).fill(0)
  let contribution = 0
  for (const row of rows) {
    if (row.date > asOf) continue
    const month = monthIndex(row.date)
    if (month < start) continue
    monthly[month - start] = (monthly[month - start] as number) + row.amount
    const q = Math.floor(month / 3) - quarterStart
    quarterly[q] = (quarterly[q] as number) + row.amount
    contribution += row.margin ?? row.amount * marginRate
  }
  return { monthly: monthly.map(cents), quarterly: quarterly.map(cents), contribution: cents(contribution) }
}

function monthIndex(date: string): number {
  return Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1
}

function cents(value: number): number {
  return Math.round(value * 100) / 100
}

/** Rows of many customers in columns, as `RowStore.grouped` holds them. */
export interface PeriodicColumns {
  /** Per row, an index into `dates`. */
  readonly date: Int32Array
  readonly amount: Float64Array
  /** Per row, the row's own margin; NaN where it has none. Undefined when no row has one. */
  readonly margin: Float64Array | undefined
  readonly dates: readonly string[]
}

/**
 * `periodicSpend` for rows held in columns: each distinct date is placed in the window once, then the
 * rows are summed in the same order with the same operations, so the figures are identical (a test
 * compares the two). One instance serves every customer of one as-of day and configuration.
 */
export class PeriodicWindow {
  readonly months: number
  readonly quarters: number
  private readonly asOf: string
  private readonly start: number
  private readonly quarterStart: number
  private readonly marginRate: number
  /** Per date index: month slot in the window, or -1 when the date is outside it; and quarter slot. */
  private monthSlot = new Int32Array(0)
  private quarterSlot = new Int32Array(0)
  private readonly monthly: Float64Array
  private readonly quarterly: Float64Array

  constructor(asOf: string, lookbackMonths: number, marginRate: number) {
    const end = monthIndex(asOf)
    this.asOf = asOf
    this.start = end - lookbackMonths + 1
    this.quarterStart = Math.floor(this.start / 3)
    this.months = lookbackMonths
    this.quarters = Math.floor(end / 3) - this.quarterStart + 1
    this.marginRate = marginRate
    this.monthly = new Float64Array(this.months)
    this.quarterly = new Float64Array(this.quarters)
  }

  /** The margin of rows `from` to `to - 1` over the window, as `periodicSpend(...).contribution`. */
  contribution(rows: PeriodicColumns, from: number, to: number): number {
    this.place(rows.dates)
    const { monthSlot, marginRate } = this
    const { date, amount, margin } = rows
    let contribution = 0
    for (let k = from; k < to; k++) {
      if ((monthSlot[date[k] as number] as number) < 0) continue
      const own = margin === undefined ? Number.NaN : (margin[k] as number)
      contribution += Number.isNaN(own) ? (amount[k] as number) * marginRate : own
    }
    return cents(contribution)
  }

  /** `periodicSpend` of rows `from` to `to - 1`; `contribution` is passed in when known. */
  spend(rows: PeriodicColumns, from: number, to: number, contribution?: number): PeriodicSpend {
    this.place(rows.dates)
    const { monthSlot, quarterSlot, monthly, quarterly } = this
    const { date, amount } = rows
    monthly.fill(0)
    quarterly.fill(0)
    for (let k = from; k < to; k++) {
      const d = date[k] as number
      const month = monthSlot[d] as number
      if (month < 0) continue
      const a = amount[k] as number
      monthly[month] = (monthly[month] as number) + a
      const q = quarterSlot[d] as number
      quarterly[q] = (quarterly[q] as number) + a
    }
    const monthlyCents: number[] = []
    for (let i = 0; i < monthly.length; i++) monthlyCents.push(cents(monthly[i] as number))
    const quarterlyCents: number[] = []
    for (let i = 0; i < quarterly.length; i++) quarterlyCents.push(cents(quarterly[i] as number))
    return {
      monthly: monthlyCents,
      quarterly: quarterlyCents,
      contribution: contribution ?? this.contribution(rows, from, to),
    }
  }

  /** Places the dates not placed yet (the list only grows). */
  private place(dates: readonly string[]): void {
    const placed = this.monthSlot.length
    if (placed >= dates.length) return
    const monthSlot = new Int32Array(dates.length)
    const quarterSlot = new Int32Array(dates.length)
    monthSlot.set(this.monthSlot)
    quarterSlot.set(this.quarterSlot)
    for (let d = placed; d < dates.length; d++) {
      const date = dates[d] as string
      const month = monthIndex(date)
      const inside = !(date > this.asOf) && month >= this.start
      monthSlot[d] = inside ? month - this.start : -1
      quarterSlot[d] = inside ? Math.floor(month / 3) - this.quarterStart : -1
    }
    this.monthSlot = monthSlot
    this.quarterSlot = quarterSlot
  }
}
