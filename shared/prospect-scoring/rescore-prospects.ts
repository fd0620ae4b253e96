import { utcDay } from '../domain/dates.ts'
import type { Log } from '../logger.ts'
import { readLines, runKeys, writeLines } from '../nightly/steps.ts'
import { buildLookalikeBase, type CustomerValue } from '../prospects/lookalike.ts'
import { scoreProspects } from '../prospects/score-prospects.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import type { CuratedProfiles } from '../storage/curated-profiles.ts'
import type { ProspectStore } from '../storage/dynamo-prospect-store.ts'
import type { RunStore } from '../storage/dynamo-run-store.ts'
import type { ObjectStore } from '../storage/s3-object-store.ts'
import { type ProspectRun, prospectKeys } from './prospect-files.ts'

export interface RescoreProspectsDeps {
  readonly objects: ObjectStore
  readonly profiles: CuratedProfiles
  readonly prospects: ProspectStore
  readonly runs: Pick<RunStore, 'currentRunId'>
  readonly loadConfig: () => Promise<ScoringConfig>
  readonly shardCount: number
  readonly now: () => Date
  readonly logger: Log
}

/**
 * Scores every stored prospect against a run's customer base: the net values of the run's score
 * files (runs/<runId>/scores/, every customer the run scored) joined with the customer master. On
 * upload the run is the one being served (a run published by ingest has no score files, so its base
 * is empty until the first nightly run); the nightly run passes its own run and day. Writes each
 * prospect's LATEST item and the run's prospect files; whole-record puts, so a repeat is harmless.
 */
export function rescoreProspects(deps: RescoreProspectsDeps) {
  return async (
    run: { runId?: string | undefined; asOf?: string | undefined } = {},
  ): Promise<ProspectRun> => {
    const asOf = run.asOf ?? utcDay(deps.now())
    const runId = run.runId ?? (await deps.runs.currentRunId()) ?? null
    const [config, master, rows] = await Promise.all([
      deps.loadConfig(),
      deps.profiles.customers(),
      deps.profiles.prospects(),
    ])
    const values = runId ? await customerValues(deps.objects, runId, deps.shardCount) : []
    const base = buildLookalikeBase(values, master)
    const { records, summary } = scoreProspects(rows, base, config.prospects, asOf, runId)
    const scored = new Set(records.map((record) => record.prospectId))
    const stale = (await lastScoredIds(deps, runId)).filter((id) => !scored.has(id))
    await deps.prospects.putLatest(records)
    if (stale.length > 0) await deps.prospects.remove(stale, deps.now().toISOString())
    if (runId) {
      await writeLines(deps.objects, prospectKeys.scores(runId), records)
      const body = JSON.stringify({ runId, asOf, ...summary }, null, 2)
      await deps.objects.write(prospectKeys.summary(runId), body, 'application/json')
    }
    deps.logger.info('prospects scored', {
      runId,
      prospects: records.length,
      customerBase: base.populationCustomers,
    })
    return { prospects: records.length, asOf, runId, summary }
  }
}

export type RescoreProspects = ReturnType<typeof rescoreProspects>

/**
 * The prospects scored last: those of the run's own prospect file (a repeat of the run, or an
 * upload since) or else of the served run's; their items are replaced by tombstones when they are
 * no longer in any file.
 */
async function lastScoredIds(deps: RescoreProspectsDeps, runId: string | null): Promise<string[]> {
  const current = await deps.runs.currentRunId()
  for (const id of new Set([runId, current])) {
    if (!id) continue
    const lines = await readLines<{ prospectId: string }>(deps.objects, prospectKeys.scores(id))
    if (lines.length > 0) return lines.map((line) => line.prospectId)
  }
  return []
}

/** Customer ids and net values of every shard's score file of a run; none when it has no files. */
async function customerValues(objects: ObjectStore, runId: string, shardCount: number) {
  const values: CustomerValue[] = []
  for (let shard = 0; shard < shardCount; shard++) {
    for (const { customerId, netValue } of await readLines<CustomerValue>(
      objects,
      runKeys.scores(runId, shard),
    )) {
      values.push({ customerId, netValue })
    }
  }
  return values
}
