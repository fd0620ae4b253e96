/**
 * Parse a transaction file, then summarise every customer (summariseTransactions). The file is in date
 * order, not grouped by customer, so the streaming summariseGroupedTransactions does not apply: all rows
 * are held until the summary, as the scoring step has to. Prints one JSON line: rows, customers, the
 * seconds of each step, rows/s of the summary step alone and of parse + summary, and the heap in use after
 * the summary.
 *
 *   node bench/summarise.bench.ts --input FILE --as-of YYYY-MM-DD [--unit days|weeks]
 */
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import type { Transaction } from '../shared/domain/transaction.ts'
import { parseTransactions } from '../shared/ingest/parse-transactions.ts'
import { type SummaryResult, summariseTransactions, type TimeUnit } from '../shared/scoring/summary.ts'
import { openInput } from './parse.bench.ts'

/** Margin share of amount for rows without a margin, as the scoring default. */
const MARGIN_RATE = 0.3

export type LoadedSummary = {
  readonly rows: number
  readonly rejections: number
  readonly parseSeconds: number
  readonly summariseSeconds: number
  readonly summary: SummaryResult
}

export async function loadAndSummarise(input: string, asOf: string, unit: TimeUnit): Promise<LoadedSummary> {
  const started = performance.now()
  const rows: Transaction[] = []
  let rejections = 0
  for await (const batch of parseTransactions(openInput(input), {
    fileName: basename(input),
    timeZone: 'UTC',
  })) {
    for (const row of batch.rows) rows.push(row)
    rejections += batch.rejections.length
  }
  const parsed = performance.now()
  const summary = summariseTransactions(rows, { asOf, unit, marginRate: MARGIN_RATE })
  const summarised = performance.now()
  return {
    rows: rows.length,
    rejections,
    parseSeconds: (parsed - started) / 1000,
    summariseSeconds: (summarised - parsed) / 1000,
    summary,
  }
}

export function benchOptions(script: string) {
  const { values } = parseArgs({
    options: {
      input: { type: 'string' },
      'as-of': { type: 'string' },
      unit: { type: 'string', default: 'days' },
    },
  })
  const { input, 'as-of': asOf, unit } = values
  if (input === undefined || asOf === undefined || (unit !== 'days' && unit !== 'weeks')) {
    throw new Error(`usage: node ${script} --input FILE --as-of YYYY-MM-DD [--unit days|weeks]`)
  }
  return { input, asOf, unit: unit as TimeUnit }
}

async function main(): Promise<void> {
  const { input, asOf, unit } = benchOptions('bench/summarise.bench.ts')
  const loaded = await loadAndSummarise(input, asOf, unit)
  const { rows, parseSeconds, summariseSeconds, summary } = loaded
  const seconds = parseSeconds + summariseSeconds
  console.log(
    JSON.stringify({
      rows,
      rejections: loaded.rejections,
      customers: summary.customers.length,
      parseSeconds,
      summariseSeconds,
      seconds,
      summariseRowsPerSecond: rows / summariseSeconds,
      rowsPerSecond: rows / seconds,
      heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
    }),
  )
}

if (import.meta.main) await main()
