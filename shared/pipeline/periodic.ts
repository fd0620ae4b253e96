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
