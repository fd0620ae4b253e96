import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CustomerTable, customerTable, tableOfInputs } from '../../../shared/pipeline/customer-table.ts'
import { LineWriter } from '../../../shared/pipeline/line-writer.ts'
import { ScorePool, writeScores } from '../../../shared/pipeline/parallel-score.ts'
import { fitTable } from '../../../shared/pipeline/population.ts'
import { csvHeader, formatRecord, type RecordFormat } from '../../../shared/pipeline/record-format.ts'
import { populationReport } from '../../../shared/pipeline/report.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'
import { customerInputs, scorePopulation } from '../../../shared/pipeline/score-population.ts'
import { parseScoringConfig } from '../../../shared/scoring-config.ts'
import { loadRows, loadSample, storeOf } from './cdnow-sample.ts'

const AS_OF = '1998-06-30'

/** Collects what a LineWriter writes. */
function sink() {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { out: new LineWriter(stream, 1 << 12), text: () => Buffer.concat(chunks).toString('utf8') }
}

/**
 * Two pools of worker threads score the whole sample twice over: over 5 s (vitest's default) on a
 * busy 2-core machine. Its speed is measured by the benchmarks; this test checks equality only.
 */
const WORKER_TEST_TIMEOUT_MS = 60_000

describe('scoring with worker threads', () => {
  const pools: ScorePool[] = []
  beforeAll(() => {
    pools.push(ScorePool.start(1) as ScorePool, ScorePool.start(3) as ScorePool)
  })
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()))
  })

  it('builds the same table, fits the same model, writes the same lines and report as one thread', {
    timeout: WORKER_TEST_TIMEOUT_MS,
  }, async () => {
    const config = parseScoringConfig({
      marginRate: 0.3,
      retentionCostPerYear: 2,
      marketingCostPerCustomer: 1,
    })
    const store = await loadSample()
    const single = customerTable(store, AS_OF, config)
    const model = fitTable(single, config, AS_OF, 'r1')
    for (const format of ['jsonl', 'csv'] as RecordFormat[]) {
      const expected = sink()
      const expectedReport = populationReport(model)
      if (format === 'csv') await expected.out.line(csvHeader())
      for (const record of scorePopulation(single, config, AS_OF, { runId: 'r1', model }).records) {
        expectedReport.add(record)
        // The reference: JSON.stringify itself for JSON lines (the scorer writes the same text faster).
        await expected.out.line(format === 'jsonl' ? JSON.stringify(record) : formatRecord(record, format))
      }
      await expected.out.end()
      for (const pool of pools) {
        const table = await pool.table(store, AS_OF, config)
        expect([...Array(table.size).keys()].map((i) => table.input(i))).toEqual(
          customerInputs(store, AS_OF, config),
        )
        const fitted = await pool.fit(table, config, AS_OF, 'r1')
        expect(fitted).toEqual(model)
        const actual = sink()
        const report = populationReport(model)
        if (format === 'csv') await actual.out.line(csvHeader())
        // The pool's own model: the value figures computed in its fit are read, not computed again.
        await writeScores(table, fitted, config, AS_OF, format, { out: actual.out, report }, pool)
        await actual.out.end()
        expect(actual.text()).toBe(expected.text())
        expect(report.summary()).toEqual(expectedReport.summary())
      }
    }
  })

  it('writes the same file, reusing the output buffers of the workers once written', async () => {
    const config = parseScoringConfig({})
    const store = await loadSample()
    const dir = mkdtempSync(join(tmpdir(), 'parallel-score-'))
    const write = async (file: string, pool?: ScorePool) => {
      const table = pool ? await pool.table(store, AS_OF, config) : customerTable(store, AS_OF, config)
      const model = pool ? await pool.fit(table, config, AS_OF, 'r') : fitTable(table, config, AS_OF, 'r')
      // A small buffer and many blocks, so that buffers go back and forth.
      const out = new LineWriter(createWriteStream(join(dir, file)), 1 << 10)
      await writeScores(table, model, config, AS_OF, 'jsonl', { out, report: populationReport(model) }, pool)
      await out.end()
      return readFileSync(join(dir, file), 'utf8')
    }
    const expected = await write('single.jsonl')
    expect(expected.split('\n')).toHaveLength(2358)
    for (const [k, pool] of pools.entries()) expect(await write(`pool-${k}.jsonl`, pool)).toBe(expected)
  })

  it('scores with the model and configuration it is given, not with the value figures of its last fit', {
    timeout: WORKER_TEST_TIMEOUT_MS,
  }, async () => {
    const store = await loadSample()
    const fittedConfig = parseScoringConfig({})
    const config = parseScoringConfig({ marginRate: 0.3, retentionCostPerYear: 2 })
    const single = customerTable(store, AS_OF, config)
    const model = fitTable(single, config, AS_OF, 'other')
    const linesOf = (m: typeof model) =>
      Array.from(scorePopulation(single, config, AS_OF, { runId: m.runId, model: m }).records, (record) =>
        JSON.stringify(record),
      )
    const scored = async (pool: ScorePool, table: CustomerTable, m: typeof model) => {
      const actual = sink()
      const sinks = { out: actual.out, report: populationReport(m) }
      await writeScores(table, m, config, AS_OF, 'jsonl', sinks, pool)
      await actual.out.end()
      return actual.text().trimEnd().split('\n')
    }
    for (const pool of pools) {
      const table = await pool.table(store, AS_OF, config)
      const fitted = await pool.fit(table, fittedConfig, AS_OF, 'r')
      // Another model, and the fitted model under another configuration than the fit's.
      for (const m of [model, fitted]) expect(await scored(pool, table, m)).toEqual(linesOf(m))
      // Fitted under this configuration, then scored with another model.
      const same = await pool.fit(table, config, AS_OF, 'r')
      const other = { ...same, bgnbd: { ...same.bgnbd, r: 2 * same.bgnbd.r } }
      expect(await scored(pool, table, other)).toEqual(linesOf(other))
    }
  })

  it('builds the same table from a file read in two parts, the second part put in place on a worker', async () => {
    const config = parseScoringConfig({ marginRate: 0.3 })
    const rows = (await loadRows()).map((row, k) => (k % 5 === 0 ? { ...row, margin: row.amount / 4 } : row))
    const half = Math.floor(rows.length / 2)
    const expected = customerInputs(storeOf(rows), AS_OF, config)
    for (const pool of pools) {
      const store = storeOf(rows.slice(0, half))
      const part = new RowStore({ keepIdHashes: true })
      part.addAll(rows.slice(half))
      store.merge(part.part())
      const table = await pool.table(store, AS_OF, config)
      expect([...Array(table.size).keys()].map((i) => table.input(i))).toEqual(expected)
    }
  })

  it('reports a failure of a part fitted on a worker as the single thread does', async () => {
    const config = parseScoringConfig({})
    const inputs = customerInputs(await loadSample(), AS_OF, config)
    const broken = tableOfInputs(
      inputs.map((input, i) =>
        i === 5 ? { ...input, periodic: { ...input.periodic, contribution: Number.NaN } } : input,
      ),
    )
    expect(() => fitTable(broken, config, AS_OF, 'r')).toThrow('contributions must be finite numbers')
    for (const pool of pools) {
      await expect(pool.fit(broken, config, AS_OF, 'r')).rejects.toThrow(
        'contributions must be finite numbers',
      )
    }
  })
})
