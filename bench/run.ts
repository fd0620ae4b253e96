/**
 * Benchmark harness: fixed-size, fixed-seed benchmarks, each run several times as its own child process
 * under `/usr/bin/time -v`, so wall time and peak RSS are measured from outside the process. Raw outputs
 * and a summary (median, min and max per metric) go to bench/results/<date>-<name>/. See bench/README.md.
 *
 *   npm run bench -- [--runs 5] [--customers 1000000 | --quick] [--only parse,fit] [--name NAME]
 *
 * Adding a benchmark is one entry in BENCHMARKS: a script that prints one JSON line of its own metrics
 * (numbers are summarised, anything else is listed) as the last line of its stdout.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { delimiter, dirname, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import {
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  type GeneratorStats,
  writeTransactionFile,
} from '../scripts/generate.ts'

/** What a benchmark's arguments may refer to; paths are relative to the repository root. */
type BenchContext = {
  /** The generated transaction file. */
  readonly input: string
  /** Its last day, the as-of date of scoring. */
  readonly asOf: string
  readonly customers: number
}

type Benchmark = {
  readonly name: string
  readonly description: string
  /** The script node runs, relative to the repository root; the benchmark is skipped while it is missing. */
  readonly script: string
  readonly args: (context: BenchContext) => string[]
  /** Options for node itself, before the script. */
  readonly nodeOptions?: readonly string[]
  /** A JSON file the script writes, whose numeric `timings` are added to the run's metrics. */
  readonly timingsFile?: string
}

const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'parse',
    description: 'parseTransactions on the file streamed from disk (parse + validate)',
    script: 'bench/parse.bench.ts',
    args: ({ input }) => ['--input', input],
  },
  {
    name: 'summarise',
    description: 'parse, then summariseTransactions over all rows',
    script: 'bench/summarise.bench.ts',
    args: ({ input, asOf }) => ['--input', input, '--as-of', asOf],
  },
  {
    name: 'fit',
    description:
      'parse and summarise, then time the grouping into patterns (groupPatternTable on the columns), fitBgNbd and fitGammaGamma',
    script: 'bench/fit.bench.ts',
    args: ({ input, asOf }) => ['--input', input, '--as-of', asOf],
  },
  {
    name: 'score-e2e',
    description: 'the scoring CLI end to end: file in, scores and report out',
    script: 'scripts/score.ts',
    // As `npm run score` runs it; the report's per-phase timings become metrics.
    nodeOptions: ['--max-semi-space-size=16', '--single-threaded-gc'],
    timingsFile: 'bench/tmp/report.json',
    args: ({ input, asOf }) => [
      '--input',
      input,
      '--as-of',
      asOf,
      '--out',
      'bench/tmp/out.jsonl',
      '--report',
      'bench/tmp/report.json',
    ],
  },
  {
    name: 'nightly',
    description:
      'the nightly run in process (plan, summarise, fit, score, finalise) on a folder for S3, DynamoDB writes counted not made',
    script: 'bench/nightly.bench.ts',
    args: ({ input, asOf }) => ['--input', input, '--as-of', asOf],
  },
  {
    name: 'prospects',
    description: 'look-alike base of N customers and scoring of N / 10 prospects (pure, in memory)',
    script: 'bench/prospects.bench.ts',
    args: ({ customers }) => ['--customers', String(customers)],
  },
  {
    name: 'dynamo-writes',
    description:
      "the score records of 100,000 generated customers (LATEST and history items) put into dynalite through the functions' adapters, two shards at a time (the local write rate)",
    script: 'bench/dynamo-writes.bench.ts',
    args: ({ customers }) => ['--customers', String(Math.min(customers, 100_000))],
  },
  {
    name: 'api-lookup',
    description:
      'GET /customers/{id} on the local stack (HTTP server, handler, dynalite) under autocannon: 10 connections for 10 s over loopback, the CDNOW sample (the generated input is not used)',
    script: 'bench/api-lookup.bench.ts',
    args: () => ['--connections', '10', '--duration', '10'],
  },
  {
    name: 'export',
    description:
      "the export worker's pipeline (writeExport) over a run's 16 score shards of N synthetic customers, every record kept, CSV to a file",
    script: 'bench/export.bench.ts',
    args: ({ customers }) => ['--customers', String(customers), '--format', 'csv'],
  },
]

const TIME = '/usr/bin/time'
const QUICK_CUSTOMERS = 100_000
const FULL_CUSTOMERS = 1_000_000
const DEFAULT_RUNS = 5
/** The input's seed; fixed so that every run of the harness measures the same file. */
const SEED = 1

const root = fileURLToPath(new URL('..', import.meta.url))
const fromRoot = (path: string): string => `${root}${path}`

type TimeReport = {
  readonly wallSeconds: number
  readonly userSeconds: number
  readonly systemSeconds: number
  readonly peakRssMiB: number
  readonly exitStatus: number
}

type RunOutcome = {
  readonly run: number
  readonly ok: boolean
  readonly exitStatus: number
  readonly metrics: Record<string, number>
  readonly info: Record<string, unknown>
  readonly error?: string
}

type MetricSummary = {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly values: number[]
}

type BenchSummary = {
  readonly name: string
  readonly description: string
  readonly command?: string
  readonly skipped?: string
  readonly runs: number
  readonly failedRuns: { run: number; exitStatus: number; error?: string }[]
  readonly metrics: Record<string, MetricSummary>
  /** Non-numeric output values, each with the distinct values seen across runs. */
  readonly info: Record<string, unknown[]>
}

function usage(message?: string): never {
  if (message !== undefined) console.error(message)
  console.error(
    'usage: npm run bench -- [--runs N] [--customers N | --quick] [--only name,name] [--name NAME]\n' +
      `benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
  )
  process.exit(2)
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string' },
        customers: { type: 'string' },
        quick: { type: 'boolean' },
        only: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error))
  }
}

function readOptions() {
  const values = parseOptions()
  if (values.help) usage()
  const runs = Number(values.runs ?? DEFAULT_RUNS)
  if (!Number.isSafeInteger(runs) || runs < 1) usage('--runs must be a positive integer')
  const customers = Number(
    values.customers?.replaceAll('_', '') ?? (values.quick ? QUICK_CUSTOMERS : FULL_CUSTOMERS),
  )
  if (!Number.isSafeInteger(customers) || customers < 1) usage('--customers must be a positive integer')
  const only = values.only?.split(',').map((name) => name.trim())
  const unknown = only?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? []
  if (unknown.length > 0) usage(`unknown benchmark: ${unknown.join(', ')}`)
  const name = values.name ?? (values.quick ? 'quick' : customerLabel(customers))
  if (!/^[\w.-]+$/.test(name)) usage('--name may only have letters, digits, _ . -')
  const benchmarks = BENCHMARKS.filter((b) => only === undefined || only.includes(b.name))
  return { runs, customers, benchmarks, name }
}

function customerLabel(customers: number): string {
  if (customers % 1_000_000 === 0) return `${customers / 1_000_000}m`
  if (customers % 1_000 === 0) return `${customers / 1_000}k`
  return String(customers)
}

type InputMeta = {
  readonly customers: number
  readonly seed: number
  readonly end: string
  readonly years: number
  /** Hash of the generator's source and of the samplers it uses: a change regenerates the file. */
  readonly generatorHash: string
  readonly stats: GeneratorStats & { readonly fileBytes: number }
  readonly generateSeconds: number
}

function generatorHash(): string {
  const hash = createHash('sha256')
  for (const file of ['scripts/generate.ts', 'shared/scoring/simulate.ts'])
    hash.update(readFileSync(fromRoot(file)))
  return hash.digest('hex').slice(0, 16)
}

/** The generated input, from bench/tmp when it is there and was made by this generator with these options. */
async function ensureInput(customers: number): Promise<{ path: string; meta: InputMeta }> {
  const path = `bench/tmp/transactions-${customers}.csv`
  const metaPath = fromRoot(`${path}.meta.json`)
  const options: GeneratorOptions = { ...DEFAULT_GENERATOR_OPTIONS, customers, seed: SEED }
  const hash = generatorHash()
  if (existsSync(fromRoot(path)) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as InputMeta
    const same =
      meta.customers === customers &&
      meta.seed === SEED &&
      meta.end === options.end &&
      meta.years === options.years &&
      meta.generatorHash === hash &&
      meta.stats.fileBytes === statSync(fromRoot(path)).size
    if (same) {
      console.error(`input: ${path} (cached, ${meta.stats.rows.toLocaleString('en')} rows)`)
      return { path, meta }
    }
  }
  console.error(`input: generating ${path} (${customers.toLocaleString('en')} customers, seed ${SEED})`)
  const started = performance.now()
  let shown = 0
  const stats = await writeTransactionFile(options, fromRoot(path), ({ day, days }) => {
    const share = Math.floor((day / days) * 4)
    if (share > shown) {
      shown = share
      console.error(`  ${share * 25}%`)
    }
  })
  const meta: InputMeta = {
    customers,
    seed: SEED,
    end: options.end,
    years: options.years,
    generatorHash: hash,
    stats,
    generateSeconds: (performance.now() - started) / 1000,
  }
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`)
  console.error(
    `  ${stats.rows.toLocaleString('en')} rows, ${(stats.fileBytes / 1e6).toFixed(1)} MB, ` +
      `${meta.generateSeconds.toFixed(1)} s`,
  )
  return { path, meta }
}

function resultsDirectory(name: string): string {
  const date = new Date().toISOString().slice(0, 10)
  const base = `bench/results/${date}-${name}`
  let dir = base
  for (let n = 2; existsSync(fromRoot(dir)); n++) dir = `${base}-${n}`
  mkdirSync(fromRoot(dir), { recursive: true })
  return dir
}

/** Runs one benchmark once under /usr/bin/time -v; stdout, stderr and the time report go to files in dir. */
async function runOnce(
  benchmark: Benchmark,
  context: BenchContext,
  dir: string,
  run: number,
): Promise<RunOutcome> {
  const prefix = `${dir}/run-${run}`
  const stdout = openSync(fromRoot(`${prefix}.stdout.txt`), 'w')
  const stderr = openSync(fromRoot(`${prefix}.stderr.txt`), 'w')
  // `node` found first on PATH is the one running this harness; naming it so, with paths relative to the
  // repository root, keeps this machine's paths out of the report of /usr/bin/time.
  const nodeArgs = [...(benchmark.nodeOptions ?? []), benchmark.script, ...benchmark.args(context)]
  const child = spawn(TIME, ['-v', '-o', `${prefix}.time.txt`, 'node', ...nodeArgs], {
    cwd: root,
    stdio: ['ignore', stdout, stderr],
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
  })
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128)))
  })
  closeSync(stdout)
  closeSync(stderr)
  for (const kind of ['stdout', 'stderr', 'time']) stripRoot(fromRoot(`${prefix}.${kind}.txt`))
  const time = parseTimeReport(readFileSync(fromRoot(`${prefix}.time.txt`), 'utf8'))
  const own = {
    ...lastJsonLine(readFileSync(fromRoot(`${prefix}.stdout.txt`), 'utf8')),
    ...(code === 0 && benchmark.timingsFile !== undefined ? timingsOf(fromRoot(benchmark.timingsFile)) : {}),
  }
  const metrics: Record<string, number> = {}
  const info: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(own ?? {})) {
    if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value
    else info[key] = value
  }
  if (time !== undefined) {
    metrics.wallSeconds = time.wallSeconds
    metrics.userSeconds = time.userSeconds
    metrics.systemSeconds = time.systemSeconds
    metrics.peakRssMiB = time.peakRssMiB
  }
  const exitStatus = time?.exitStatus ?? code
  const ok = code === 0 && exitStatus === 0
  if (ok) return { run, ok, exitStatus, metrics, info }
  const lastLines = readFileSync(fromRoot(`${prefix}.stderr.txt`), 'utf8')
    .trimEnd()
    .split('\n')
    .slice(-3)
    .join(' | ')
  return { run, ok, exitStatus, metrics, info, error: lastLines }
}

/** Rewrites the repository's absolute path (as in stack traces) to a relative one in a raw output file. */
function stripRoot(file: string): void {
  const text = readFileSync(file, 'utf8')
  const rootUrl = pathToFileURL(root).href
  const stripped = text.replaceAll(rootUrl, '').replaceAll(root, '').replaceAll(root.slice(0, -1), '.')
  if (stripped !== text) writeFileSync(file, stripped)
}

/** The fields of GNU time's -v report the summary uses; undefined if it is not one. */
function parseTimeReport(text: string): TimeReport | undefined {
  const field = (label: string): string | undefined => {
    const line = text.split('\n').find((l) => l.trim().startsWith(`${label}:`))
    return line?.slice(line.indexOf(`${label}:`) + label.length + 1).trim()
  }
  const wall = field('Elapsed (wall clock) time (h:mm:ss or m:ss)')
  const rss = field('Maximum resident set size (kbytes)')
  if (wall === undefined || rss === undefined) return undefined
  // h:mm:ss or m:ss.ss
  const wallSeconds = wall.split(':').reduce((total, part) => total * 60 + Number(part), 0)
  return {
    wallSeconds,
    userSeconds: Number(field('User time (seconds)')),
    systemSeconds: Number(field('System time (seconds)')),
    peakRssMiB: Number(rss) / 1024,
    exitStatus: Number(field('Exit status') ?? 0),
  }
}

/** The `timings` object of a JSON file, if it has one. */
function timingsOf(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {}
  const timings: unknown = JSON.parse(readFileSync(file, 'utf8')).timings
  return typeof timings === 'object' && timings !== null ? (timings as Record<string, unknown>) : {}
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.trimEnd().split('\n').reverse()
  for (const line of lines) {
    if (!line.trimStart().startsWith('{')) continue
    try {
      const value: unknown = JSON.parse(line)
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return value as Record<string, unknown>
      }
    } catch {
      // not the metrics line
    }
  }
  return undefined
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2)
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

function summarise(benchmark: Benchmark, command: string, outcomes: readonly RunOutcome[]): BenchSummary {
  const metrics: Record<string, MetricSummary> = {}
  const info: Record<string, unknown[]> = {}
  const good = outcomes.filter((o) => o.ok)
  const names = [...new Set(good.flatMap((o) => Object.keys(o.metrics)))]
  for (const name of names) {
    const values = good.map((o) => o.metrics[name]).filter((v): v is number => v !== undefined)
    const sorted = [...values].sort((p, q) => p - q)
    metrics[name] = {
      median: median(sorted),
      min: sorted[0] ?? Number.NaN,
      max: sorted.at(-1) ?? Number.NaN,
      values,
    }
  }
  for (const outcome of good) {
    for (const [key, value] of Object.entries(outcome.info)) {
      const seen = info[key] ?? []
      if (!seen.some((v) => JSON.stringify(v) === JSON.stringify(value))) seen.push(value)
      info[key] = seen
    }
  }
  return {
    name: benchmark.name,
    description: benchmark.description,
    command,
    runs: outcomes.length,
    failedRuns: outcomes
      .filter((o) => !o.ok)
      .map((o) => ({
        run: o.run,
        exitStatus: o.exitStatus,
        ...(o.error === undefined ? {} : { error: o.error }),
      })),
    metrics,
    info,
  }
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return value.toLocaleString('en')
  const abs = Math.abs(value)
  if (abs >= 10_000) return Math.round(value).toLocaleString('en')
  if (abs >= 100) return value.toFixed(1)
  if (abs >= 1) return value.toFixed(3)
  return value.toPrecision(4)
}

function markdown(header: Record<string, unknown>, benches: readonly BenchSummary[]): string {
  const lines = ['# Benchmark summary', '']
  for (const [key, value] of Object.entries(header)) {
    lines.push(`- ${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
  }
  for (const bench of benches) {
    lines.push('', `## ${bench.name}`, '', bench.description, '')
    if (bench.skipped !== undefined) {
      lines.push(`Skipped: ${bench.skipped}`)
      continue
    }
    lines.push(`\`${bench.command}\``, '')
    const good = bench.runs - bench.failedRuns.length
    lines.push(`${good} of ${bench.runs} runs succeeded.`, '')
    for (const failed of bench.failedRuns) {
      lines.push(`- run ${failed.run} failed (exit ${failed.exitStatus}): ${failed.error ?? ''}`)
    }
    if (bench.failedRuns.length > 0) lines.push('')
    if (Object.keys(bench.metrics).length > 0) {
      lines.push('| metric | median | min | max |', '|---|---:|---:|---:|')
      for (const [name, m] of Object.entries(bench.metrics)) {
        lines.push(`| ${name} | ${format(m.median)} | ${format(m.min)} | ${format(m.max)} |`)
      }
    }
    const info = Object.entries(bench.info)
    if (info.length > 0) {
      lines.push('')
      for (const [key, values] of info)
        lines.push(`- ${key}: ${values.map((v) => JSON.stringify(v)).join(', ')}`)
    }
  }
  return `${lines.join('\n')}\n`
}

async function gitCommit(): Promise<string> {
  const child = spawn('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null))
    child.on('close', resolve)
  })
  return code === 0 ? out.trim() : 'none'
}

async function main(): Promise<void> {
  const { runs, customers, benchmarks, name } = readOptions()
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to measure peak memory from outside the process`)
  const input = await ensureInput(customers)
  const context: BenchContext = { input: input.path, asOf: input.meta.end, customers }
  const dir = resultsDirectory(name)
  console.error(`results: ${dir}`)

  const runnable: Benchmark[] = []
  const skipped = new Map<string, string>()
  for (const benchmark of benchmarks) {
    if (existsSync(fromRoot(benchmark.script))) runnable.push(benchmark)
    else {
      const reason = `${benchmark.script} does not exist yet`
      skipped.set(benchmark.name, reason)
      console.error(`skip ${benchmark.name}: ${reason}`)
    }
  }
  const outcomes = new Map<string, RunOutcome[]>(runnable.map((b) => [b.name, []]))
  // Round-robin over the benchmarks, so that slow drift of the machine spreads over all of them.
  for (let run = 1; run <= runs; run++) {
    for (const benchmark of runnable) {
      const benchDir = `${dir}/${benchmark.name}`
      mkdirSync(fromRoot(benchDir), { recursive: true })
      const outcome = await runOnce(benchmark, context, benchDir, run)
      outcomes.get(benchmark.name)?.push(outcome)
      const wall = outcome.metrics.wallSeconds
      const rss = outcome.metrics.peakRssMiB
      console.error(
        `${benchmark.name} run ${run}/${runs}: ${outcome.ok ? 'ok' : `FAILED (exit ${outcome.exitStatus})`}` +
          (wall === undefined ? '' : `, ${wall.toFixed(2)} s`) +
          (rss === undefined ? '' : `, peak RSS ${rss.toFixed(0)} MiB`),
      )
    }
  }

  const summaries: BenchSummary[] = benchmarks.map((benchmark) => {
    const reason = skipped.get(benchmark.name)
    if (reason !== undefined) {
      const { name, description } = benchmark
      return { name, description, skipped: reason, runs: 0, failedRuns: [], metrics: {}, info: {} }
    }
    const command = [
      'node',
      ...(benchmark.nodeOptions ?? []),
      benchmark.script,
      ...benchmark.args(context),
    ].join(' ')
    return summarise(benchmark, command, outcomes.get(benchmark.name) ?? [])
  })
  const header = {
    date: new Date().toISOString(),
    commit: await gitCommit(),
    runs,
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    input: {
      file: input.path,
      customers,
      seed: input.meta.seed,
      window: `${input.meta.stats.firstDay}..${input.meta.stats.lastDay}`,
      rows: input.meta.stats.rows,
      bytes: input.meta.stats.fileBytes,
    },
  }
  const summaryJson = { ...header, benchmarks: summaries }
  writeFileSync(fromRoot(`${dir}/summary.json`), `${JSON.stringify(summaryJson, null, 2)}\n`)
  const md = markdown(header, summaries)
  writeFileSync(fromRoot(`${dir}/summary.md`), md)
  console.log(md)
  console.error(`written: ${relative(process.cwd(), fromRoot(dir)) || dir}/summary.md and summary.json`)
  const failed = summaries.some((s) => s.failedRuns.length > 0)
  if (failed) process.exitCode = 1
}

if (import.meta.main) await main()
