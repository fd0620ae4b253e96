/**
 * The nightly run over a generated population, in process, on a folder standing in for S3 and with
 * the DynamoDB writes counted instead of made (their rate is measured by dynamo-writes.bench.ts).
 * Prints one JSON line: seconds per phase, wall and CPU (user + system time of the process: on a
 * busy machine the wall time includes waiting for a core, the CPU time does not), customers, writes.
 *
 *   node bench/nightly.bench.ts --input bench/tmp/transactions-1000000.csv --as-of 2025-12-31 [--shards 16]
 */
import { execFileSync } from 'node:child_process'
import { createReadStream, readdirSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { runNightly } from '../infra/local/nightly-runner.ts'
import { shardOf } from '../shared/domain/shard.ts'
import type { Transaction } from '../shared/domain/transaction.ts'
import { parseTransactions } from '../shared/ingest/parse-transactions.ts'
import { nightlySteps } from '../shared/nightly/steps.ts'
import type { PopulationModel } from '../shared/pipeline/population.ts'
import { DEFAULT_SCORING_CONFIG } from '../shared/scoring-config.ts'
import { curatedTransactions } from '../shared/storage/curated-transactions.ts'
import type { RunRecord, RunStore } from '../shared/storage/dynamo-run-store.ts'
import { fsObjectStore } from './support/fs-object-store.ts'

const { values } = parseArgs({
  options: {
    input: { type: 'string' },
    'as-of': { type: 'string' },
    shards: { type: 'string', default: '16' },
  },
})
if (!values.input || !values['as-of']) throw new Error('--input and --as-of are required')
const asOf = values['as-of']
const shardCount = Number(values.shards)
const root = join('bench/tmp', `nightly-store-${basename(values.input)}`)
rmSync(root, { recursive: true, force: true })
const objects = fsObjectStore(root)

// Setup, timed apart from the run: the curated store as ingest leaves it, one object per shard for
// every million rows (as several uploads would), so that setup holds at most a million rows and its
// peak memory stays below the run's (setupPeakRssMiB shows it).
const started = performance.now()
const FLUSH_ROWS = 1_000_000
const curated = curatedTransactions(objects)
let shards: Transaction[][] = Array.from({ length: shardCount }, () => [])
let buffered = 0
let part = 0
const flush = async () => {
  const label = `bench-${String(part++).padStart(3, '0')}`
  for (let shard = 0; shard < shardCount; shard++) {
    const rows = shards[shard] ?? []
    if (rows.length > 0) await curated.write(shard, label, rows)
  }
  shards = Array.from({ length: shardCount }, () => [])
  buffered = 0
}
for await (const batch of parseTransactions(createReadStream(values.input, { highWaterMark: 1 << 20 }), {
  fileName: basename(values.input),
  timeZone: 'UTC',
})) {
  for (const row of batch.rows) shards[shardOf(row.customerId, shardCount)]?.push(row)
  buffered += batch.rows.length
  if (buffered >= FLUSH_ROWS) await flush()
}
await flush()
const setupPeakRssMiB = process.resourceUsage().maxRSS / 1024
const setupSeconds = (performance.now() - started) / 1000

const runs = new Map<string, RunRecord & { model?: PopulationModel }>()
let current: string | undefined
const runStore: RunStore = {
  currentRunId: async () => current,
  currentModel: async () => (current ? runs.get(current)?.model : undefined),
  getRun: async (runId) => runs.get(runId),
  getModel: async (runId) => runs.get(runId)?.model,
  start: async (run) => {
    runs.set(run.runId, { ...run, status: 'running' })
    return { started: true }
  },
  heartbeat: async () => undefined,
  saveModel: async (runId, model) => void runs.set(runId, { ...(runs.get(runId) as RunRecord), model }),
  update: async (runId, fields) => void runs.set(runId, { ...(runs.get(runId) as RunRecord), ...fields }),
  switchCurrent: async (runId) => {
    current = runId
  },
  publish: async () => undefined,
}
let written = 0
const steps = nightlySteps({
  objects,
  scores: {
    putLatest: async (records) => {
      written += records.length
    },
    getLatest: async () => undefined,
  },
  history: { append: async () => undefined, list: async () => [] },
  runs: runStore,
  loadConfig: async () => DEFAULT_SCORING_CONFIG,
  shardCount,
  timeZone: 'UTC',
  now: () => new Date(),
  logger: { info: () => undefined, warn: () => undefined, error: console.error },
})
const phases: Record<string, number> = {}
const phaseCpu: Record<string, number> = {}
/** The process's peak RSS so far at the end of each phase (MiB): the phase where it jumps set it. */
const phasePeak: Record<string, number> = {}
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
let phaseStart = performance.now()
let phaseCpuStart = cpuSeconds()
const runCpuStart = phaseCpuStart
let phase = 'Plan'
const runStart = performance.now()
await runNightly(
  async (event) => {
    const state = {
      plan: 'Plan',
      summarise: 'Summarise',
      fit: 'Fit',
      score: 'Score',
      prospects: 'ScoreProspects',
      finalise: 'Finalise',
      fail: 'Fail',
    }[event.step]
    if (state !== phase) {
      phases[phase] = (performance.now() - phaseStart) / 1000
      phaseCpu[phase] = cpuSeconds() - phaseCpuStart
      phasePeak[phase] = peakRssMiB()
      phase = state
      phaseStart = performance.now()
      phaseCpuStart = cpuSeconds()
    }
    return steps.run(event)
  },
  { asOf },
  { concurrency: 2 },
)
phases[phase] = (performance.now() - phaseStart) / 1000
phaseCpu[phase] = cpuSeconds() - phaseCpuStart
phasePeak[phase] = peakRssMiB()
const runCpuSeconds = cpuSeconds() - runCpuStart
const runSeconds = (performance.now() - runStart) / 1000
const report = runs.get(asOf)
// The Fit step again, alone in a process of its own as its Lambda function runs it: its memory is
// not hidden under the setup's and the Summarise map's peak.
const fitAlone = JSON.parse(
  execFileSync(
    process.execPath,
    ['bench/support/fit-step.ts', '--root', root, '--run', asOf, '--shards', String(shardCount)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
    .trim()
    .split('\n')
    .at(-1) as string,
) as Record<string, number>
const folderBytes = (folder: string) =>
  readdirSync(join(root, 'runs', asOf, folder)).reduce(
    (sum, name) => sum + statSync(join(root, 'runs', asOf, folder, name)).size,
    0,
  )
const perCustomer = (bytes: number) => Math.round((bytes / (report?.customers ?? 1)) * 10) / 10
console.log(
  JSON.stringify({
    customers: report?.customers,
    shards: shardCount,
    setupSeconds: Math.round(setupSeconds * 100) / 100,
    setupPeakRssMiB: Math.round(setupPeakRssMiB),
    runSeconds: Math.round(runSeconds * 100) / 100,
    ...Object.fromEntries(
      Object.entries(phases).map(([k, v]) => [`${k.toLowerCase()}Seconds`, Math.round(v * 100) / 100]),
    ),
    runCpuSeconds: Math.round(runCpuSeconds * 100) / 100,
    ...Object.fromEntries(
      Object.entries(phaseCpu).map(([k, v]) => [`${k.toLowerCase()}CpuSeconds`, Math.round(v * 100) / 100]),
    ),
    ...Object.fromEntries(
      Object.entries(phasePeak).map(([k, v]) => [`${k.toLowerCase()}PeakRssMiB`, Math.round(v)]),
    ),
    itemWrites: written,
    fitAloneSeconds: fitAlone.seconds,
    fitAloneCpuSeconds: fitAlone.cpuSeconds,
    fitAloneBaseRssMiB: fitAlone.baseRssMiB,
    fitAlonePeakRssMiB: fitAlone.peakRssMiB,
    fitInputBytesPerCustomer: perCustomer(folderBytes('fit-input')),
    summaryBytesPerCustomer: perCustomer(folderBytes('summaries')),
  }),
)
