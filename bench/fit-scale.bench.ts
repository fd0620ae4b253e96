/**
 * The nightly Fit step on N times the customers a nightly benchmark run summarised: the run's fit
 * inputs written N times over (each copy's ids suffixed `~k`, so every copy is a set of new customers
 * with new sample hashes) into a new store of N x shards shards, then the Fit step alone in a process
 * of its own (bench/support/fit-step.ts). Prints one JSON line: customers, how many the fit sampled,
 * seconds, CPU seconds, the process's RSS before the step and its peak RSS.
 *
 * The copies repeat the same purchase patterns, so the BG/NBD part (which works on the distinct
 * patterns) takes no longer than on one copy; memory and the per-customer work scale as on real data.
 *
 *   node bench/fit-scale.bench.ts --from bench/tmp/nightly-store-transactions-1000000.csv --run 2025-12-31 --times 10
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync, gzipSync } from 'node:zlib'
import { runKeys } from '../shared/nightly/steps.ts'
import { decodeFitInput, encodeFitInput, FIT_COLUMNS } from '../shared/pipeline/fit-input.ts'
import { fsObjectStore } from './support/fs-object-store.ts'

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    run: { type: 'string' },
    shards: { type: 'string', default: '16' },
    times: { type: 'string', default: '10' },
  },
})
if (!values.from || !values.run) throw new Error('--from and --run are required')
const runId = values.run
const shards = Number(values.shards)
const times = Number(values.times)
const source = fsObjectStore(values.from)
const root = join('bench/tmp', `fit-scale-${times}x`)
rmSync(root, { recursive: true, force: true })
const target = fsObjectStore(root)
const decoder = new TextDecoder()
for (let shard = 0; shard < shards; shard++) {
  const key = runKeys.fitInput(runId, shard)
  const body = await source.readAll(key)
  if (!body) throw new Error(`${key} is missing: run the nightly benchmark first`)
  const input = decodeFitInput(gunzipSync(body), key)
  const ids = Array.from({ length: input.size }, (_, i) =>
    decoder.decode(input.idBytes.subarray(input.idOffsets[i], input.idOffsets[i + 1])),
  )
  for (let k = 0; k < times; k++) {
    const table = {
      size: input.size,
      ...Object.fromEntries(FIT_COLUMNS.map((name) => [name, input[name]])),
      customerId: (i: number) => `${ids[i]}~${k}`,
    } as Parameters<typeof encodeFitInput>[0]
    await target.write(
      runKeys.fitInput(runId, k * shards + shard),
      gzipSync(encodeFitInput(table)),
      'application/gzip',
    )
  }
}
const line = execFileSync(
  process.execPath,
  ['bench/support/fit-step.ts', '--root', root, '--run', runId, '--shards', String(shards * times)],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
)
  .trim()
  .split('\n')
  .at(-1) as string
rmSync(root, { recursive: true, force: true })
console.log(JSON.stringify({ times, shards: shards * times, ...JSON.parse(line) }))
