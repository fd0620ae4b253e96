import { createReadStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ScoreRecordSchema } from '../../../shared/domain/score-record.ts'
import { parseTransactions } from '../../../shared/ingest/parse-transactions.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'
import { customerInputs, scorePopulation } from '../../../shared/pipeline/score-population.ts'
import { parseScoringConfig } from '../../../shared/scoring-config.ts'

const SAMPLE = join(import.meta.dirname, '../../../infra/local/sample/cdnow-transactions.csv')

async function loadSample(): Promise<RowStore> {
  const store = new RowStore()
  for await (const batch of parseTransactions(createReadStream(SAMPLE), {
    fileName: 'cdnow.csv',
    timeZone: 'UTC',
  })) {
    expect(batch.rejections).toEqual([])
    for (const row of batch.rows) store.add(row)
  }
  return store
}

describe('the scoring path from a transaction file', () => {
  it('reproduces the published CDNOW BG/NBD and Gamma-Gamma fits from the sample CSV', async () => {
    const config = parseScoringConfig({ timeUnit: 'weeks' })
    const inputs = customerInputs(await loadSample(), '1997-09-30', config)
    const { model } = scorePopulation(inputs, config, '1997-09-30', { runId: 't' })
    expect(model.customers).toBe(2357)
    expect(model.bgnbd.r).toBeCloseTo(0.243, 3)
    expect(model.bgnbd.alpha).toBeCloseTo(4.414, 2)
    expect(model.bgnbd.a).toBeCloseTo(0.793, 3)
    expect(model.bgnbd.b).toBeCloseTo(2.426, 2)
    expect(model.bgnbd.logLikelihood).toBeCloseTo(-9582.4, 0)
    expect(model.gammaGamma).toMatchObject({ customers: 946 })
    expect(model.gammaGamma.p).toBeCloseTo(6.25, 1)
    expect(model.gammaGamma.q).toBeCloseTo(3.74, 1)
    expect(model.gammaGamma.v).toBeCloseTo(15.44, 1)
  })

  it('gives every customer a valid record with at least one reason per decision', async () => {
    const config = parseScoringConfig({
      marginRate: 0.3,
      marketingCostPerCustomer: 2,
      retentionCostPerYear: 1,
    })
    const inputs = customerInputs(await loadSample(), '1998-06-30', config)
    const records = [...scorePopulation(inputs, config, '1998-06-30', { runId: 't' }).records]
    expect(records).toHaveLength(2357)
    for (const record of records) {
      ScoreRecordSchema.parse(record)
      const codes = record.reasons.map((r) => r.code)
      expect(codes.some((c) => c.startsWith('DECISION_'))).toBe(true)
      expect(codes.some((c) => c.startsWith('TIER_'))).toBe(true)
      expect(codes.some((c) => c.startsWith('QUADRANT_'))).toBe(true)
      expect(codes.some((c) => c.startsWith('PATTERN_'))).toBe(true)
      expect(codes.some((c) => c.startsWith('CHURN_RISK_'))).toBe(true)
    }
    const key = records.filter((r) => r.tier === 'key').length
    expect(key).toBe(Math.round(0.2 * 2357))
  })

  it('scores a customer the same with a stored model as in the population it was fitted on', async () => {
    const config = parseScoringConfig({})
    const inputs = customerInputs(await loadSample(), '1998-06-30', config)
    const full = scorePopulation(inputs, config, '1998-06-30', { runId: 'r1' })
    const stored = JSON.parse(JSON.stringify(full.model))
    const some = inputs.filter((_, i) => i % 97 === 0)
    const again = [...scorePopulation(some, config, '1998-06-30', { runId: 'r1', model: stored }).records]
    const byId = new Map([...full.records].map((r) => [r.customerId, r]))
    for (const record of again) expect(record).toEqual(byId.get(record.customerId))
  })

  it('gives the same records whatever the order of the rows', async () => {
    const config = parseScoringConfig({})
    const sample = await loadSample()
    const rows = [...sample.byCustomer()].flatMap(([customerId, list]) =>
      list.map((r) => ({ customerId, ...r })),
    )
    let seed = 7
    const shuffled = rows
      .map((row) => {
        seed = (seed * 16807) % 2147483647
        return { row, key: seed }
      })
      .sort((a, b) => a.key - b.key)
      .map(({ row }) => row)
    const other = new RowStore()
    for (const row of shuffled) other.add(row)
    const score = (store: RowStore) => {
      const records = [
        ...scorePopulation(customerInputs(store, '1998-06-30', config), config, '1998-06-30', { runId: 't' })
          .records,
      ]
      return records.sort((a, b) => a.customerId.localeCompare(b.customerId))
    }
    expect(score(other)).toEqual(score(sample))
  })

  it('flags customers whose net value is below the planned marketing cost', async () => {
    const config = parseScoringConfig({ marketingCostPerCustomer: 1_000 })
    const inputs = customerInputs(await loadSample(), '1998-06-30', config)
    const records = [...scorePopulation(inputs, config, '1998-06-30', { runId: 't' }).records]
    const below = records.filter((r) => r.netValue < 1_000)
    expect(below.length).toBeGreaterThan(0)
    for (const r of below) {
      expect(['reduce', 'stop']).toContain(r.decision)
      expect(r.reasons.map((x) => x.code)).toContain('NET_VALUE_BELOW_MARKETING_COST')
    }
  })
})

describe('the sample file', () => {
  it('holds the 6,919 CDNOW purchases', () => {
    expect(readFileSync(SAMPLE, 'utf8').trim().split('\n')).toHaveLength(6920)
  })
})

describe('degenerate populations', () => {
  it('gives finite, valid records when the spend fit has no population mean (q <= 1)', () => {
    const rows = [
      { customerId: 'c0', date: '2025-01-02', amount: 0.06 },
      { customerId: 'c1', date: '2025-01-02', amount: 0 },
      { customerId: 'c1', date: '2025-01-03', amount: 0.01 },
      { customerId: 'c0', date: '2025-01-01', amount: 0 },
      { customerId: 'c7', date: '2025-01-01', amount: 0 },
      { customerId: 'c1', date: '2025-01-01', amount: 0 },
    ]
    const store = new RowStore()
    for (const row of rows) store.add(row)
    const config = parseScoringConfig({ timeUnit: 'weeks', marginRate: 0.3, retentionCostPerYear: 12 })
    const { model, records } = scorePopulation(
      customerInputs(store, '2025-12-31', config),
      config,
      '2025-12-31',
      {
        runId: 't',
      },
    )
    expect(Number.isFinite(model.gammaGamma.populationMeanSpend)).toBe(true)
    for (const record of records) expect(() => ScoreRecordSchema.parse(record)).not.toThrow()
    for (const record of [
      ...scorePopulation(customerInputs(store, '2025-12-31', config), config, '2025-12-31', { runId: 't' })
        .records,
    ]) {
      expect(Number.isFinite(record.clv) && Number.isFinite(record.netValue)).toBe(true)
    }
  })
})
