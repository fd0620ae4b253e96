import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import { customerTable, tableOfInputs } from '../../../shared/pipeline/customer-table.ts'
import { FIT_COLUMNS } from '../../../shared/pipeline/fit-input.ts'
import { periodicSpend } from '../../../shared/pipeline/periodic.ts'
import type { CustomerInput } from '../../../shared/pipeline/population.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'
import { customerInputs } from '../../../shared/pipeline/score-population.ts'
import { summariseCustomer } from '../../../shared/scoring/summary.ts'
import { parseScoringConfig } from '../../../shared/scoring-config.ts'

const START = Date.UTC(2024, 0, 1)
const dateAt = (offset: number) => new Date(START + offset * 86_400_000).toISOString().slice(0, 10)

const row = fc.record(
  {
    customerId: fc.constantFrom('a', 'b', 'c', 'd', 'C0000001', 'a-much-longer-customer-id'),
    date: fc.integer({ min: 0, max: 500 }).map(dateAt),
    amount: fc.oneof(
      fc.integer({ min: -3_000, max: 20_000 }).map((c) => c / 100),
      fc.constantFrom(0, -0),
    ),
    margin: fc.integer({ min: -100, max: 5000 }).map((c) => c / 100),
    transactionId: fc.integer({ min: 0, max: 100 }).map((t) => `t${t}`),
  },
  { requiredKeys: ['customerId', 'date', 'amount'] },
)

const config = fc
  .record({
    timeUnit: fc.constantFrom('days' as const, 'weeks' as const),
    lookbackMonths: fc.integer({ min: 3, max: 24 }),
    marginRate: fc.constantFrom(1, 0.3),
  })
  .map((c) => parseScoringConfig(c))

/** The inputs as built before the columns: summariseCustomer and periodicSpend on each customer's rows. */
function reference(
  store: RowStore,
  asOf: string,
  cfg: ReturnType<typeof parseScoringConfig>,
): CustomerInput[] {
  const inputs: CustomerInput[] = []
  for (const [customerId, rows] of store.byCustomer()) {
    const summary = summariseCustomer(customerId, rows, {
      asOf,
      unit: cfg.timeUnit,
      marginRate: cfg.marginRate,
    })
    if (summary)
      inputs.push({ summary, periodic: periodicSpend(rows, asOf, cfg.lookbackMonths, cfg.marginRate) })
  }
  return inputs
}

describe('the customer table of a store', () => {
  it('gives exactly the summaries and spend series of the per-customer path', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 200 }),
        fc.integer({ min: 0, max: 520 }).map(dateAt),
        config,
        (rows: Transaction[], asOf, cfg) => {
          const store = new RowStore()
          store.addAll(rows)
          const expected = reference(store, asOf, cfg)
          expect(customerInputs(store, asOf, cfg)).toEqual(expected)
          const table = customerTable(store, asOf, cfg)
          expect(table.size).toBe(expected.length)
          expected.forEach((input, i) => {
            expect(table.customerId(i)).toBe(input.summary.customerId)
            expect(table.x[i]).toBe(input.summary.x)
            expect(table.T[i]).toBe(input.summary.T)
            expect(table.contribution[i]).toBe(input.periodic.contribution)
          })
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reads inputs into the same columns', () => {
    const store = new RowStore()
    store.addAll([
      { customerId: 'a', date: '2025-01-01', amount: 5 },
      { customerId: 'a', date: '2025-02-01', amount: 7, margin: 1 },
      { customerId: 'b', date: '2025-03-01', amount: 3 },
      { customerId: 'c', date: '2025-09-01', amount: 3 },
    ])
    const cfg = parseScoringConfig({})
    const fromStore = customerTable(store, '2025-06-30', cfg)
    const inputs = customerInputs(store, '2025-06-30', cfg)
    const fromInputs = tableOfInputs(inputs)
    expect(fromInputs.size).toBe(2)
    for (const column of FIT_COLUMNS) {
      expect([...fromInputs[column]]).toEqual([...fromStore[column]])
    }
    expect(fromInputs.input(1)).toBe(inputs[1])
    expect(fromInputs.uniqueIds).toBe(true)
    expect(tableOfInputs([...inputs, ...inputs]).uniqueIds).toBe(false)
  })
})
