import type { ScoreRecord } from '../domain/score-record.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import { type CustomerTable, customerTable, isCustomerTable, tableOfInputs } from './customer-table.ts'
import { type CustomerInput, fitTable, type PopulationModel, Scorer } from './population.ts'
import type { RowStore } from './row-store.ts'

/** Summaries and spend series of every customer with a purchase on or before the as-of day. */
export function customerInputs(store: RowStore, asOf: string, config: ScoringConfig): CustomerInput[] {
  const table = customerTable(store, asOf, config)
  return Array.from({ length: table.size }, (_, i) => table.input(i))
}

export interface ScoredPopulation {
  readonly model: PopulationModel
  readonly records: Iterable<ScoreRecord>
}

/**
 * The one scoring path shared by the command-line scorer, ingest and the nightly run: fit the
 * population model on every customer (unless a fitted model is given), then score each customer.
 * Customers come as inputs or, for large populations, as a `customerTable` of a RowStore, whose
 * records are built one at a time as they are read.
 */
export function scorePopulation(
  customers: readonly CustomerInput[] | CustomerTable,
  config: ScoringConfig,
  asOf: string,
  options: { readonly runId: string; readonly model?: PopulationModel | undefined },
): ScoredPopulation {
  const table = isCustomerTable(customers) ? customers : undefined
  const model =
    options.model ??
    fitTable(table ?? tableOfInputs(customers as CustomerInput[]), config, asOf, options.runId)
  const scorer = new Scorer(model, config, asOf)
  return {
    model,
    records: {
      *[Symbol.iterator]() {
        if (table === undefined) for (const input of customers as CustomerInput[]) yield scorer.score(input)
        else for (let i = 0; i < table.size; i++) yield scorer.score(table.input(i))
      },
    },
  }
}
