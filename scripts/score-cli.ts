/**
 * Command-line scorer: scores every customer of a transaction file, no stack needed.
 *
 *   npm run score -- --input <file.csv|file.csv.gz|file.jsonl> --as-of <YYYY-MM-DD> --out <file.jsonl|file.csv>
 *                    [--config <file.json>] [--report <file.json>] [--time-zone <IANA zone>] [--workers <n>]
 *
 * Exits 0 when it scored something (rejected rows go to <out>.rejected.csv), 2 on bad arguments or
 * configuration, 1 when no row was valid or the input could not be read, 130 or 143 when stopped by
 * SIGINT or SIGTERM while writing. The records go to <out>.partial, renamed to <out> once complete.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { isTimeZone } from '../shared/config.ts'
import { csvLine } from '../shared/csv.ts'
import { isDay } from '../shared/domain/dates.ts'
import { InvalidUploadError, type RowRejection } from '../shared/ingest/parse-transactions.ts'
import { customerTable } from '../shared/pipeline/customer-table.ts'
import { DirectFileStream } from '../shared/pipeline/direct-file.ts'
import { LineWriter } from '../shared/pipeline/line-writer.ts'
import { parseFile, partWorker } from '../shared/pipeline/parallel-parse.ts'
import { ScorePool, writeScores } from '../shared/pipeline/parallel-score.ts'
import type { StartedPartWorker } from '../shared/pipeline/part-worker.ts'
import { csvHeader, type RecordFormat } from '../shared/pipeline/record-format.ts'
import { populationReport } from '../shared/pipeline/report.ts'
import type { RowStore } from '../shared/pipeline/row-store.ts'
import { scorePopulation } from '../shared/pipeline/score-population.ts'
import { InvalidConfigError, parseScoringConfigJson, type ScoringConfig } from '../shared/scoring-config.ts'

class UsageError extends Error {}

/**
 * Unless --workers says otherwise, inputs from this size on are summarised, fitted and scored with worker
 * threads besides this one (one per further CPU); smaller ones are done before those would have started.
 */
const POOL_MIN_BYTES = 20e6

const USAGE =
  'usage: npm run score -- --input <file> --as-of <YYYY-MM-DD> --out <file.jsonl|file.csv> [--config <file.json>] [--report <file.json>] [--time-zone <zone>] [--workers <n>]'

function parseArguments() {
  const { values } = parseArgs({
    options: {
      input: { type: 'string' },
      'as-of': { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
      report: { type: 'string' },
      'time-zone': { type: 'string', default: 'UTC' },
      workers: { type: 'string' },
    },
    strict: true,
  })
  const { input, out } = values
  const asOf = values['as-of']
  if (!input || !out || !asOf) throw new UsageError('--input, --as-of and --out are required')
  if (!isDay(asOf)) {
    throw new UsageError(`--as-of ${asOf}: expected a date YYYY-MM-DD`)
  }
  const format: RecordFormat | undefined = out.endsWith('.jsonl')
    ? 'jsonl'
    : out.endsWith('.csv')
      ? 'csv'
      : undefined
  if (!format) throw new UsageError(`--out ${out}: the name must end in .jsonl or .csv`)
  const timeZone = values['time-zone']
  if (!isTimeZone(timeZone)) throw new UsageError(`--time-zone ${timeZone}: not an IANA time zone`)
  const config = values.config
    ? parseScoringConfigJson(readFileSync(values.config, 'utf8'), values.config)
    : parseScoringConfigJson('{}', 'defaults')
  const workers = values.workers === undefined ? undefined : Number(values.workers)
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) {
    throw new UsageError(`--workers ${values.workers}: expected a whole number from 0 to 64`)
  }
  return { input, out, asOf, format, timeZone, config, report: values.report, workers }
}

/**
 * `early`: the thread for the second part of the input, if the caller started it already (score.ts does
 * for large files); it is used or ended here.
 */
async function main(early?: StartedPartWorker): Promise<number> {
  let args: ReturnType<typeof parseArguments>
  try {
    args = parseArguments()
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidConfigError || isArgError(error)) {
      console.error(error instanceof Error ? error.message : String(error))
      console.error(USAGE)
      return 2
    }
    throw error
  }
  const config: ScoringConfig = { ...args.config, asOf: args.asOf }
  const started = performance.now()
  const cpu = [process.cpuUsage()]
  const size = statSync(args.input).size
  const workers = args.workers ?? (size >= POOL_MIN_BYTES ? defaultWorkers() : 0)
  // The worker threads load their code while the input is read, once a CPU is free for it.
  let pool: ScorePool | undefined
  const startPool = () => {
    pool ??= ScorePool.start(workers)
  }
  const progress = new Progress(size)
  let store: RowStore
  let rejections: RowRejection[]
  try {
    // With worker threads, large CSV files are read half here, half on a thread of their own.
    ;({ store, rejections } = await parseFile(
      args.input,
      {
        fileName: basename(args.input),
        timeZone: args.timeZone,
        onBytes: (bytes) => progress.advance(bytes),
        onCpuFree: startPool,
      },
      workers > 0 ? (early?.read ?? partWorker) : undefined,
    ))
  } catch (error) {
    if (error instanceof InvalidUploadError) {
      console.error(error.message)
      return 1
    }
    throw error
  }
  early?.cancel()
  progress.done()
  const parsed = performance.now()
  cpu.push(process.cpuUsage())
  if (rejections.length > 0) {
    const rejectedFile = `${args.out}.rejected.csv`
    const lines = rejections.map((r) => csvLine([r.line, r.field, r.reason, r.value]))
    writeFileSync(rejectedFile, `${[csvLine(['line', 'field', 'reason', 'value']), ...lines].join('\n')}\n`)
    console.error(`${rejections.length} rejected fields, listed in ${rejectedFile}`)
  }
  if (store.rows === 0) {
    console.error(`${args.input}: no valid row`)
    return 1
  }

  const customers = pool
    ? await pool.table(store, args.asOf, config)
    : customerTable(store, args.asOf, config)
  const summarised = performance.now()
  cpu.push(process.cpuUsage())
  // scorePopulation's fit; with worker threads, its independent parts run side by side (the same model).
  const runId = `cli-${args.asOf}`
  let modelsFitted: number | undefined
  const model = pool
    ? await pool.fit(customers, config, args.asOf, runId, () => {
        modelsFitted = performance.now()
      })
    : scorePopulation(customers, config, args.asOf, { runId }).model
  const fitted = performance.now()
  cpu.push(process.cpuUsage())
  const { bgnbd: b, gammaGamma: g } = model
  console.error(
    `fit: BG/NBD r=${b.r.toFixed(4)} alpha=${b.alpha.toFixed(4)} a=${b.a.toFixed(4)} b=${b.b.toFixed(4)} ` +
      `LL=${b.logLikelihood.toFixed(1)} (${b.iterations} iterations, ${b.converged ? 'converged' : 'NOT converged'}); ` +
      `Gamma-Gamma p=${g.p.toFixed(4)} q=${g.q.toFixed(4)} v=${g.v.toFixed(4)} on ${g.customers} repeat customers ` +
      `(${g.converged ? 'converged' : 'NOT converged'}); corr(x, zbar)=${g.frequencySpendCorrelation.toFixed(3)}`,
  )

  // Around the page cache where the file system allows: the next records are encoded meanwhile. The
  // records go to a file of their own, given the output's name once complete: a run that stops half-way
  // leaves the output as it was, and no file of that name that looks done.
  const partial = `${args.out}.partial`
  const stream = new DirectFileStream(partial)
  const out = new LineWriter(stream)
  const report = populationReport(model)
  // Stopped by the user (Ctrl-C) or the system, the run takes its partial file away with it.
  const stop = (signal: NodeJS.Signals) => {
    rmSync(partial, { force: true })
    console.error(`stopped by ${signal}: ${args.out} left as it was`)
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    try {
      if (args.format === 'csv') await out.line(csvHeader())
      await writeScores(customers, model, config, args.asOf, args.format, { out, report }, pool)
    } finally {
      await pool?.close()
    }
    await out.end()
  } catch (error) {
    stream.destroy()
    rmSync(partial, { force: true })
    throw error
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  renameSync(partial, args.out)
  const finished = performance.now()
  cpu.push(process.cpuUsage())

  const summary = {
    ...report.summary(),
    input: { file: basename(args.input), bytes: size, rows: store.rows, duplicateRows: store.duplicates },
    rejectedFields: rejections.length,
    rejectedRows: new Set(rejections.map((r) => r.line)).size,
    config,
    timings: {
      parseSeconds: seconds(parsed - started),
      summariseSeconds: seconds(summarised - parsed),
      fitSeconds: seconds(fitted - summarised),
      // With worker threads: BG/NBD and Gamma-Gamma fitted side by side (and the cut-offs), before the
      // value tiers, which take the rest of fitSeconds.
      ...(modelsFitted === undefined ? {} : { modelFitSeconds: seconds(modelsFitted - summarised) }),
      scoreAndWriteSeconds: seconds(finished - fitted),
      totalSeconds: seconds(finished - started),
      // CPU time of all threads (user + system) in each phase, which a busy machine inflates less.
      parseCpuSeconds: cpuSeconds(cpu, 1),
      summariseCpuSeconds: cpuSeconds(cpu, 2),
      fitCpuSeconds: cpuSeconds(cpu, 3),
      scoreAndWriteCpuSeconds: cpuSeconds(cpu, 4),
    },
  }
  if (args.report) writeFileSync(args.report, `${JSON.stringify(summary, null, 2)}\n`)
  console.error(
    `scored ${summary.customers} customers from ${store.rows} rows in ${summary.timings.totalSeconds} s -> ${args.out}`,
  )
  return 0
}

/** A worker thread for each CPU but the one this thread works on. */
function defaultWorkers(): number {
  return availableParallelism() - 1
}

function isArgError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')
}

/** CPU seconds between the marks k - 1 and k. */
function cpuSeconds(marks: readonly NodeJS.CpuUsage[], k: number): number {
  const a = marks[k - 1] as NodeJS.CpuUsage
  const b = marks[k] as NodeJS.CpuUsage
  return Math.round((b.user - a.user + b.system - a.system) / 1000) / 1000
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000
}

/** A progress line on stderr for inputs above 50 MB. */
class Progress {
  private readonly total: number
  private read = 0
  private lastShown = 0
  private readonly start = performance.now()

  constructor(total: number) {
    this.total = total
  }

  advance(bytes: number): void {
    this.read += bytes
    if (this.total < 50e6 || this.read - this.lastShown < this.total / 20) return
    this.lastShown = this.read
    const elapsed = (performance.now() - this.start) / 1000
    process.stderr.write(
      `\rreading ${Math.round((100 * this.read) / this.total)}% (${(this.read / 1e6 / elapsed).toFixed(0)} MB/s)`,
    )
  }

  done(): void {
    if (this.lastShown > 0) process.stderr.write('\n')
  }
}

/** Runs the scorer on the command line's arguments and exits with its code. */
export function run(early?: StartedPartWorker): void {
  main(early).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error))
      process.exit(1)
    },
  )
}
