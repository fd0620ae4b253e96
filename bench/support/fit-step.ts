/**
 * The nightly Fit step alone, in a process of its own as its Lambda function runs it, on the store a
 * nightly benchmark run left: its wall and CPU time and the process's peak RSS (the kernel's count,
 * getrusage), next to the RSS before the step (node and the code loaded). Prints one JSON line.
 *
 *   node bench/support/fit-step.ts --root bench/tmp/nightly-store-X --run 2025-12-31 --shards 16
 */
import { parseArgs } from 'node:util'
import { nightlySteps } from '../../shared/nightly/steps.ts'
import type { PopulationModel } from '../../shared/pipeline/population.ts'
import { DEFAULT_SCORING_CONFIG } from '../../shared/scoring-config.ts'
import type { RunStore } from '../../shared/storage/dynamo-run-store.ts'
import { fsObjectStore } from './fs-object-store.ts'

const { values } = parseArgs({
  options: { root: { type: 'string' }, run: { type: 'string' }, shards: { type: 'string', default: '16' } },
})
if (!values.root || !values.run) throw new Error('--root and --run are required')
const runId = values.run
let model: PopulationModel | undefined
const unused = async () => {
  throw new Error('the Fit step does not read runs')
}
const runs: RunStore = {
  currentRunId: unused,
  currentModel: unused,
  getRun: unused,
  getModel: unused,
  start: unused,
  heartbeat: async () => undefined,
  saveModel: async (_runId, fitted) => {
    model = fitted
  },
  update: unused,
  switchCurrent: unused,
  publish: unused,
}
const steps = nightlySteps({
  objects: fsObjectStore(values.root),
  scores: { putLatest: unused, getLatest: unused },
  history: { append: unused, list: unused },
  runs,
  loadConfig: async () => DEFAULT_SCORING_CONFIG,
  shardCount: Number(values.shards),
  timeZone: 'UTC',
  now: () => new Date(),
  logger: { info: () => undefined, warn: () => undefined, error: console.error },
})
const mib = (bytes: number) => Math.round(bytes / 1024 / 1024)
const baseRssMiB = mib(process.memoryUsage().rss)
const cpu = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
const cpuStart = cpu()
const started = performance.now()
await steps.fit({ step: 'fit', runId, asOf: runId })
const round = (value: number) => Math.round(value * 100) / 100
console.log(
  JSON.stringify({
    customers: model?.customers,
    sampled: model?.sample?.customers ?? null,
    seconds: round((performance.now() - started) / 1000),
    cpuSeconds: round(cpu() - cpuStart),
    baseRssMiB,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
)
