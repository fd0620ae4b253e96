import type { ScoreRecord } from '../domain/score-record.ts'
import type { Transaction } from '../domain/transaction.ts'
import { BadRequestError, HttpError, NotFoundError } from '../http/errors.ts'
import { businessDayResolver } from '../ingest/business-day.ts'
import { COLUMNS, RowChecker, type RowRejection } from '../ingest/transaction-fields.ts'
import { type PopulationModel, Scorer } from '../pipeline/population.ts'
import { RowStore } from '../pipeline/row-store.ts'
import { customerInputs } from '../pipeline/score-population.ts'
import type { ScoringConfig } from '../scoring-config.ts'
import type { ScoreRequest } from './schemas.ts'

export interface ScoreCustomerDeps {
  /** The model of the run being served; undefined before any run. */
  readonly currentModel: () => Promise<PopulationModel | undefined>
  readonly loadConfig: () => Promise<ScoringConfig>
  readonly timeZone: string
  readonly today: () => string
}

/** 422: the transactions hold no purchase on or before the as-of day, so there is nothing to score. */
export class NoPurchaseError extends HttpError {
  constructor(asOf: string) {
    super(422, 'no_purchase', 'no purchase on or before the as-of day', { asOf })
  }
}

/**
 * Scores one customer from posted transactions with the current run's model, as the nightly run
 * would score the same history on the same day: the rows pass the upload contract's checks, go
 * through the same summaries and the same Scorer. Nothing is stored.
 */
export async function scoreCustomer(request: ScoreRequest, deps: ScoreCustomerDeps): Promise<ScoreRecord> {
  const rows = checkRows(request, deps.timeZone)
  const model = await deps.currentModel()
  if (!model) throw new NotFoundError('run_not_found', 'no scoring run has finished yet')
  const asOf = request.asOf ?? deps.today()
  // The run's parameters are rates in its time unit, so its records and this one must share it.
  const config: ScoringConfig = { ...(await deps.loadConfig()), asOf, timeUnit: model.timeUnit }
  const store = new RowStore()
  store.addAll(rows)
  const [input] = customerInputs(store, asOf, config)
  if (!input) throw new NoPurchaseError(asOf)
  return new Scorer(model, config, asOf).score(input)
}

/** The upload contract's row checks (transaction-fields.ts); a 400 names each bad transaction and field. */
function checkRows(request: ScoreRequest, timeZone: string): Transaction[] {
  const rows: Transaction[] = []
  const rejections: RowRejection[] = []
  const checker = new RowChecker(businessDayResolver(timeZone), {
    accept: (row) => rows.push(row),
    reject: (rejection) => rejections.push(rejection),
  })
  request.transactions.forEach((t, index) => {
    checker.checkObject(index, {
      [COLUMNS.customerId]: request.customerId,
      [COLUMNS.date]: t.transaction_date ?? t.date,
      [COLUMNS.amount]: t.amount,
      [COLUMNS.transactionId]: t.transaction_id,
      [COLUMNS.margin]: t.margin,
    })
  })
  if (rejections.length > 0) {
    const details = rejections.map(({ line: index, field, reason }) => {
      const name = field === COLUMNS.date && request.transactions[index]?.date !== undefined ? 'date' : field
      return { field: `transactions[${index}].${name}`, index, problem: reason }
    })
    throw new BadRequestError('invalid transactions', details)
  }
  return rows
}
