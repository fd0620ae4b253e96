import { ColumnSummariser, type CustomerSummary } from '../scoring/summary.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import { type PeriodicColumns, PeriodicWindow } from './periodic.ts'
import type { CustomerInput } from './population.ts'
import type { GroupedRows, RowStore } from './row-store.ts'

/**
 * Every customer to score, one row each, with the figures the population fit reads held in typed
 * columns: a million customers fit in about 100 MB instead of a million summary objects. `input(i)`
 * gives customer i as scoring reads it.
 */
export interface CustomerTable {
  readonly size: number
  /** True when no customer id appears twice (always, for a table built from a RowStore). */
  readonly uniqueIds: boolean
  readonly x: Float64Array
  readonly tx: Float64Array
  readonly T: Float64Array
  readonly zbar: Float64Array
  readonly occasions: Float64Array
  readonly averageSpend: Float64Array
  readonly recencyDays: Float64Array
  readonly contribution: Float64Array
  customerId(i: number): string
  input(i: number): CustomerInput
}

export function isCustomerTable(value: readonly CustomerInput[] | CustomerTable): value is CustomerTable {
  return !Array.isArray(value)
}

/** A table over customer inputs, which `input(i)` returns as they are. */
export function tableOfInputs(inputs: readonly CustomerInput[]): CustomerTable {
  const n = inputs.length
  const column = (read: (s: CustomerSummary) => number) => {
    const values = new Float64Array(n)
    for (let i = 0; i < n; i++) values[i] = read((inputs[i] as CustomerInput).summary)
    return values
  }
  const contribution = new Float64Array(n)
  for (let i = 0; i < n; i++) contribution[i] = (inputs[i] as CustomerInput).periodic.contribution
  const ids = new Set<string>()
  for (const input of inputs) ids.add(input.summary.customerId)
  return {
    size: n,
    uniqueIds: ids.size === n,
    x: column((s) => s.x),
    tx: column((s) => s.tx),
    T: column((s) => s.T),
    zbar: column((s) => s.zbar),
    occasions: column((s) => s.occasions),
    averageSpend: column((s) => s.averageSpend),
    recencyDays: column((s) => s.recencyDays),
    contribution,
    customerId: (i) => (inputs[i] as CustomerInput).summary.customerId,
    input: (i) => inputs[i] as CustomerInput,
  }
}

/**
 * Summaries and spend series of every customer of the store with a purchase on or before the as-of
 * day, in order of first appearance, in one pass over the rows grouped by customer. The spend series
 * are not kept: `input(i)` sums them again from the customer's rows, which the store holds anyway.
 * The table reads the store's rows as they are when it is built; adding rows later invalidates it.
 */
export function customerTable(store: RowStore, asOf: string, config: ScoringConfig): StoreCustomerTable {
  const rows = store.grouped()
  const columns = summaryColumns(rows.customers)
  const n = summariseCustomers(rowsData(rows), summaryOptions(asOf, config), 0, rows.customers, columns, 0)
  return tableOf(rows, columns, n, summaryOptions(asOf, config))
}

/** The store's grouped rows without the customer ids: shared memory, and the (few) dates. */
export function rowsData(rows: GroupedRows): CustomerTableData['rows'] {
  return { start: rows.start, date: rows.date, amount: rows.amount, margin: rows.margin, dates: rows.dates }
}

export type TableOptions = CustomerTableData['window'] & { readonly unit: ScoringConfig['timeUnit'] }

export function summaryOptions(asOf: string, config: ScoringConfig): TableOptions {
  return { asOf, unit: config.timeUnit, marginRate: config.marginRate, lookbackMonths: config.lookbackMonths }
}

/**
 * Summarises customers `from` to `to - 1` of the store (those with an occasion by the as-of day) into
 * table rows `at`, `at + 1`, ...; returns how many. Ranges of customers may run on different threads.
 */
export function summariseCustomers(
  rows: CustomerTableData['rows'],
  options: TableOptions,
  from: number,
  to: number,
  columns: SummaryColumns,
  at: number,
): number {
  const summariser = new ColumnSummariser({
    asOf: options.asOf,
    unit: options.unit,
    marginRate: options.marginRate,
  })
  const window = new PeriodicWindow(options.asOf, options.lookbackMonths, options.marginRate)
  const dayOf = Float64Array.from(rows.dates, (date) => summariser.dayOf(date))
  const { start } = rows
  let n = at
  for (let c = from; c < to; c++) {
    const first = start[c] as number
    const end = start[c + 1] as number
    if (!summariser.summarise(rows, dayOf, first, end)) continue
    const s = summariser.result
    columns.customer[n] = c
    columns.firstDate[n] = rows.date[s.firstRow] as number
    columns.lastDate[n] = rows.date[s.lastRow] as number
    columns.occasions[n] = s.occasions
    columns.x[n] = s.x
    columns.tx[n] = s.tx
    columns.T[n] = s.T
    columns.zbar[n] = s.zbar
    columns.totalSpend[n] = s.totalSpend
    columns.averageSpend[n] = s.averageSpend
    columns.totalMargin[n] = s.totalMargin
    columns.recencyDays[n] = s.recencyDays
    columns.ignoredRefunds[n] = s.ignoredRefunds
    columns.contribution[n] = window.contribution(rows, first, end)
    n++
  }
  return n - at
}

/** The table of the first `size` rows of `columns`. */
export function tableOf(
  rows: GroupedRows,
  columns: SummaryColumns,
  size: number,
  options: TableOptions,
): StoreCustomerTable {
  const { asOf, lookbackMonths, marginRate } = options
  // Customers without a purchase by the as-of day leave an unused tail: views, not copies (fresh memory
  // is dear, and the tail is small).
  const data: CustomerTableData = {
    columns: size < columns.customer.length ? trimmed(columns, size) : columns,
    rows: rowsData(rows),
    window: { asOf, lookbackMonths, marginRate },
  }
  return new StoreCustomerTable(data, rows.customerIds)
}

/** Moves table rows `from` to `from + count - 1` of every column to `to` on. */
export function moveRows(columns: SummaryColumns, from: number, count: number, to: number): void {
  for (const column of Object.values(columns) as (Int32Array | Float64Array)[]) {
    column.copyWithin(to, from, from + count)
  }
}

/** Summary figures in columns: row i of the table is customer `customer[i]` of the store. */
export interface SummaryColumns {
  readonly customer: Int32Array
  readonly firstDate: Int32Array
  readonly lastDate: Int32Array
  readonly occasions: Float64Array
  readonly x: Float64Array
  readonly tx: Float64Array
  readonly T: Float64Array
  readonly zbar: Float64Array
  readonly totalSpend: Float64Array
  readonly averageSpend: Float64Array
  readonly totalMargin: Float64Array
  readonly recencyDays: Float64Array
  readonly ignoredRefunds: Float64Array
  readonly contribution: Float64Array
}

/**
 * Everything a store's table holds except the customer ids, in typed arrays on SharedArrayBuffers, so
 * that worker threads read it without a copy (see parallel-score.ts).
 */
export interface CustomerTableData {
  readonly columns: SummaryColumns
  readonly rows: PeriodicColumns & { readonly start: Int32Array }
  readonly window: { readonly asOf: string; readonly lookbackMonths: number; readonly marginRate: number }
}

/** Columns of `size` rows on shared memory. */
export function summaryColumns(size: number): SummaryColumns {
  const int32 = () => new Int32Array(new SharedArrayBuffer(4 * size))
  const float64 = () => new Float64Array(new SharedArrayBuffer(8 * size))
  return {
    customer: int32(),
    firstDate: int32(),
    lastDate: int32(),
    occasions: float64(),
    x: float64(),
    tx: float64(),
    T: float64(),
    zbar: float64(),
    totalSpend: float64(),
    averageSpend: float64(),
    totalMargin: float64(),
    recencyDays: float64(),
    ignoredRefunds: float64(),
    contribution: float64(),
  }
}

/** The first `size` rows of each column. */
function trimmed(columns: SummaryColumns, size: number): SummaryColumns {
  return Object.fromEntries(
    Object.entries(columns).map(([name, column]: [string, Int32Array | Float64Array]) => [
      name,
      column.subarray(0, size),
    ]),
  ) as unknown as SummaryColumns
}

/** Reads customers out of a table's data: customer i as scoring reads it, given its id. */
export class CustomerReader {
  private readonly data: CustomerTableData
  private readonly window: PeriodicWindow

  constructor(data: CustomerTableData) {
    this.data = data
    this.window = new PeriodicWindow(data.window.asOf, data.window.lookbackMonths, data.window.marginRate)
  }

  input(i: number, customerId: string): CustomerInput {
    const { columns, rows } = this.data
    const c = columns.customer[i] as number
    const summary: CustomerSummary = {
      customerId,
      firstPurchase: rows.dates[columns.firstDate[i] as number] as string,
      lastPurchase: rows.dates[columns.lastDate[i] as number] as string,
      occasions: columns.occasions[i] as number,
      x: columns.x[i] as number,
      tx: columns.tx[i] as number,
      T: columns.T[i] as number,
      zbar: columns.zbar[i] as number,
      totalSpend: columns.totalSpend[i] as number,
      averageSpend: columns.averageSpend[i] as number,
      totalMargin: columns.totalMargin[i] as number,
      recencyDays: columns.recencyDays[i] as number,
      ignoredRefunds: columns.ignoredRefunds[i] as number,
    }
    const periodic = this.window.spend(
      rows,
      rows.start[c] as number,
      rows.start[c + 1] as number,
      columns.contribution[i] as number,
    )
    return { summary, periodic }
  }
}

export class StoreCustomerTable implements CustomerTable {
  readonly size: number
  readonly uniqueIds = true
  readonly x: Float64Array
  readonly tx: Float64Array
  readonly T: Float64Array
  readonly zbar: Float64Array
  readonly occasions: Float64Array
  readonly averageSpend: Float64Array
  readonly recencyDays: Float64Array
  readonly contribution: Float64Array
  readonly data: CustomerTableData
  private readonly customerIds: readonly string[]
  private readonly reader: CustomerReader

  constructor(data: CustomerTableData, customerIds: readonly string[]) {
    const { columns } = data
    this.data = data
    this.customerIds = customerIds
    this.reader = new CustomerReader(data)
    this.size = columns.customer.length
    this.x = columns.x
    this.tx = columns.tx
    this.T = columns.T
    this.zbar = columns.zbar
    this.occasions = columns.occasions
    this.averageSpend = columns.averageSpend
    this.recencyDays = columns.recencyDays
    this.contribution = columns.contribution
  }

  customerId(i: number): string {
    return this.customerIds[this.data.columns.customer[i] as number] as string
  }

  input(i: number): CustomerInput {
    return this.reader.input(i, this.customerId(i))
  }
}
