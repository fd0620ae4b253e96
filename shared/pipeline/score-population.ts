import type { ScoreRecord } from '../domain/score-record.ts'
import { summariseCustomer } from '../scoring/summary.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import { periodicSpend } from './periodic.ts'
import { type CustomerInput, fitPopulation, type PopulationModel, Scorer } from './population.ts'
import type { RowStore } from './row-store.ts'

/** Summaries and spend series of every customer with a purchase on or before the as-of day. */
export function customerInputs(store: RowStore, asOf: string, config: ScoringConfig): CustomerInput[] {
  const options = { asOf, unit: config.timeUnit, marginRate: config.marginRate }
  const inputs: CustomerInput[] = []
  for (const [customerId, rows] of store.byCustomer()) {
    const summary = summariseCustomer(customerId, rows, options)
    if (!summary) continue
    inputs.push({ summary, periodic: periodicSpend(rows, asOf, config.lookbackMonths, config.marginRate) })
  }
  return inputs
}

export interface ScoredPopulation {
  readonly model: PopulationModel
  readonly records: Iterable<ScoreRecord>
}

/**
 * The one scoring path shared by the command-line scorer, ingest and the nightly run: fit the
 * population model on every customer (unless a fitted model is given), then score each customer.
 */
export function scorePopulation(
  inputs: readonly CustomerInput[],
  config: ScoringConfig,
  asOf: string,
  options: { readonly runId: string; readonly model?: PopulationModel | undefined },
): ScoredPopulation {
  const model = options.model ?? fitPopulation(inputs, config, asOf, options.runId)
  const scorer = new Scorer(model, config, asOf)
  return {
    model,
    records: {
      *[Symbol.iterator]() {
        for (const input of inputs) yield scorer.score(input)
      },
    },
  }
}
