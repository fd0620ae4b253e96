/**
 * The export worker's pipeline on a large run: writes a run's score files for N customers (16 gzipped
 * JSON-lines shards, as the nightly run writes them), then times writeExport over them, with a filter
 * that every record passes, so the export holds all N rows. Reads stream from files and the export
 * streams to a file, so S3 is left out and the time is the worker's own (parse, validate, filter,
 * format, optionally gzip). The process's resident memory is sampled during the export; the harness
 * adds the peak from outside. Prints one JSON line.
 *
 *   node bench/export.bench.ts [--customers 1000000] [--format csv|jsonl] [--gzip]
 */
import { once } from 'node:events'
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { createGzip } from 'node:zlib'
import type { ScoreRecord } from '../shared/domain/score-record.ts'
import { ExportRequestSchema } from '../shared/exports/request.ts'
import { type ExportIo, writeExport } from '../shared/exports/write-export.ts'
import { runKeys } from '../shared/nightly/steps.ts'
import { benchRecord } from './support/score-record.ts'

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    format: { type: 'string', default: 'csv' },
    gzip: { type: 'boolean', default: false },
  },
})
const customers = Number(values.customers)
const SHARDS = 16
const RUN = '2025-12-31'
const root = mkdtempSync(join(tmpdir(), 'export-bench-'))
const path = (key: string) => join(root, key)

const TIERS = ['key', 'general', 'secondary'] as const
const SEGMENTS = ['Champions', 'Loyal', 'At Risk', 'Hibernating', 'Lost'] as const
/** Records that differ in the fields the filter and the CSV cells look at. */
const record = (i: number): ScoreRecord => ({
  ...benchRecord(i),
  asOf: RUN,
  runId: RUN,
  recency: 31 + (i % 400),
  churnRisk: 1 - (i % 1000) / 1000,
  netValue: (i % 5000) / 10 - 50,
  rfmSegment: SEGMENTS[i % SEGMENTS.length] ?? 'Lost',
  tier: TIERS[i % TIERS.length] ?? 'general',
})

// Set-up, streamed too: one gzip stream per shard, records written in batches.
const setupStarted = performance.now()
let scoreBytes = 0
for (let shard = 0; shard < SHARDS; shard++) {
  const key = runKeys.scores(RUN, shard)
  mkdirSync(dirname(path(key)), { recursive: true })
  const gzip = createGzip()
  const done = pipeline(gzip, createWriteStream(path(key)))
  let batch = ''
  for (let i = shard; i < customers; i += SHARDS) {
    batch += `${JSON.stringify(record(i))}\n`
    if (batch.length > 1 << 20) {
      if (!gzip.write(batch)) await once(gzip, 'drain')
      batch = ''
    }
  }
  gzip.end(batch)
  await done
  scoreBytes += statSync(path(key)).size
}
const setupSeconds = (performance.now() - setupStarted) / 1000

const io: ExportIo = {
  async read(key) {
    try {
      statSync(path(key))
    } catch {
      return undefined
    }
    return createReadStream(path(key), { highWaterMark: 1 << 20 })
  },
  async upload(target, body: Readable) {
    mkdirSync(dirname(path(target.key)), { recursive: true })
    await pipeline(body, createWriteStream(path(target.key)))
  },
}

const request = ExportRequestSchema.parse({
  filter: { tier: [...TIERS] },
  format: values.format,
  gzip: values.gzip,
})
const key = `exports/bench.${request.format}${request.gzip ? '.gz' : ''}`
global.gc?.()
const rssBefore = process.memoryUsage().rss
let exportPeakRss = rssBefore
const sampler = setInterval(() => {
  exportPeakRss = Math.max(exportPeakRss, process.memoryUsage().rss)
}, 50)
const started = performance.now()
const { rows } = await writeExport(io, { runId: RUN, shardCount: SHARDS, request, key })
const exportSeconds = (performance.now() - started) / 1000
clearInterval(sampler)
exportPeakRss = Math.max(exportPeakRss, process.memoryUsage().rss)
const exportBytes = statSync(path(key)).size
rmSync(root, { recursive: true, force: true })
if (rows !== customers) throw new Error(`exported ${rows} rows, expected ${customers}`)

const MiB = 1024 * 1024
console.log(
  JSON.stringify({
    exportSeconds,
    rowsPerSecond: rows / exportSeconds,
    rows,
    exportMB: exportBytes / 1e6,
    scoreFilesMB: scoreBytes / 1e6,
    rssBeforeExportMiB: rssBefore / MiB,
    exportPeakRssMiB: exportPeakRss / MiB,
    setupSeconds,
    format: request.format,
    gzip: request.gzip,
  }),
)
