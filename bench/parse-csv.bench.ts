/**
 * Throughput of transaction-file parsing: the hand-written splitter behind parseTransactions against
 * csv-parse, both feeding the same column checker. Generates a CSV of short rows (like the 257 MB,
 * 10.8M-row benchmark file) under bench/tmp/ on first use.
 *
 *   node bench/parse-csv.bench.ts [megabytes=100] [runs=3]
 */

import { once } from 'node:events'
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { parse } from 'csv-parse'
import type { Transaction } from '../shared/domain/transaction.ts'
import { businessDayResolver } from '../shared/ingest/business-day.ts'
import { CsvRecordSplitter } from '../shared/ingest/csv-records.ts'
import { parseTransactions } from '../shared/ingest/parse-transactions.ts'
import { RowChecker, type RowRejection } from '../shared/ingest/transaction-fields.ts'
import { uploadText } from '../shared/ingest/upload-bytes.ts'

const megabytes = Number(process.argv[2] ?? 100)
const runs = Number(process.argv[3] ?? 3)
const file = new URL(`tmp/transactions-${megabytes}mb.csv`, import.meta.url)
const READ_CHUNK = 1 << 20

async function generate(target: URL, bytes: number): Promise<void> {
  mkdirSync(new URL('.', target), { recursive: true })
  const out = createWriteStream(target)
  let seed = 42
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  let written = 0
  let lines: string[] = ['customer_id,transaction_date,amount']
  while (written < bytes) {
    const customer = `C${String(Math.floor(random() * 200_000)).padStart(6, '0')}`
    const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 730) * 86_400_000)
      .toISOString()
      .slice(0, 10)
    const amount = (random() * 500 - 20).toFixed(2)
    const line = `${customer},${day},${amount}`
    lines.push(line)
    written += line.length + 1
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain')
      lines = []
    }
  }
  out.end(`${lines.join('\n')}\n`)
  await once(out, 'finish')
}

class CountingSink {
  rows = 0
  rejections = 0
  checksum = 0
  accept(row: Transaction, line: number): void {
    this.rows++
    this.checksum += row.amount + line
  }
  reject(_: RowRejection): void {
    this.rejections++
  }
}

const read = () => createReadStream(file, { highWaterMark: READ_CHUNK })

const candidates: Record<string, () => Promise<number>> = {
  'hand-written parseTransactions': async () => {
    let rows = 0
    for await (const batch of parseTransactions(read(), { fileName: 'bench.csv', timeZone: 'UTC' })) {
      rows += batch.rows.length
    }
    return rows
  },
  'csv-parse + same checker': async () => {
    const sink = new CountingSink()
    const checker = new RowChecker(businessDayResolver('UTC'), sink)
    const parser = read().pipe(
      parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
    )
    const columns = { customerId: 0, date: 1, amount: 2, transactionId: -1, margin: -1 }
    const starts = new Int32Array(3)
    const ends = new Int32Array(3)
    const records = parser as AsyncIterable<{ record: string[]; info: { lines: number } }>
    let header = true
    for await (const { record, info } of records) {
      if (header) {
        header = false
        continue
      }
      // The checker reads ranges of one string, as the hand-written splitter hands them over.
      let offset = 0
      record.forEach((field, i) => {
        starts[i] = offset
        offset += field.length
        ends[i] = offset
      })
      checker.checkRecord(info.lines, record.join(''), starts, ends, columns)
    }
    return sink.rows
  },
  'hand-written splitter only': async () => {
    let records = 0
    const splitter = new CsvRecordSplitter({ record: () => records++, malformed: () => records++ })
    for await (const text of uploadText(read())) splitter.push(text)
    splitter.end()
    return records - 1
  },
  'csv-parse only': async () => {
    let records = 0
    const parser = read().pipe(
      parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
    )
    for await (const _ of parser) records++
    return records - 1
  },
}

if (!existsSync(file)) await generate(file, megabytes * 1_000_000)
const size = statSync(file).size
console.log(`${(size / 1e6).toFixed(1)} MB, median of ${runs} runs (Node ${process.version})`)
for (const [name, run] of Object.entries(candidates)) {
  const speeds: number[] = []
  let rows = 0
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    rows = await run()
    speeds.push(size / 1e6 / ((performance.now() - started) / 1000))
  }
  speeds.sort((a, b) => a - b)
  const median = speeds[Math.floor(speeds.length / 2)] ?? 0
  console.log(`${name.padEnd(34)} ${median.toFixed(0).padStart(5)} MB/s  (${rows} rows)`)
}
