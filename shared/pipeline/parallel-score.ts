import { Worker } from 'node:worker_threads'
import type { BgNbdFit } from '../scoring/bgnbd.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import {
  CustomerReader,
  type CustomerTable,
  type CustomerTableData,
  moveRows,
  rowsData,
  StoreCustomerTable,
  type SummaryColumns,
  summariseCustomers,
  summaryColumns,
  summaryOptions,
  type TableOptions,
  tableOf,
} from './customer-table.ts'
import type { LineWriter } from './line-writer.ts'
import {
  assembleModel,
  customerValues,
  type FitColumns,
  fitPurchases,
  fitSpend,
  NotEnoughDataError,
  type PopulationModel,
  populationCutoffs,
  Scorer,
  type ValueColumns,
  valueAt,
  valueColumns,
  valueTierFigures,
} from './population.ts'
import { formatRecord, type RecordFormat } from './record-format.ts'
import { DIMENSIONS, type Dimension, type GroupFigures, type PopulationReport } from './report.ts'
import { type RowStore, type ScatterTask, scatterBuffers, scatterRows } from './row-store.ts'
import { scorePopulation } from './score-population.ts'

/** Customers scored per message to a worker: about 3 MB of output. */
const BLOCK = 2048
/** Blocks handed to each worker, at most, so that it never waits for the next. */
const AHEAD = 3

/** What a worker needs to score customers of a store's table; all of it crosses to the worker once. */
export interface BlockScorerInit {
  readonly data: CustomerTableData
  readonly model: PopulationModel
  readonly config: ScoringConfig
  readonly asOf: string
  readonly format: RecordFormat
  /** The customers' value figures under `model` and `config` (shared memory), computed when it was fitted. */
  readonly values?: ValueColumns | undefined
}

/** A block's output lines, and each record's net value and segments, coded by `names`. */
export interface BlockResult {
  readonly block: number
  readonly count: number
  readonly bytes: Uint8Array
  readonly netValue: Float64Array
  /** Per record, one code per dimension (DIMENSIONS order). */
  readonly codes: Uint16Array
  /** Per dimension, the names first used in this block, numbered after those of earlier blocks. */
  readonly names: readonly (readonly string[])[]
}

/** A part of building the table or of the population fit, which a worker runs. */
export type Task =
  | {
      readonly kind: 'purchases' | 'spend'
      readonly columns: FitColumns
      readonly config: ScoringConfig
    }
  | {
      readonly kind: 'values'
      readonly columns: FitColumns
      readonly config: ScoringConfig
      readonly bgnbd: BgNbdFit
      readonly gammaGamma: PopulationModel['gammaGamma']
      /** Shared memory, written at customers `from` to `to - 1`. */
      readonly out: ValueColumns
      readonly from: number
      readonly to: number
    }
  | ({ readonly kind: 'scatter' } & ScatterTask)
  | {
      readonly kind: 'summarise'
      readonly rows: CustomerTableData['rows']
      readonly options: TableOptions
      readonly from: number
      readonly to: number
      readonly columns: SummaryColumns
      readonly at: number
    }

export type WorkerMessage =
  | { readonly type: 'init'; readonly init: BlockScorerInit }
  | { readonly type: 'block'; readonly block: number; readonly from: number; readonly ids: readonly string[] }
  | { readonly type: 'recycle'; readonly buffer: ArrayBuffer }
  | { readonly type: 'release'; readonly buffers: readonly ArrayBuffer[] }
  | { readonly type: 'task'; readonly id: number; readonly task: Task }

export type WorkerReply =
  | { readonly type: 'done'; readonly result: BlockResult }
  | { readonly type: 'finished'; readonly id: number; readonly result: unknown }
  | { readonly type: 'failed'; readonly id: number | undefined; readonly error: unknown }

/**
 * Scores customers `from` on of a table into output lines, exactly as `scorePopulation` and
 * `formatRecord` do (the same calls), in whichever thread runs it.
 */
export class BlockScorer {
  private readonly reader: CustomerReader
  private readonly scorer: Scorer
  private readonly format: RecordFormat
  private readonly values: ValueColumns | undefined
  /** Per dimension, the names met so far: a name's code is its place. */
  private readonly known = DIMENSIONS.map((): string[] => [])
  /** Output buffers handed back once written, to be filled again (fresh memory costs page faults). */
  private readonly spare: ArrayBuffer[] = []

  constructor(init: BlockScorerInit) {
    this.reader = new CustomerReader(init.data)
    this.scorer = new Scorer(init.model, init.config, init.asOf)
    this.format = init.format
    this.values = init.values
  }

  score(block: number, from: number, ids: readonly string[]): BlockResult {
    const count = ids.length
    const netValue = new Float64Array(count)
    const codes = new Uint16Array(count * DIMENSIONS.length)
    const names: string[][] = DIMENSIONS.map(() => [])
    let bytes = this.buffer(count * 2048)
    let used = 0
    const { values } = this
    for (let k = 0; k < count; k++) {
      const input = this.reader.input(from + k, ids[k] as string)
      // Without kept value figures, the scorer computes them (its default).
      const record = this.scorer.score(input, values && valueAt(values, from + k))
      const line = formatRecord(record, this.format)
      if (used + 3 * line.length + 1 > bytes.length) {
        const bigger = this.buffer(2 * bytes.length + 3 * line.length + 1)
        bytes.copy(bigger, 0, 0, used)
        bytes = bigger
      }
      used += bytes.write(line, used, 'utf8')
      bytes[used++] = 10
      netValue[k] = record.netValue
      // DIMENSIONS order, each field read by name (a read by a varying key is slower).
      const at = k * DIMENSIONS.length
      codes[at] = this.code(0, record.tier, names)
      codes[at + 1] = this.code(1, record.quadrant, names)
      codes[at + 2] = this.code(2, record.rfmSegment, names)
      codes[at + 3] = this.code(3, record.pattern, names)
      codes[at + 4] = this.code(4, record.decision, names)
    }
    return { block, count, bytes: bytes.subarray(0, used), netValue, codes, names }
  }

  /** The code of dimension `d`'s `name`, numbered when first met (and then added to `names`). */
  private code(d: number, name: string, names: string[][]): number {
    // A dimension has a few names (at most the 11 RFM segments), constant strings: comparing them is
    // quicker than a lookup.
    const known = this.known[d] as string[]
    const n = known.length
    for (let c = 0; c < n; c++) if (known[c] === name) return c
    known.push(name)
    ;(names[d] as string[]).push(name)
    return n
  }

  /** Takes back the output buffer of an earlier block. */
  recycle(buffer: ArrayBuffer): void {
    if (this.spare.length < AHEAD) this.spare.push(buffer)
  }

  private buffer(size: number): Buffer {
    const spare = this.spare.pop()
    if (spare !== undefined && spare.byteLength >= size) return Buffer.from(spare)
    return Buffer.allocUnsafeSlow(size)
  }
}

/** Runs a task, in whichever thread. */
export function runTask(task: Task): unknown {
  switch (task.kind) {
    case 'purchases':
      return fitPurchases(task.columns)
    case 'spend':
      return fitSpend(task.columns)
    case 'values':
      customerValues(task.columns, task.config, task.bgnbd, task.gammaGamma, task.out, task.from, task.to)
      return task.to - task.from
    case 'scatter':
      scatterRows(task)
      // The source's columns were moved here for this: their memory goes back to the system.
      for (const buffer of scatterBuffers(task)) if (buffer.resizable) buffer.resize(0)
      return task.source.count
    case 'summarise':
      return summariseCustomers(task.rows, task.options, task.from, task.to, task.columns, task.at)
  }
}

/**
 * Adds a block's records to the report, in order, reading the codes of the worker that scored it: each
 * code of that worker stands for one of the report's groups.
 */
class ReportFolder {
  private readonly groups = DIMENSIONS.map((): GroupFigures[] => [])

  fold(report: PopulationReport, result: BlockResult): void {
    result.names.forEach((added, d) => {
      const groups = this.groups[d] as GroupFigures[]
      for (const name of added) groups.push(report.group(DIMENSIONS[d] as Dimension, name))
    })
    report.addCoded(result.netValue, result.codes, result.count, this.groups)
  }
}

/** What a scoring session does with the workers' replies. */
interface Session {
  block(worker: Worker, result: BlockResult): void
  fail(error: unknown): void
}

/**
 * Worker threads for the heavy parts of a scoring run on a store's table: two of the three independent
 * parts of the fit, then the scoring of blocks of customers while the main thread writes the output in
 * order. Start them early (they load their code meanwhile); `close` ends them.
 */
export class ScorePool {
  private readonly workers: Worker[]
  private readonly requests = new Map<
    number,
    { resolve(value: unknown): void; reject(error: unknown): void }
  >()
  private nextRequest = 0
  private session: Session | undefined
  private closed = false
  /** The last fit's table, model, configuration and the customers' value figures under them. */
  private fitted:
    | {
        readonly table: CustomerTable
        readonly model: PopulationModel
        readonly config: ScoringConfig
        readonly values: ValueColumns
      }
    | undefined

  private constructor(workers: Worker[]) {
    this.workers = workers
    for (const worker of workers) {
      worker.on('message', (reply: WorkerReply) => this.receive(worker, reply))
      worker.on('error', (error) => this.failAll(error))
      worker.on('exit', (code) => {
        if (!this.closed) this.failAll(new Error(`a scoring worker stopped (exit code ${code})`))
      })
    }
  }

  /** `count` worker threads; none (undefined) for 0. */
  static start(count: number): ScorePool | undefined {
    if (count < 1) return undefined
    const url = new URL('./score-worker.ts', import.meta.url)
    return new ScorePool(Array.from({ length: count }, () => new Worker(url)))
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }

  /**
   * `customerTable`, with the customers split into ranges of about equal rows, one summarised here and
   * one on each worker, straight into the shared columns; then the ranges are closed up.
   */
  async table(store: RowStore, asOf: string, config: ScoringConfig): Promise<StoreCustomerTable> {
    // Rows from the part of the file read on another thread are put in place on a worker, beside
    // those read here; the worker returns the memory of the ungrouped rows to the system after.
    const grouped = await store.groupedBeside(
      async (task) => {
        await this.request(0, { kind: 'scatter', ...task }, scatterBuffers(task))
      },
      (buffers) => post(this.workers[0] as Worker, { type: 'release', buffers }, buffers),
    )
    const rows = rowsData(grouped)
    const options = summaryOptions(asOf, config)
    const columns = summaryColumns(grouped.customers)
    const bounds = splitByRows(rows.start, grouped.customers, this.workers.length + 1)
    const counts = this.workers.map(
      (_, k) =>
        this.request(k, {
          kind: 'summarise',
          rows,
          options,
          from: bounds[k + 1] as number,
          to: bounds[k + 2] as number,
          columns,
          at: bounds[k + 1] as number,
        }) as Promise<number>,
    )
    const settled = Promise.allSettled(counts)
    let size: number
    try {
      size = summariseCustomers(rows, options, 0, bounds[1] as number, columns, 0)
    } finally {
      await settled
    }
    for (const [k, count] of counts.entries()) {
      const n = await count
      moveRows(columns, bounds[k + 1] as number, n, size)
      size += n
    }
    return tableOf(grouped, columns, size, options)
  }

  /**
   * `fitTable`, with its three independent parts side by side: BG/NBD (the longest) on the first
   * worker, the spend fit on a second one (else here) and the cut-offs here; then every customer's value
   * figures, whose net values give the value tiers, in ranges on this thread and each worker (kept for
   * the scoring, `valuesOf`). The same functions on the same (shared) columns, so the same model; a
   * failure is reported in the order `fitTable` would meet it.
   */
  async fit(
    table: CustomerTable,
    config: ScoringConfig,
    asOf: string,
    runId: string,
    /** Called once both models are fitted (and the cut-offs beside them), before the value tiers. */
    onModelsFitted?: () => void,
  ): Promise<PopulationModel> {
    if (table.size === 0)
      throw new NotEnoughDataError('no customer with a purchase on or before the as-of day')
    const columns: FitColumns = {
      size: table.size,
      x: table.x,
      tx: table.tx,
      T: table.T,
      zbar: table.zbar,
      occasions: table.occasions,
      averageSpend: table.averageSpend,
      recencyDays: table.recencyDays,
      contribution: table.contribution,
    }
    const purchases = this.request(0, { kind: 'purchases', columns, config }) as Promise<BgNbdFit>
    const spend = (
      this.workers.length === 1
        ? settle(() => fitSpend(columns))
        : this.request(1, { kind: 'spend', columns, config })
    ) as Promise<PopulationModel['gammaGamma']>
    const cutoffs = settle(() => populationCutoffs(columns, config))
    // Settled before any is awaited, so that none rejects unobserved.
    await Promise.allSettled([purchases, spend, cutoffs])
    const bgnbd = await purchases
    const gammaGamma = await spend
    const populationCuts = await cutoffs
    onModelsFitted?.()
    const values = valueColumns(table.size, true)
    const parts = this.workers.length + 1
    const bound = (k: number) => Math.round((table.size * k) / parts)
    // This thread takes the last range: a store's table lists its customers from the oldest, whose
    // (x, T) pairs are the most varied and so the slowest to value, and the tiers come after here.
    const remote = this.workers.map((_, k) =>
      this.request(k, {
        kind: 'values',
        columns,
        config,
        bgnbd,
        gammaGamma,
        out: values,
        from: bound(k),
        to: bound(k + 1),
      }),
    )
    const local = settle(() =>
      customerValues(columns, config, bgnbd, gammaGamma, values, bound(parts - 1), table.size),
    )
    await Promise.allSettled([local, ...remote])
    await local
    for (const part of remote) await part
    const tiers = valueTierFigures(table, config, bgnbd, gammaGamma, values.netValue)
    const model = assembleModel(table.size, config, asOf, runId, bgnbd, gammaGamma, tiers, populationCuts)
    this.fitted = { table, model, config, values }
    return model
  }

  /**
   * The customers' value figures computed by the last `fit`, when it fitted this model on this table
   * with this configuration: the scoring then reads them instead of computing them again.
   */
  valuesOf(table: CustomerTable, model: PopulationModel, config: ScoringConfig): ValueColumns | undefined {
    const fitted = this.fitted
    return fitted?.table === table && fitted.model === model && fitted.config === config
      ? fitted.values
      : undefined
  }

  /**
   * Scores every customer of the table, writing its lines in table order and adding it to the report.
   * The workers and this thread score blocks of customers; this thread scores one whenever it has
   * nothing to write, so a pool of n - 1 workers keeps n CPUs busy.
   */
  async score(
    init: BlockScorerInit,
    ids: (i: number) => string,
    size: number,
    sink: ScoreSink,
  ): Promise<void> {
    const blocks = Math.ceil(size / BLOCK)
    // Blocks scored or being scored but not yet written, at most: room for every worker's blocks and a
    // few for this thread, and a bound on memory when the output is slower than scoring.
    const window = AHEAD * (this.workers.length + 1)
    const local = new BlockScorer(init)
    const results = new Map<number, { worker: Worker | undefined; result: BlockResult }>()
    const folders = new Map<Worker | undefined, ReportFolder>([[undefined, new ReportFolder()]])
    for (const worker of this.workers) folders.set(worker, new ReportFolder())
    const assigned = new Map(this.workers.map((worker) => [worker, 0]))
    let failure: { error: unknown } | undefined
    let wake: (() => void) | undefined
    let next = 0
    let written = 0
    const blockIds = (block: number) => {
      const from = block * BLOCK
      return Array.from({ length: Math.min(size, from + BLOCK) - from }, (_, k) => ids(from + k))
    }
    const assign = (worker: Worker) => {
      while (next < blocks && next - written < window && (assigned.get(worker) as number) < AHEAD) {
        const block = next++
        assigned.set(worker, (assigned.get(worker) as number) + 1)
        post(worker, { type: 'block', block, from: block * BLOCK, ids: blockIds(block) })
      }
    }
    this.session = {
      block: (worker, result) => {
        results.set(result.block, { worker, result })
        assigned.set(worker, (assigned.get(worker) as number) - 1)
        assign(worker)
        wake?.()
      },
      fail: (error) => {
        failure ??= { error }
        wake?.()
      },
    }
    try {
      for (const worker of this.workers) post(worker, { type: 'init', init })
      for (const worker of this.workers) assign(worker)
      // While the output stream drains, this thread scores blocks (within the window) instead of waiting.
      let draining = false
      while (written < blocks) {
        if (failure) throw failure.error
        const done = draining ? undefined : results.get(written)
        if (done === undefined) {
          if (next < blocks && next - written < window) {
            const block = next++
            results.set(block, {
              worker: undefined,
              result: local.score(block, block * BLOCK, blockIds(block)),
            })
            // Lets the workers' replies in before the next block.
            await new Promise<void>((resolve) => setImmediate(resolve))
          } else {
            await new Promise<void>((resolve) => {
              wake = resolve
            })
          }
          continue
        }
        results.delete(written)
        written++
        const { worker, result } = done
        ;(folders.get(worker) as ReportFolder).fold(sink.report, result)
        const buffer = result.bytes.buffer as ArrayBuffer
        const recycle = () => {
          if (worker === undefined) local.recycle(buffer)
          else if (!this.closed) post(worker, { type: 'recycle', buffer }, [buffer])
        }
        const wait = sink.out.bytes(result.bytes, recycle)
        if (wait) {
          draining = true
          void wait.then(() => {
            draining = false
            wake?.()
          })
        }
        for (const worker of this.workers) assign(worker)
      }
    } finally {
      this.session = undefined
    }
  }

  /** Runs `task` on a worker; `transfer` lists buffers that move there with it. */
  private request(worker: number, task: Task, transfer?: ArrayBuffer[]): Promise<unknown> {
    const id = this.nextRequest++
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject })
      post(this.workers[worker % this.workers.length] as Worker, { type: 'task', id, task }, transfer)
    })
  }

  private receive(worker: Worker, reply: WorkerReply): void {
    if (reply.type === 'done') {
      this.session?.block(worker, reply.result)
      return
    }
    if (reply.id === undefined) {
      this.failAll(reply.type === 'failed' ? reply.error : new Error('unexpected reply'))
      return
    }
    const request = this.requests.get(reply.id)
    this.requests.delete(reply.id)
    if (reply.type === 'finished') request?.resolve(reply.result)
    else request?.reject(reply.error)
  }

  private failAll(error: unknown): void {
    for (const request of this.requests.values()) request.reject(error)
    this.requests.clear()
    this.session?.fail(error)
  }
}

/** Runs `task` now; its result or failure as a promise. */
function settle<T>(task: () => T): Promise<T> {
  try {
    return Promise.resolve(task())
  } catch (error) {
    return Promise.reject(error)
  }
}

/** Customer indexes 0 = b[0] <= b[1] <= ... <= b[parts] = customers splitting the rows about evenly. */
function splitByRows(start: Int32Array, customers: number, parts: number): number[] {
  const rows = start[customers] as number
  const bounds = [0]
  for (let k = 1; k < parts; k++) {
    // The first customer whose rows start at or after k / parts of all rows.
    let lo = bounds[k - 1] as number
    let hi = customers
    const target = (rows * k) / parts
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((start[mid] as number) < target) lo = mid + 1
      else hi = mid
    }
    bounds.push(lo)
  }
  bounds.push(customers)
  return bounds
}

function post(worker: Worker, message: WorkerMessage, transfer?: ArrayBuffer[]): void {
  worker.postMessage(message, transfer)
}

export interface ScoreSink {
  readonly out: LineWriter
  readonly report: PopulationReport
}

/**
 * Scores every customer and writes one line each, in table order, adding each record to the report.
 * With a pool and a store's table the work is spread over the pool's threads; otherwise it runs here.
 * Either way each record comes from `Scorer.score` and `formatRecord`, so the output is the same.
 */
export async function writeScores(
  table: CustomerTable,
  model: PopulationModel,
  config: ScoringConfig,
  asOf: string,
  format: RecordFormat,
  sink: ScoreSink,
  pool?: ScorePool,
): Promise<void> {
  if (pool !== undefined && table instanceof StoreCustomerTable) {
    const values = pool.valuesOf(table, model, config)
    await pool.score(
      { data: table.data, model, config, asOf, format, values },
      (i) => table.customerId(i),
      table.size,
      sink,
    )
    return
  }
  const { records } = scorePopulation(table, config, asOf, { runId: model.runId, model })
  for (const record of records) {
    sink.report.add(record)
    const wait = sink.out.line(formatRecord(record, format))
    if (wait) await wait
  }
}
