import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_GENERATOR_OPTIONS,
  formatCents,
  type GeneratorOptions,
  type GeneratorStats,
  generateTransactions,
  writeTransactionFile,
} from '../../scripts/generate.ts'
import type { Transaction } from '../../shared/domain/transaction.ts'
import { parseTransactions, type RowRejection } from '../../shared/ingest/parse-transactions.ts'
import { summariseGroupedTransactions, UngroupedRowsError } from '../../shared/scoring/summary.ts'

const CUSTOMERS = 2_000

function options(overrides: Partial<GeneratorOptions> = {}): GeneratorOptions {
  return { ...DEFAULT_GENERATOR_OPTIONS, customers: CUSTOMERS, seed: 7, ...overrides }
}

function generate(overrides: Partial<GeneratorOptions> = {}): { text: string; stats: GeneratorStats } {
  const chunks: string[] = []
  const generator = generateTransactions(options(overrides))
  for (let step = generator.next(); ; step = generator.next()) {
    if (step.done) return { text: chunks.join(''), stats: step.value }
    chunks.push(step.value)
  }
}

async function parse(
  input: AsyncIterable<Uint8Array>,
  fileName: string,
): Promise<{ rows: Transaction[]; rejections: RowRejection[] }> {
  const rows: Transaction[] = []
  const rejections: RowRejection[] = []
  for await (const batch of parseTransactions(input, { fileName, timeZone: 'UTC' })) {
    rows.push(...batch.rows)
    rejections.push(...batch.rejections)
  }
  return { rows, rejections }
}

async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  for (let offset = 0; offset < bytes.length; offset += 64 * 1024)
    yield bytes.subarray(offset, offset + 64 * 1024)
}

const sample = generate({ transactionIds: true, margin: true })
const sampleRows = sample.text.trimEnd().split('\n').slice(1)

describe('the transaction generator', () => {
  it('gives the same bytes for the same seed and other bytes for another seed', () => {
    const again = generate({ transactionIds: true, margin: true })
    expect(again.text).toBe(sample.text)
    expect(again.stats).toEqual(sample.stats)
    expect(generate({ seed: 8, transactionIds: true, margin: true }).text).not.toBe(sample.text)
  })

  it('only adds columns for the optional flags, leaving every other value alone', () => {
    const plain = generate().text.trimEnd().split('\n')
    expect(plain[0]).toBe('customer_id,transaction_date,amount')
    expect(sample.text.slice(0, sample.text.indexOf('\n'))).toBe(
      'customer_id,transaction_date,amount,transaction_id,margin',
    )
    expect(sampleRows.map((line) => line.split(',').slice(0, 3).join(','))).toEqual(plain.slice(1))
  })

  it('writes rows in date order with customers interleaved, not grouped', () => {
    const dates = sampleRows.map((line) => line.split(',')[1] ?? '')
    expect(dates).toEqual([...dates].sort())
    expect(dates[0]).toBe(sample.stats.firstDay)
    expect(dates.at(-1)).toBe(DEFAULT_GENERATOR_OPTIONS.end)
    // Customers with several rows whose rows are not contiguous.
    const rowsOf = new Map<string, number>()
    const lastIndex = new Map<string, number>()
    const spread = new Set<string>()
    sampleRows.forEach((line, index) => {
      const customer = line.slice(0, line.indexOf(','))
      const previous = lastIndex.get(customer)
      if (previous !== undefined && previous !== index - 1) spread.add(customer)
      lastIndex.set(customer, index)
      rowsOf.set(customer, (rowsOf.get(customer) ?? 0) + 1)
    })
    const repeaters = [...rowsOf.values()].filter((count) => count > 1).length
    expect(spread.size).toBeGreaterThan(0.9 * repeaters)
    expect(rowsOf.size).toBeGreaterThan(0.95 * CUSTOMERS)
  })

  it('has about 10.8 rows per customer, refunds and same-day repeats at about their configured shares', () => {
    const { stats } = sample
    expect(stats.rows).toBe(sampleRows.length)
    expect(stats.customers).toBe(CUSTOMERS)
    // The default parameters are tuned to 10.8 rows per customer; the heavy tail makes small samples vary.
    expect(stats.rows / CUSTOMERS).toBeGreaterThan(8)
    expect(stats.rows / CUSTOMERS).toBeLessThan(14)
    let refunds = 0
    let repeats = 0
    const purchaseDays = new Set<string>()
    const purchases = new Map<string, { date: string; cents: number }[]>()
    const refundRows: { customer: string; date: string; cents: number }[] = []
    for (const line of sampleRows) {
      const [customer = '', date = '', amount = '', id = '', margin = ''] = line.split(',')
      const cents = Math.round(Number(amount) * 100)
      expect(formatCents(cents)).toBe(amount)
      expect(id).toMatch(/^t\d+$/)
      const marginShare = Number(margin) / Number(amount)
      expect(marginShare).toBeGreaterThanOrEqual(0.19)
      expect(marginShare).toBeLessThanOrEqual(0.41)
      if (cents < 0) {
        refunds++
        refundRows.push({ customer, date, cents })
        continue
      }
      const key = `${customer} ${date}`
      if (purchaseDays.has(key)) repeats++
      purchaseDays.add(key)
      const list = purchases.get(customer)
      if (list === undefined) purchases.set(customer, [{ date, cents }])
      else list.push({ date, cents })
    }
    expect(refunds).toBe(stats.refunds)
    expect(repeats).toBe(stats.sameDayRepeats)
    // Shares of all rows: configured 2.2% refunds (a few fall after the window) and 5.5% repeats.
    expect(refunds / stats.rows).toBeGreaterThan(0.012)
    expect(refunds / stats.rows).toBeLessThan(0.03)
    expect(repeats / stats.rows).toBeGreaterThan(0.035)
    expect(repeats / stats.rows).toBeLessThan(0.07)
    // Each refund negates a purchase of the same customer dated on or before it.
    for (const { customer, date, cents } of refundRows) {
      const bought = purchases.get(customer) ?? []
      expect(bought.some((purchase) => purchase.date <= date && purchase.cents === -cents)).toBe(true)
    }
    expect(new Set(sampleRows.map((line) => line.split(',')[3])).size).toBe(sampleRows.length)
  })

  it('produces rows that all pass parseTransactions, which the grouped summary rightly refuses', async () => {
    const { rows, rejections } = await parse(bytesOf(sample.text), 'generated.csv')
    expect(rejections).toEqual([])
    expect(rows).toHaveLength(sample.stats.rows)
    expect(rows.filter((row) => row.amount < 0)).toHaveLength(sample.stats.refunds)
    const summaries = summariseGroupedTransactions(rows, {
      asOf: DEFAULT_GENERATOR_OPTIONS.end,
      unit: 'days',
      marginRate: 0.3,
    })
    expect(() => [...summaries]).toThrow(UngroupedRowsError)
  })

  describe('writing files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'generate-test-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('writes the same text, gzipped when the name ends in .gz, repeatably', async () => {
      const plainPath = join(dir, 'plain.csv')
      const gzipPath = join(dir, 'small.csv.gz')
      const small = { customers: 300 }
      const plain = await writeTransactionFile(options(small), plainPath)
      const gzipped = await writeTransactionFile(options(small), gzipPath)
      const text = generate(small).text
      expect(readFileSync(plainPath, 'utf8')).toBe(text)
      expect(plain.fileBytes).toBe(plain.bytes)
      expect(gunzipSync(readFileSync(gzipPath)).toString('utf8')).toBe(text)
      expect(gzipped.fileBytes).toBeLessThan(gzipped.bytes)
      const again = await writeTransactionFile(options(small), join(dir, 'again.csv.gz'))
      expect(readFileSync(join(dir, 'again.csv.gz'))).toEqual(readFileSync(gzipPath))
      expect(again.fileBytes).toBe(gzipped.fileBytes)
      const { rows, rejections } = await parse(createReadStream(gzipPath), 'small.csv.gz')
      expect(rejections).toEqual([])
      expect(rows).toHaveLength(plain.rows)
    })
  })
})
