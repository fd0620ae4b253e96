import { gunzipSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_GENERATOR_OPTIONS, generateTransactions } from '../../../scripts/generate.ts'
import { shardOf } from '../../../shared/domain/shard.ts'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import { parseTransactions } from '../../../shared/ingest/parse-transactions.ts'
import { customerTable } from '../../../shared/pipeline/customer-table.ts'
import {
  decodeFitInput,
  encodeFitInput,
  type FitInput,
  FitTableBuilder,
  fitGathered,
  InvalidFitInputError,
} from '../../../shared/pipeline/fit-input.ts'
import { type CustomerInput, fitPopulation } from '../../../shared/pipeline/population.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'
import { parseScoringConfig, type ScoringConfig } from '../../../shared/scoring-config.ts'

const AS_OF = '2025-12-31'
const SHARDS = 4

async function generatedRows(customers: number, seed: number): Promise<Transaction[]> {
  const chunks: string[] = []
  const generator = generateTransactions({ ...DEFAULT_GENERATOR_OPTIONS, customers, seed })
  for (let step = generator.next(); !step.done; step = generator.next()) chunks.push(step.value)
  const bytes = new TextEncoder().encode(chunks.join(''))
  const rows: Transaction[] = []
  for await (const batch of parseTransactions(
    (async function* () {
      yield bytes
    })(),
    { fileName: 'generated.csv', timeZone: 'UTC' },
  )) {
    rows.push(...batch.rows)
  }
  return rows
}

/**
 * What Summarise writes for each shard, and what the Fit step read before the fit inputs: the
 * customers' inputs as JSON lines, and the fit input (through gzip, as stored).
 */
function summarise(rows: readonly Transaction[], config: ScoringConfig, shards = SHARDS) {
  return Array.from({ length: shards }, (_, shard) => {
    const store = new RowStore()
    for (const row of rows) if (shardOf(row.customerId, shards) === shard) store.add(row)
    const table = customerTable(store, AS_OF, config)
    const inputs = Array.from({ length: table.size }, (_, i) => table.input(i))
    const summaries = inputs.map((input) => JSON.stringify(input)).join('\n')
    return { summaries, fitInput: gzipSync(encodeFitInput(table)) }
  })
}

const readSummaries = (text: string): CustomerInput[] =>
  text.length === 0 ? [] : text.split('\n').map((line) => JSON.parse(line) as CustomerInput)
const readFitInput = (body: Uint8Array, shard = 0): FitInput =>
  decodeFitInput(gunzipSync(body), `fit-input/shard=${shard}.bin.gz`)

function gather(
  shards: readonly { fitInput: Uint8Array }[],
  limit?: number,
  order = shards.map((_, i) => i),
) {
  const builder = new FitTableBuilder(limit)
  for (const shard of order)
    builder.add(readFitInput((shards[shard] as { fitInput: Uint8Array }).fitInput, shard))
  return builder.build()
}

describe('the fit on the shards fit inputs', () => {
  let rows: Transaction[]
  beforeAll(async () => {
    rows = await generatedRows(6_000, 11)
  })

  it('gives exactly the model of the fit on the summaries, for every configuration tried', () => {
    for (const input of [
      {},
      { timeUnit: 'weeks', marginRate: 0.3, retentionCostPerYear: 5, lookbackMonths: 6 },
      { tiers: { keyShare: 0.1, generalShare: 0.5 }, rfm: { bins: 3 }, horizonDays: 730 },
    ]) {
      const config = parseScoringConfig(input)
      const shards = summarise(rows, config)
      const old = fitPopulation(
        shards.flatMap((shard) => readSummaries(shard.summaries)),
        config,
        AS_OF,
        'r1',
      )
      const gathered = gather(shards)
      expect(gathered.sample).toBeUndefined()
      const model = fitGathered(gathered, config, AS_OF, 'r1')
      expect(model).toEqual(old)
      expect(model.customers).toBeGreaterThan(5_000)
      expect(model.valueCutoffs.key).not.toBeNull()
    }
  })

  it('equals the fit on the summaries for any rows, refunds, zero and negative amounts included', () => {
    const dayAt = (offset: number) =>
      new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10)
    const row = fc.record(
      {
        customerId: fc.constantFrom('a', 'b', 'c', 'd', 'é-ü', 'C0000001', 'a-much-longer-customer-id-000'),
        date: fc.integer({ min: 0, max: 700 }).map(dayAt),
        amount: fc.oneof(
          fc.integer({ min: -3_000, max: 20_000 }).map((c) => c / 100),
          fc.constantFrom(0, -0),
        ),
        margin: fc.integer({ min: -100, max: 5000 }).map((c) => c / 100),
      },
      { requiredKeys: ['customerId', 'date', 'amount'] },
    )
    const config = parseScoringConfig({})
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 120 }), (generated) => {
        const transactions = generated.map((r, i) => ({ ...r, transactionId: `t${i}` }) as Transaction)
        const shards = summarise(transactions, config, 3)
        const inputs = shards.flatMap((shard) => readSummaries(shard.summaries))
        if (inputs.length === 0) return
        let old: unknown
        try {
          old = fitPopulation(inputs, config, AS_OF, 'r')
        } catch (error) {
          expect(() => fitGathered(gather(shards), config, AS_OF, 'r')).toThrow((error as Error).message)
          return
        }
        expect(fitGathered(gather(shards), config, AS_OF, 'r')).toEqual(old)
      }),
      { numRuns: 60 },
    )
  })

  it('stores a customer in under 40 bytes, less than half its summary line', () => {
    const shards = summarise(rows, parseScoringConfig({}))
    const customers = gather(shards).table.size
    const fitBytes = shards.reduce((sum, shard) => sum + shard.fitInput.length, 0)
    const summaryBytes = shards.reduce((sum, shard) => sum + gzipSync(shard.summaries).length, 0)
    expect(fitBytes / customers).toBeLessThan(40)
    expect(fitBytes).toBeLessThan(summaryBytes / 2)
  })

  it('draws the same sample whatever the order of the shards, and a fit on it lands near the full fit', () => {
    const config = parseScoringConfig({})
    const shards = summarise(rows, config)
    const full = fitGathered(gather(shards), config, AS_OF, 'r')
    const limit = 2_500
    const sampled = gather(shards, limit)
    const reversed = gather(shards, limit, [3, 2, 1, 0])
    const ids = (g: ReturnType<typeof gather>) =>
      Array.from({ length: g.table.size }, (_, i) => g.table.customerId(i)).sort()
    expect(ids(reversed)).toEqual(ids(sampled))
    expect(sampled.table.size).toBe(limit)
    // Every shard gives its share of the sample.
    const perShard = shards.map(
      (_, shard) => ids(sampled).filter((id) => shardOf(id, SHARDS) === shard).length,
    )
    for (const n of perShard) expect(n).toBeGreaterThan(limit / SHARDS / 1.5)

    const model = fitGathered(sampled, config, AS_OF, 'r')
    expect(fitGathered(gather(shards, limit), config, AS_OF, 'r')).toEqual(model)
    expect(model.sample).toEqual({
      customers: limit,
      population: full.customers,
      share: limit / full.customers,
      limit,
    })
    expect(model.customers).toBe(full.customers)
    expect(model.pareto.customers).toBe(full.customers)
    const near = (a: number, b: number, tolerance: number) =>
      expect(Math.abs(a / b - 1)).toBeLessThan(tolerance)
    // The purchase rate r / alpha and the dropout mean a / (a + b) are what the sample must recover.
    near(model.bgnbd.r / model.bgnbd.alpha, full.bgnbd.r / full.bgnbd.alpha, 0.15)
    near(model.bgnbd.a / (model.bgnbd.a + model.bgnbd.b), full.bgnbd.a / (full.bgnbd.a + full.bgnbd.b), 0.2)
    near(model.gammaGamma.populationMeanSpend, full.gammaGamma.populationMeanSpend, 0.1)
    near(model.valueCutoffs.key?.netValue as number, full.valueCutoffs.key?.netValue as number, 0.15)
    near(model.pareto.totalPositiveValue, full.pareto.totalPositiveValue, 0.1)
    expect(
      Math.abs((model.pareto.valueShareOfTop as number) - (full.pareto.valueShareOfTop as number)),
    ).toBeLessThan(0.03)
    expect(Math.abs(model.contributionThreshold / full.contributionThreshold - 1)).toBeLessThan(0.15)
  })

  it('keeps every customer up to the limit', () => {
    const shards = summarise(rows, parseScoringConfig({}))
    const all = gather(shards)
    const atLimit = gather(shards, all.table.size)
    expect(atLimit.sample).toBeUndefined()
    expect(atLimit.table.size).toBe(all.table.size)
    expect(Array.from(atLimit.table.x)).toEqual(Array.from(all.table.x))
  })
})

describe('a fit input that is not one', () => {
  it('is refused with its name and what is wrong', () => {
    const table = {
      size: 2,
      ...Object.fromEntries(
        ['x', 'tx', 'T', 'zbar', 'occasions', 'averageSpend', 'recencyDays', 'contribution'].map((name) => [
          name,
          Float64Array.of(1, 2),
        ]),
      ),
      customerId: (i: number) => ['a', 'b'][i] as string,
    } as unknown as Parameters<typeof encodeFitInput>[0]
    const bytes = encodeFitInput(table)
    expect(decodeFitInput(bytes, 'k').size).toBe(2)
    expect(() =>
      decodeFitInput(bytes.subarray(0, bytes.length - 1), 'runs/x/fit-input/shard=0001.bin.gz'),
    ).toThrow(
      new InvalidFitInputError(
        `runs/x/fit-input/shard=0001.bin.gz: ${bytes.length - 1} bytes, but its header says 2 customers with 2 bytes of ids (${bytes.length} bytes)`,
      ),
    )
    expect(() => decodeFitInput(new TextEncoder().encode('{"summary":{}}\n{"summary":{}}'), 'k')).toThrow(
      'k: not a fit input (bad magic number)',
    )
  })
})
