/**
 * Seeded generator of realistic transaction files (the upload contract's CSV) for tests and benchmarks.
 *
 *   npm run generate -- --customers N [--seed S] [--out FILE(.csv|.csv.gz)] [--end YYYY-MM-DD] [--years Y]
 *                       [--transaction-ids] [--margin]
 *
 * The model (defaults in DEFAULT_GENERATOR_OPTIONS, time in days):
 * - Customers are acquired uniformly over the window; the acquisition is their first purchase.
 * - BG/NBD purchasing: each customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha) and,
 *   after each repeat purchase, drops out for good with probability p ~ Beta(a, b). At most one purchase
 *   occasion a day: a next purchase due on the same day moves to the next day, so same-day rows come
 *   only from `sameDayShare` (without this, the few customers with rates near one a day would add
 *   another 6% of same-day rows).
 * - Gamma-Gamma spend: each purchase is Gamma(p, nu) with nu ~ Gamma(q, v) per customer, in whole cents.
 * - A purchase row is followed by one more row of the same customer on the same day with probability
 *   `sameDayShare` (a second basket), and is refunded in full with probability `refundShare`: a row of
 *   the negative amount (and margin), dated on or after the purchase (delay exponential, mean
 *   `refundDelayDays`), left out when that falls after the window, as it would be in a real export.
 * - Optional columns: transaction_id (`t<row number>`, unique) and margin (20-40% of the amount, 30% on
 *   average; a refund's margin is minus its purchase's). Their values are drawn whether or not the column
 *   is written, so the flags add columns without changing any other value.
 *
 * Row order: like a transaction export, rows are in date order and, within a day, in random order, so a
 * customer's rows are spread over the file and never grouped. The generator walks the window day by day
 * with a bucket queue of each customer's next purchase day, so it holds O(customers) small state (five
 * numbers per customer, about 37 bytes, plus the pending refunds) and one day's rows, never the file:
 * 1M customers take about 40 MB of heap and typed arrays while 10.8M rows stream out (the process's RSS is
 * larger, mostly V8's young generation). The shuffle is honest within a day and the only order across
 * days is time, which is what any real export sorted by date has too. A full shuffle of the file would
 * need all rows or an external sort, and would not be more realistic.
 *
 * Deterministic: one mulberry32 stream drives every draw in a fixed order, so a seed and options always
 * give the same bytes (also gzipped, for a given zlib).
 */
import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createGzip } from 'node:zlib'
import { isDay } from '../shared/domain/dates.ts'
import type { BgNbdParams } from '../shared/scoring/bgnbd.ts'
import type { GammaGammaParams } from '../shared/scoring/gamma-gamma.ts'
import { mulberry32, sampleBeta, sampleExponential, sampleGamma } from '../shared/scoring/simulate.ts'

export type GeneratorOptions = {
  readonly customers: number
  readonly seed: number
  /** Last day of the window, YYYY-MM-DD. */
  readonly end: string
  /** Window length in years of 365.25 days, rounded to whole days. */
  readonly years: number
  /** Purchase timing, rates per day. */
  readonly bgnbd: BgNbdParams
  /** Spend per purchase, in currency units. */
  readonly gammaGamma: GammaGammaParams
  /** Probability that a purchase row is followed by another row of the customer on the same day. */
  readonly sameDayShare: number
  /** Probability that a purchase row is refunded later. */
  readonly refundShare: number
  /** Mean days from a purchase to its refund (exponential, rounded down; 0 = same day). */
  readonly refundDelayDays: number
  readonly transactionIds: boolean
  readonly margin: boolean
}

export type GeneratorStats = {
  readonly customers: number
  readonly rows: number
  /** BG/NBD purchase events (each customer's first purchase included). */
  readonly purchases: number
  /** Extra rows of a customer on a day on which it already bought. */
  readonly sameDayRepeats: number
  readonly refunds: number
  /** Uncompressed bytes of the CSV text. */
  readonly bytes: number
  readonly firstDay: string
  readonly lastDay: string
}

export type GeneratorProgress = { readonly day: number; readonly days: number; readonly rows: number }

/**
 * CDNOW's heterogeneity shapes (r, a; Fader, Hardie & Lee 2005) with the scale in days and less dropout
 * (b = 10 instead of 2.4): tuned so that 1,000,000 customers over 3 years give about 10.8 million rows.
 * Spend is CDNOW's Gamma-Gamma fit (mean purchase about 35).
 */
export const DEFAULT_GENERATOR_OPTIONS: Omit<GeneratorOptions, 'customers'> = {
  seed: 1,
  end: '2025-12-31',
  years: 3,
  bgnbd: { r: 0.243, alpha: 4.7, a: 0.793, b: 10 },
  gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
  sameDayShare: 0.055,
  refundShare: 0.022,
  refundDelayDays: 14,
  transactionIds: false,
  margin: false,
}

const MS_PER_DAY = 86_400_000

/** Window length in days. */
export function windowDays(years: number): number {
  return Math.max(1, Math.round(years * 365.25))
}

/** The CSV text, in chunks (the header, then one chunk per day with rows); returns the statistics. */
export function* generateTransactions(
  options: GeneratorOptions,
  onProgress?: (progress: GeneratorProgress) => void,
): Generator<string, GeneratorStats, undefined> {
  const { customers, bgnbd, gammaGamma, sameDayShare, refundShare, refundDelayDays } = options
  if (!Number.isSafeInteger(customers) || customers < 1) {
    throw new RangeError(`customers must be a positive integer, not ${customers}`)
  }
  const endMs = Date.parse(`${options.end}T00:00:00Z`)
  if (!isDay(options.end)) {
    throw new RangeError(`end must be a YYYY-MM-DD date, not ${options.end}`)
  }
  if (!(options.years > 0)) throw new RangeError(`years must be positive, not ${options.years}`)
  const days = windowDays(options.years)
  const startMs = endMs - (days - 1) * MS_PER_DAY
  const dates = Array.from({ length: days }, (_, d) =>
    new Date(startMs + d * MS_PER_DAY).toISOString().slice(0, 10),
  )
  const idWidth = Math.max(7, String(customers).length)
  const customerId = (c: number): string => `C${String(c + 1).padStart(idWidth, '0')}`

  const random = mulberry32(options.seed)
  // Per customer: time of the next purchase (days from the window start), rate, dropout, spend scale.
  const time = new Float64Array(customers)
  const rate = new Float64Array(customers)
  const dropout = new Float64Array(customers)
  const spendRate = new Float64Array(customers)
  const acquired = new Uint8Array(customers)
  // Customers whose next purchase falls on day d form a linked list from first[d] through next[c]: each
  // customer is in one list at most, so the queue costs one integer per customer and one per day.
  const first = new Int32Array(days).fill(-1)
  const next = new Int32Array(customers).fill(-1)
  const schedule = (c: number, t: number): void => {
    if (!(t < days)) return
    const d = Math.floor(t)
    next[c] = first[d] ?? -1
    first[d] = c
  }
  for (let c = 0; c < customers; c++) {
    time[c] = random() * days
    rate[c] = sampleGamma(random, bgnbd.r, bgnbd.alpha)
    dropout[c] = sampleBeta(random, bgnbd.a, bgnbd.b)
    spendRate[c] = sampleGamma(random, gammaGamma.q, gammaGamma.v)
    schedule(c, time[c] ?? 0)
  }
  // Refunds due on day d: (customer, cents, margin) triples.
  const refundsOn: (number[] | undefined)[] = new Array(days)

  const header = ['customer_id', 'transaction_date', 'amount']
  if (options.transactionIds) header.push('transaction_id')
  if (options.margin) header.push('margin')
  const headerLine = `${header.join(',')}\n`
  yield headerLine

  let rows = 0
  let purchases = 0
  let sameDayRepeats = 0
  let refunds = 0
  let bytes = headerLine.length
  const day = new DayRows()
  const purchaseRow = (c: number, d: number): void => {
    const cents = Math.max(1, Math.round(100 * sampleGamma(random, gammaGamma.p, spendRate[c] ?? 1)))
    const margin = Math.round(cents * (0.2 + 0.2 * random()))
    day.add(c, cents, margin)
    if (random() < refundShare) {
      const refundDay = d + Math.floor(sampleExponential(random, 1 / refundDelayDays))
      if (refundDay < days) {
        const pending = refundsOn[refundDay]
        if (pending === undefined) refundsOn[refundDay] = [c, -cents, -margin]
        else pending.push(c, -cents, -margin)
      }
    }
  }

  for (let d = 0; d < days; d++) {
    day.clear()
    const pending = refundsOn[d]
    refundsOn[d] = undefined
    if (pending !== undefined) {
      for (let k = 0; k < pending.length; k += 3)
        day.add(pending[k] ?? 0, pending[k + 1] ?? 0, pending[k + 2] ?? 0)
      refunds += pending.length / 3
    }
    for (let c = first[d] ?? -1; c >= 0; ) {
      const following = next[c] ?? -1
      purchases++
      purchaseRow(c, d)
      if (random() < sameDayShare) {
        sameDayRepeats++
        purchaseRow(c, d)
      }
      if (acquired[c] === 0 || random() >= (dropout[c] ?? 0)) {
        acquired[c] = 1
        // One purchase occasion a day at most: a next purchase due the same day moves to the next day.
        const t = Math.max((time[c] ?? 0) + sampleExponential(random, rate[c] ?? 0), d + 1)
        time[c] = t
        schedule(c, t)
      }
      c = following
    }
    const count = day.count
    if (count === 0) continue
    day.shuffle(random)
    const date = dates[d] ?? ''
    const lines = new Array<string>(count)
    for (let k = 0; k < count; k++) {
      let line = `${customerId(day.customer[k] ?? 0)},${date},${formatCents(day.cents[k] ?? 0)}`
      if (options.transactionIds) line += `,t${rows + k + 1}`
      if (options.margin) line += `,${formatCents(day.margin[k] ?? 0)}`
      lines[k] = line
    }
    rows += count
    const text = `${lines.join('\n')}\n`
    bytes += text.length
    yield text
    onProgress?.({ day: d + 1, days, rows })
  }
  return {
    customers,
    rows,
    purchases,
    sameDayRepeats,
    refunds,
    bytes,
    firstDay: dates[0] ?? options.end,
    lastDay: options.end,
  }
}

/** Writes the file (gzipped when the name ends in .gz) via a temporary name, so it appears only when complete. */
export async function writeTransactionFile(
  options: GeneratorOptions,
  path: string,
  onProgress?: (progress: GeneratorProgress) => void,
): Promise<GeneratorStats & { readonly fileBytes: number }> {
  mkdirSync(dirname(path), { recursive: true })
  const partial = `${path}.partial`
  let stats: GeneratorStats | undefined
  function* text(): Generator<string, void, undefined> {
    stats = yield* generateTransactions(options, onProgress)
  }
  const source = Readable.from(text(), { objectMode: false })
  const file = createWriteStream(partial)
  if (path.endsWith('.gz')) await pipeline(source, createGzip(), file)
  else await pipeline(source, file)
  renameSync(partial, path)
  if (stats === undefined) throw new Error('the generator did not finish')
  return { ...stats, fileBytes: statSync(path).size }
}

/** One day's rows, in growable typed arrays reused from day to day. */
class DayRows {
  count = 0
  customer = new Float64Array(1024)
  cents = new Float64Array(1024)
  margin = new Float64Array(1024)

  clear(): void {
    this.count = 0
  }

  add(customer: number, cents: number, margin: number): void {
    if (this.count === this.customer.length) {
      this.customer = grow(this.customer)
      this.cents = grow(this.cents)
      this.margin = grow(this.margin)
    }
    this.customer[this.count] = customer
    this.cents[this.count] = cents
    this.margin[this.count] = margin
    this.count++
  }

  /** Fisher-Yates over the three columns at once. */
  shuffle(random: () => number): void {
    for (let i = this.count - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      swap(this.customer, i, j)
      swap(this.cents, i, j)
      swap(this.margin, i, j)
    }
  }
}

function grow(values: Float64Array): Float64Array<ArrayBuffer> {
  const larger = new Float64Array(values.length * 2)
  larger.set(values)
  return larger
}

function swap(values: Float64Array, i: number, j: number): void {
  const value = values[i] ?? 0
  values[i] = values[j] ?? 0
  values[j] = value
}

/** Integer cents as a decimal with two places: 1234 -> 12.34, -5 -> -0.05. */
export function formatCents(cents: number): string {
  const abs = Math.abs(cents)
  const whole = Math.floor(abs / 100)
  const fraction = abs - whole * 100
  return `${cents < 0 ? '-' : ''}${whole}.${fraction < 10 ? '0' : ''}${fraction}`
}

const USAGE =
  'usage: npm run generate -- --customers N [--seed S] [--out FILE(.csv|.csv.gz)] [--end YYYY-MM-DD] ' +
  '[--years Y] [--transaction-ids] [--margin]'

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}

function numberOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const value = Number(raw.replaceAll('_', ''))
  if (raw.trim() === '' || !Number.isFinite(value)) fail(`--${name} must be a number, not '${raw}'`)
  return value
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        customers: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        end: { type: 'string' },
        years: { type: 'string' },
        'transaction-ids': { type: 'boolean', default: false },
        margin: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
}

async function main(): Promise<void> {
  const values = parseOptions()
  if (values.help) {
    console.error(USAGE)
    return
  }
  if (values.customers === undefined) fail('--customers is required')
  const defaults = DEFAULT_GENERATOR_OPTIONS
  const customers = numberOption('customers', values.customers, 0)
  if (!Number.isSafeInteger(customers) || customers < 1) fail('--customers must be a positive integer')
  const seed = numberOption('seed', values.seed, defaults.seed)
  if (!Number.isSafeInteger(seed)) fail('--seed must be an integer')
  const years = numberOption('years', values.years, defaults.years)
  if (!(years > 0)) fail('--years must be positive')
  const end = values.end ?? defaults.end
  if (!isDay(end)) fail('--end must be a YYYY-MM-DD date')
  const root = fileURLToPath(new URL('..', import.meta.url))
  const out = resolve(values.out ?? resolve(root, `bench/tmp/transactions-${customers}.csv`))
  if (!/\.csv(\.gz)?$/.test(out)) fail('--out must end in .csv or .csv.gz')

  const options: GeneratorOptions = {
    ...defaults,
    customers,
    seed,
    years,
    end,
    transactionIds: values['transaction-ids'] ?? false,
    margin: values.margin ?? false,
  }
  const started = performance.now()
  let reported = 0
  const progress =
    customers >= 100_000
      ? ({ day, days, rows }: GeneratorProgress) => {
          const share = Math.floor((day / days) * 10)
          if (share <= reported) return
          reported = share
          const seconds = ((performance.now() - started) / 1000).toFixed(1)
          console.error(`  ${share * 10}%: ${rows.toLocaleString('en')} rows, ${seconds} s`)
        }
      : undefined
  const stats = await writeTransactionFile(options, out, progress)
  const seconds = (performance.now() - started) / 1000
  const name = relative(process.cwd(), out) || out
  console.error(
    `${name}: ${stats.customers.toLocaleString('en')} customers, ${stats.rows.toLocaleString('en')} rows ` +
      `(${stats.refunds.toLocaleString('en')} refunds, ${stats.sameDayRepeats.toLocaleString('en')} same-day ` +
      `repeats), ${stats.firstDay}..${stats.lastDay}, ${(stats.bytes / 1e6).toFixed(1)} MB` +
      (stats.fileBytes === stats.bytes ? '' : ` (${(stats.fileBytes / 1e6).toFixed(1)} MB gzipped)`) +
      `, ${seconds.toFixed(1)} s`,
  )
}

if (import.meta.main) await main()
