import { utcDay } from '../domain/dates.ts'
import type { Log } from '../logger.ts'
import { RowStore } from '../pipeline/row-store.ts'
import { customerInputs, scorePopulation } from '../pipeline/score-population.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import type { CuratedTransactions } from '../storage/curated-transactions.ts'
import type { HistoryStore } from '../storage/dynamo-history-store.ts'
import type { RunStore } from '../storage/dynamo-run-store.ts'
import type { ScoreStore } from '../storage/dynamo-score-store.ts'

export type RescoreShards = (shards: readonly number[]) => Promise<{ customers: number; asOf: string }>

export interface RescoreDeps {
  readonly curated: CuratedTransactions
  readonly scores: ScoreStore
  readonly history: HistoryStore
  readonly runs: RunStore
  readonly loadConfig: () => Promise<ScoringConfig>
  readonly shardCount: number
  readonly now: () => Date
  readonly logger: Log
}

/**
 * Re-scores every customer of the given shards as of today (UTC) with the current run's fitted model
 * and cut-offs, never with statistics of the upload alone. Before the first run, the model is fitted
 * on all stored data and published as the current run. Writes are whole-record puts: running it
 * twice leaves the same records.
 */
export function rescoreShards(deps: RescoreDeps): RescoreShards {
  return async (shards) => {
    const asOf = utcDay(deps.now())
    const config = { ...(await deps.loadConfig()), asOf }
    let model = await deps.runs.currentModel()
    if (model && model.timeUnit !== config.timeUnit) model = undefined
    const affected = new Set(shards)
    const toRead = model ? [...affected] : Array.from({ length: deps.shardCount }, (_, shard) => shard)

    const all = new RowStore()
    const inShards = new Set<string>()
    for (const shard of toRead) {
      for (const row of await deps.curated.read(shard)) {
        all.add(row)
        if (affected.has(shard)) inShards.add(row.customerId)
      }
    }
    const inputs = customerInputs(all, asOf, config)
    if (inputs.length === 0) return { customers: 0, asOf }
    if (!model) {
      const fitted = scorePopulation(inputs, config, asOf, { runId: `ingest-${asOf}` }).model
      await deps.runs.publish(fitted, 'ingest')
      deps.logger.info('no current run: fitted the model on all stored data', { runId: fitted.runId })
      model = fitted
    }
    const affectedInputs = inputs.filter((input) => inShards.has(input.summary.customerId))
    const { records } = scorePopulation(affectedInputs, config, asOf, { runId: model.runId, model })
    const list = [...records]
    await deps.scores.putLatest(list)
    await deps.history.append(list, Math.floor(deps.now().getTime() / 1000))
    return { customers: list.length, asOf }
  }
}
