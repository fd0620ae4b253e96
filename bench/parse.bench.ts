/**
 * Parse and validate a transaction file through parseTransactions, streamed from disk as an upload would
 * be. Prints one JSON line: file bytes, rows, rejections, seconds, MB/s (1 MB = 10^6 bytes of the file as
 * stored, so compressed bytes for .gz) and rows/s. Process start-up is outside `seconds`.
 *
 *   node bench/parse.bench.ts --input FILE
 */
import { createReadStream, statSync } from 'node:fs'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { parseTransactions } from '../shared/ingest/parse-transactions.ts'

const READ_CHUNK = 1 << 20

export function openInput(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: READ_CHUNK })
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { input: { type: 'string' } } })
  if (values.input === undefined) throw new Error('usage: node bench/parse.bench.ts --input FILE')
  const input = values.input
  const bytes = statSync(input).size
  const started = performance.now()
  let rows = 0
  let rejections = 0
  for await (const batch of parseTransactions(openInput(input), {
    fileName: basename(input),
    timeZone: 'UTC',
  })) {
    rows += batch.rows.length
    rejections += batch.rejections.length
  }
  const seconds = (performance.now() - started) / 1000
  console.log(
    JSON.stringify({
      bytes,
      rows,
      rejections,
      seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      rowsPerSecond: rows / seconds,
    }),
  )
}

if (import.meta.main) await main()
