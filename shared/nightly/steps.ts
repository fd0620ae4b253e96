import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import { utcDay } from '../domain/dates.ts'
import { type ScoreRecord, ScoreRecordSchema } from '../domain/score-record.ts'
import { shardLabel } from '../domain/shard.ts'
import { toBusinessDay } from '../ingest/business-day.ts'
import type { Log } from '../logger.ts'
import { customerTable } from '../pipeline/customer-table.ts'
import { decodeFitInput, encodeFitInput, FitTableBuilder, fitGathered } from '../pipeline/fit-input.ts'
import { type CustomerInput, Scorer } from '../pipeline/population.ts'
import { RowStore } from '../pipeline/row-store.ts'
import {
  addRecord,
  emptyCounts,
  mergeCounts,
  presentCounts,
  type SegmentCounts,
} from '../pipeline/segment-counts.ts'
import { type ProspectRun, readProspectSummary } from '../prospect-scoring/prospect-files.ts'
import { PREFIXES } from '../resources.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import { curatedTransactions } from '../storage/curated-transactions.ts'
import type { HistoryStore } from '../storage/dynamo-history-store.ts'
import type { RunStore } from '../storage/dynamo-run-store.ts'
import type { ScoreStore } from '../storage/dynamo-score-store.ts'
import type { ObjectStore } from '../storage/s3-object-store.ts'
import { needsWrite } from './delta.ts'
import { type NightlyEvent, RUN_LEASE_SECONDS, type RunPlan } from './workflow.ts'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

export interface NightlyDeps {
  readonly objects: ObjectStore
  readonly scores: ScoreStore
  readonly history: HistoryStore
  readonly runs: RunStore
  readonly loadConfig: () => Promise<ScoringConfig>
  readonly shardCount: number
  readonly timeZone: string
  readonly now: () => Date
  readonly logger: Log
  /** Scores every prospect against a run's customer base; without it the prospect step does nothing. */
  readonly prospects?: ((run: { runId: string; asOf: string }) => Promise<ProspectRun>) | undefined
}

/** What one shard's Score step found: counts for the report, writes made, labels that moved. */
interface ShardStats {
  readonly shard: number
  readonly counts: SegmentCounts
  readonly written: number
  readonly changes: { customerId: string; field: 'tier' | 'rfmSegment'; from: string; to: string }[]
}

export const runKeys = {
  summaries: (runId: string, shard: number) =>
    `${PREFIXES.runs}${runId}/summaries/${shardLabel(shard)}.jsonl.gz`,
  /** The columns Fit reads, per customer of the shard's summaries, in their order (fit-input.ts). */
  fitInput: (runId: string, shard: number) =>
    `${PREFIXES.runs}${runId}/fit-input/${shardLabel(shard)}.bin.gz`,
  /** Every customer's record as scored by this run (exports read these). */
  scores: (runId: string, shard: number) => `${PREFIXES.runs}${runId}/scores/${shardLabel(shard)}.jsonl.gz`,
  /** The record each customer's LATEST item holds after this run: new, or carried over when unchanged. */
  served: (runId: string, shard: number) => `${PREFIXES.runs}${runId}/served/${shardLabel(shard)}.jsonl.gz`,
  shardStats: (runId: string, shard: number) =>
    `${PREFIXES.runs}${runId}/shard-stats/${shardLabel(shard)}.json`,
  report: (runId: string) => `${PREFIXES.runs}${runId}/report.json`,
  changes: (runId: string) => `${PREFIXES.runs}${runId}/changes.csv`,
}

/** How many tier or segment changes the report lists; all are in changes.csv. */
const REPORT_CHANGES = 100

/**
 * The steps of the nightly run. Each is idempotent: its outputs are named by run and shard, so a
 * retried or re-run step overwrites them, and the run is only served once Finalise switches CURRENT.
 */
export function nightlySteps(deps: NightlyDeps) {
  const curated = curatedTransactions(deps.objects)
  /** Every step starts by marking its run alive, so that a start of the same day sees it running. */
  const heartbeat = (runId: string) => deps.runs.heartbeat(runId, deps.now().toISOString())
  const configFor = async (asOf: string): Promise<ScoringConfig> => ({ ...(await deps.loadConfig()), asOf })

  const steps = {
    async plan(event: Extract<NightlyEvent, { step: 'plan' }>): Promise<RunPlan> {
      const asOf =
        event.asOf ??
        (event.scheduledTime ? toBusinessDay(event.scheduledTime, deps.timeZone) : undefined) ??
        utcDay(deps.now())
      const runId = asOf
      const existing = await deps.runs.getRun(runId)
      const current = await deps.runs.currentRunId()
      // Re-running a day keeps the run it was compared with the first time.
      const previousRunId = existing?.previousRunId ?? (current !== runId ? current : undefined)
      const now = deps.now()
      const started = await deps.runs.start(
        {
          runId,
          asOf,
          kind: 'nightly',
          startedAt: now.toISOString(),
          ...(previousRunId && { previousRunId }),
          ...(event.executionId && { executionId: event.executionId }),
        },
        { staleBefore: new Date(now.getTime() - RUN_LEASE_SECONDS * 1000).toISOString() },
      )
      if (!started.started) {
        const { executionId, heartbeatAt } = started.running
        deps.logger.warn('nightly run already running; this start does nothing', {
          runId,
          runningExecutionId: executionId,
          heartbeatAt,
        })
        return { runId, asOf, shards: [], alreadyRunning: true, running: { executionId, heartbeatAt } }
      }
      deps.logger.info('nightly run planned', { runId, shards: deps.shardCount })
      return {
        runId,
        asOf,
        shards: Array.from({ length: deps.shardCount }, (_, shard) => shard),
        alreadyRunning: false,
      }
    },

    async summarise(event: Extract<NightlyEvent, { step: 'summarise' }>) {
      await heartbeat(event.runId)
      const config = await configFor(event.asOf)
      const store = new RowStore()
      for (const row of await curated.read(event.shard)) store.add(row)
      const table = customerTable(store, event.asOf, config)
      const inputs = Array.from({ length: table.size }, (_, i) => table.input(i))
      await writeLines(deps.objects, runKeys.summaries(event.runId, event.shard), inputs)
      await deps.objects.write(
        runKeys.fitInput(event.runId, event.shard),
        await gzipAsync(encodeFitInput(table)),
        'application/gzip',
      )
      return { shard: event.shard, customers: inputs.length }
    },

    async fit(event: Extract<NightlyEvent, { step: 'fit' }>) {
      await heartbeat(event.runId)
      const config = await configFor(event.asOf)
      // The shards' fit inputs alone, in shard order: the same customers in the same order as the
      // summaries, so the model equals a fit on the summaries; beyond the sample limit, a sample.
      const gathered = new FitTableBuilder(config.fitSampleCustomers)
      for (let shard = 0; shard < deps.shardCount; shard++) {
        const key = runKeys.fitInput(event.runId, shard)
        const body = await deps.objects.readAll(key)
        if (!body) throw new Error(`run ${event.runId}: shard ${shard} has no fit input (was it summarised?)`)
        gathered.add(decodeFitInput(await gunzipAsync(body), key))
      }
      const model = fitGathered(gathered.build(), config, event.asOf, event.runId)
      await deps.runs.saveModel(event.runId, model)
      deps.logger.info('nightly model fitted', {
        runId: event.runId,
        customers: model.customers,
        sampled: model.sample?.customers ?? null,
        converged: model.bgnbd.converged && model.gammaGamma.converged,
      })
      return { runId: event.runId, customers: model.customers }
    },

    async score(event: Extract<NightlyEvent, { step: 'score' }>) {
      const { runId, asOf, shard } = event
      await heartbeat(runId)
      const [config, model, run] = await Promise.all([
        configFor(asOf),
        deps.runs.getModel(runId),
        deps.runs.getRun(runId),
      ])
      if (!model) throw new Error(`run ${runId} has no fitted model`)
      const scorer = new Scorer(model, config, asOf)
      const inputs = await readLines<CustomerInput>(deps.objects, runKeys.summaries(runId, shard))
      const previous = new Map<string, ScoreRecord>()
      if (run?.previousRunId) {
        for (const record of await readLines<ScoreRecord>(
          deps.objects,
          runKeys.served(run.previousRunId, shard),
        )) {
          previous.set(record.customerId, ScoreRecordSchema.parse(record))
        }
      }
      const records: ScoreRecord[] = []
      const served: ScoreRecord[] = []
      const changed: ScoreRecord[] = []
      const stats: ShardStats = { shard, counts: emptyCounts(), written: 0, changes: [] }
      for (const input of inputs) {
        const record = scorer.score(input)
        records.push(record)
        addRecord(stats.counts, record)
        const before = previous.get(record.customerId)
        for (const field of ['tier', 'rfmSegment'] as const) {
          if (before && before[field] !== record[field]) {
            stats.changes.push({
              customerId: record.customerId,
              field,
              from: before[field],
              to: record[field],
            })
          }
        }
        if (needsWrite(before, record)) {
          changed.push(record)
          served.push(record)
        } else if (before) {
          served.push(before)
        }
      }
      await deps.scores.putLatest(changed)
      await deps.history.append(changed, Math.floor(deps.now().getTime() / 1000))
      await writeLines(deps.objects, runKeys.scores(runId, shard), records)
      await writeLines(deps.objects, runKeys.served(runId, shard), served)
      const result = { ...stats, written: changed.length }
      await deps.objects.write(runKeys.shardStats(runId, shard), JSON.stringify(result), 'application/json')
      return { shard, customers: records.length, written: changed.length }
    },

    async prospects(event: Extract<NightlyEvent, { step: 'prospects' }>) {
      await heartbeat(event.runId)
      const scored = await deps.prospects?.({ runId: event.runId, asOf: event.asOf })
      return { runId: event.runId, prospects: scored?.prospects ?? 0 }
    },

    async finalise(event: Extract<NightlyEvent, { step: 'finalise' }>) {
      const { runId, asOf } = event
      await heartbeat(runId)
      const [model, run] = await Promise.all([deps.runs.getModel(runId), deps.runs.getRun(runId)])
      if (!model || !run) throw new Error(`run ${runId} has no fitted model`)
      const counts = emptyCounts()
      let written = 0
      const changes: ShardStats['changes'] = []
      for (let shard = 0; shard < deps.shardCount; shard++) {
        const body = await deps.objects.readAll(runKeys.shardStats(runId, shard))
        if (!body) throw new Error(`run ${runId}: shard ${shard} was not scored`)
        const stats = JSON.parse(Buffer.from(body).toString('utf8')) as ShardStats
        mergeCounts(counts, stats.counts)
        written += stats.written
        changes.push(...stats.changes)
      }
      changes.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0))
      const finishedAt = deps.now().toISOString()
      const report = {
        runId,
        asOf,
        kind: 'nightly',
        startedAt: run.startedAt,
        finishedAt,
        previousRunId: run.previousRunId ?? null,
        ...presentCounts(counts),
        pareto: model.pareto,
        model: {
          modelVersion: model.modelVersion,
          timeUnit: model.timeUnit,
          bgnbd: model.bgnbd,
          gammaGamma: model.gammaGamma,
          converged: model.bgnbd.converged && model.gammaGamma.converged,
          /** Null when the fit saw every customer; else how many it saw (fitSampleCustomers). */
          sample: model.sample ?? null,
        },
        writes: {
          records: counts.customers,
          written,
          skipped: counts.customers - written,
        },
        prospects: (await readProspectSummary(deps.objects, runId)) ?? null,
        changes: {
          tier: changes.filter((c) => c.field === 'tier').length,
          rfmSegment: changes.filter((c) => c.field === 'rfmSegment').length,
          listed: changes.slice(0, REPORT_CHANGES),
          all: runKeys.changes(runId),
        },
      }
      const csv = [
        'customer_id,field,from,to',
        ...changes.map((c) => `${c.customerId},${c.field},${c.from},${c.to}`),
      ]
      await deps.objects.write(runKeys.changes(runId), `${csv.join('\n')}\n`, 'text/csv; charset=utf-8')
      await deps.objects.write(runKeys.report(runId), JSON.stringify(report, null, 2), 'application/json')
      await deps.runs.update(runId, {
        status: 'succeeded',
        finishedAt,
        customers: counts.customers,
        reportKey: runKeys.report(runId),
      })
      await deps.runs.switchCurrent(runId)
      deps.logger.info('nightly run succeeded', { runId, customers: counts.customers, written })
      return { runId, status: 'succeeded', customers: counts.customers, written }
    },

    async fail(event: Extract<NightlyEvent, { step: 'fail' }>) {
      const error = describeError(event.error)
      await deps.runs.update(event.runId, { status: 'failed', finishedAt: deps.now().toISOString(), error })
      deps.logger.error('nightly run failed; the previous run stays served', { runId: event.runId, error })
      return { runId: event.runId, status: 'failed' }
    },
  }

  return {
    ...steps,
    run(event: NightlyEvent): Promise<unknown> {
      switch (event.step) {
        case 'plan':
          return steps.plan(event)
        case 'summarise':
          return steps.summarise(event)
        case 'fit':
          return steps.fit(event)
        case 'score':
          return steps.score(event)
        case 'prospects':
          return steps.prospects(event)
        case 'finalise':
          return steps.finalise(event)
        case 'fail':
          return steps.fail(event)
      }
    },
  }
}

/** Step Functions hands a caught error over as {Error, Cause}; the local runner as an Error. */
function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  if (error && typeof error === 'object' && 'Error' in error) {
    const { Error: name, Cause: cause } = error as { Error?: unknown; Cause?: unknown }
    return `${String(name)}${cause ? `: ${String(cause).slice(0, 500)}` : ''}`
  }
  return 'unknown error'
}

export async function writeLines(
  objects: ObjectStore,
  key: string,
  items: readonly unknown[],
): Promise<void> {
  const text = items.map((item) => JSON.stringify(item)).join('\n')
  await objects.write(key, await gzipAsync(text), 'application/gzip')
}

/** Reads a JSON-lines object this run wrote itself; a missing object is an empty list. */
export async function readLines<T>(objects: ObjectStore, key: string): Promise<T[]> {
  const body = await objects.readAll(key)
  if (!body) return []
  const text = (await gunzipAsync(body)).toString('utf8')
  return text.length === 0 ? [] : text.split('\n').map((line) => JSON.parse(line) as T)
}
