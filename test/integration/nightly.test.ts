import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shiftSampleDates } from '../../infra/local/sample.ts'
import { addDays } from '../../shared/domain/dates.ts'
import type { ScoreRecord } from '../../shared/domain/score-record.ts'
import { runKeys } from '../../shared/nightly/steps.ts'
import { RUN_LEASE_SECONDS } from '../../shared/nightly/workflow.ts'
import { parseModel } from '../../shared/pipeline/model-schema.ts'
import { type CustomerInput, fitPopulation } from '../../shared/pipeline/population.ts'
import { DEFAULT_SCORING_CONFIG } from '../../shared/scoring-config.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { startTestStack, type TestStack, TOKEN } from './support/stack.ts'

const ROOT = join(import.meta.dirname, '../..')
const today = new Date().toISOString().slice(0, 10)
const D1 = addDays(today, -1)
const D2 = today
const noWait = { sleep: async () => undefined }

interface RunBody {
  runId: string
  status: string
  previousRunId?: string
  report: {
    customers: number
    writes: { written: number; skipped: number }
    segments: { tier: Record<string, { customers: number }> }
    model: { bgnbd: { r: number }; converged: boolean }
    pareto: { valueShareOfTop: number }
  }
}

let t: TestStack

beforeAll(async () => {
  t = await startTestStack()
  const csv = shiftSampleDates(
    readFileSync(join(ROOT, 'infra/local/sample/cdnow-transactions.csv'), 'utf8'),
    today,
  )
  await t.upload('incoming/transactions/cdnow.csv', csv)
})

afterAll(async () => {
  await t?.close()
})

describe('nightly runs on the local engines', () => {
  it('answers 404 for an unknown run', async () => {
    expect(await t.get('/runs/1999-01-01')).toMatchObject({
      status: 404,
      body: { error: { code: 'run_not_found' } },
    })
  })

  it('re-scores every customer as of the run date and serves the run report', async () => {
    await t.stack.runNightly(D1, noWait)
    const { status, body } = await t.get('/runs/latest')
    expect(status).toBe(200)
    const run = body as RunBody
    expect(run).toMatchObject({ runId: D1, status: 'succeeded' })
    expect(run.report.customers).toBe(2357)
    expect(run.report.segments.tier.key?.customers).toBe(Math.round(0.2 * 2357))
    expect(run.report.model.converged).toBe(true)
    expect(run.report.pareto.valueShareOfTop).toBeGreaterThan(0.5)
    const customer = (await t.get('/customers/00004')).body as ScoreRecord
    expect(customer).toMatchObject({ asOf: D1, runId: D1 })
  })

  it('fits on the shards fit inputs exactly the model a fit on every summary gives', async () => {
    const summaries: CustomerInput[] = []
    for (let shard = 0; shard < 4; shard++) {
      const object = await t.s3.send(
        new GetObjectCommand({ Bucket: t.stack.bucket, Key: runKeys.summaries(D1, shard) }),
      )
      const text = gunzipSync((await object.Body?.transformToByteArray()) ?? new Uint8Array()).toString(
        'utf8',
      )
      summaries.push(...text.split('\n').map((line) => JSON.parse(line) as CustomerInput))
    }
    const expected = fitPopulation(summaries, { ...DEFAULT_SCORING_CONFIG, asOf: D1 }, D1, D1)
    const stored = await dynamoRunStore(t.dynamo, t.stack.table).getModel(D1)
    expect(stored).toEqual(parseModel(JSON.stringify(expected)))
    expect(stored?.customers).toBe(2357)
    expect(stored?.sample).toBeUndefined()
    const run = (await t.get(`/runs/${D1}`)).body as { report: { model: { sample: unknown } } }
    expect(run.report.model.sample).toBeNull()
  })

  it('picks up new uploads in the next run, writes only what changed, and keeps the history', async () => {
    const before = (await t.get('/customers/00004')).body as ScoreRecord
    await t.upload(
      'incoming/transactions/today.csv',
      `customer_id,transaction_date,amount\n00004,${D2},42.50\n`,
    )
    await t.stack.runNightly(D2, noWait)
    const run = (await t.get('/runs/latest')).body as RunBody
    expect(run).toMatchObject({ runId: D2, status: 'succeeded', previousRunId: D1 })
    expect(run.report.writes.written).toBeGreaterThan(0)
    expect(run.report.writes.skipped).toBeGreaterThan(0)
    const after = (await t.get('/customers/00004')).body as ScoreRecord
    expect(after).toMatchObject({ asOf: D2, lastPurchase: D2, frequency: before.frequency + 1, recency: 0 })
    const history = (await t.get('/customers/00004/history')).body as { history: { asOf: string }[] }
    expect(history.history.map((h) => h.asOf).slice(0, 2)).toEqual([D2, D1])
    expect((await t.get('/customers/00004/history?limit=1')).body).toMatchObject({ history: [{ asOf: D2 }] })
    expect((await t.get('/customers/00004/history?limit=99')).status).toBe(400)
  })

  it('gives the same records when the same day is run again', async () => {
    const first = (await t.get('/customers/00004')).body
    const report = ((await t.get(`/runs/${D2}`)).body as RunBody).report
    await t.stack.runNightly(D2, noWait)
    expect((await t.get('/customers/00004')).body).toEqual(first)
    const again = ((await t.get(`/runs/${D2}`)).body as RunBody).report
    expect(again.segments).toEqual(report.segments)
    expect(again.customers).toBe(report.customers)
  })

  it('leaves the previous run served when a shard fails in the middle of the score map', async () => {
    const served = (await t.get('/customers/00004')).body
    const D3 = addDays(today, 1)
    await expect(
      t.stack.runNightly(D3, {
        ...noWait,
        beforeInvoke: (event) => {
          if (event.step === 'score' && event.shard === 2) throw new Error('simulated crash')
        },
      }),
    ).rejects.toThrow(/simulated crash/)
    expect(((await t.get('/runs/latest')).body as RunBody).runId).toBe(D2)
    expect((await t.get(`/runs/${D3}`)).body).toMatchObject({ status: 'failed' })
    expect((await t.get('/customers/00004')).body).toEqual(served)
    // Started again, the interrupted run completes and is served.
    await t.stack.runNightly(D3, noWait)
    expect((await t.get('/runs/latest')).body).toMatchObject({ runId: D3, status: 'succeeded' })
  })
})

describe('a second start of a day that is running', () => {
  it('stops with "already running", leaves the running execution alone, and a finished day may run again', async () => {
    const D4 = addDays(today, 2)
    const served = (await t.get('/customers/00004')).body
    let second: Awaited<ReturnType<typeof t.stack.runNightly>> | undefined
    let viaApi: { status: number; body: unknown } | undefined
    let failedOnce = false
    // The first run's first Summarise attempt fails; while it waits to retry, the day is started again,
    // by the runner (as a second scheduler delivery would) and through POST /local/nightly.
    const first = await t.stack.runNightly(D4, {
      beforeInvoke: (event) => {
        if (event.step === 'summarise' && !failedOnce) {
          failedOnce = true
          throw new Error('transient')
        }
      },
      sleep: async () => {
        second = await t.stack.runNightly(D4, noWait)
        const response = await fetch(`${t.stack.apiUrl}/local/nightly?asOf=${D4}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
        })
        viaApi = { status: response.status, body: await response.json() }
        // Nothing of the day changed meanwhile: the run is still held by the first execution.
        expect((await t.get(`/runs/${D4}`)).body).toMatchObject({ status: 'running' })
        expect((await t.get('/customers/00004')).body).toEqual(served)
      },
    })
    expect(second).toMatchObject({ runId: D4, status: 'already-running', shards: [] })
    expect(viaApi).toMatchObject({ status: 409, body: { error: { code: 'run_already_running' } } })
    expect(first).toMatchObject({ runId: D4, status: 'succeeded' })
    expect((await t.get('/runs/latest')).body).toMatchObject({ runId: D4, status: 'succeeded' })
    const record = (await t.get('/customers/00004')).body
    // Started again once finished, the day runs again and gives the same records.
    expect(await t.stack.runNightly(D4, noWait)).toMatchObject({ runId: D4, status: 'succeeded' })
    expect((await t.get('/customers/00004')).body).toEqual(record)
  })

  it('is refused by one conditional write: of two starts at once exactly one claims the run', async () => {
    const runs = dynamoRunStore(t.dynamo, t.stack.table)
    const run = { runId: '2030-01-01', asOf: '2030-01-01', kind: 'nightly' as const }
    const startedAt = new Date().toISOString()
    const staleBefore = new Date(Date.now() - RUN_LEASE_SECONDS * 1000).toISOString()
    const results = await Promise.all(
      ['exec-a', 'exec-b'].map((executionId) =>
        runs.start({ ...run, startedAt, executionId }, { staleBefore }),
      ),
    )
    expect(results.filter((r) => r.started)).toHaveLength(1)
    const holder = (await runs.getRun(run.runId))?.executionId
    const loser = results.find((r) => !r.started)
    expect(loser).toMatchObject({ started: false, running: { executionId: holder, status: 'running' } })
    // The holder's own retry passes; another execution is refused while the run is alive.
    expect(await runs.start({ ...run, startedAt, executionId: String(holder) }, { staleBefore })).toEqual({
      started: true,
    })
    expect(await runs.start({ ...run, startedAt, executionId: 'exec-c' }, { staleBefore })).toMatchObject({
      started: false,
    })
  })

  it('lets a start take over a run whose steps stopped starting longer than the lease ago, or that ended', async () => {
    const runs = dynamoRunStore(t.dynamo, t.stack.table)
    const run = { runId: '2030-01-02', asOf: '2030-01-02', kind: 'nightly' as const }
    const now = Date.now()
    const iso = (ms: number) => new Date(ms).toISOString()
    const staleBefore = iso(now - RUN_LEASE_SECONDS * 1000)
    await runs.start({ ...run, startedAt: iso(now - 3 * RUN_LEASE_SECONDS * 1000), executionId: 'killed' })
    // Its last step started just inside the lease: still alive.
    await runs.heartbeat(run.runId, iso(now - RUN_LEASE_SECONDS * 1000 + 60_000))
    expect(
      (await runs.start({ ...run, startedAt: iso(now), executionId: 'new' }, { staleBefore })).started,
    ).toBe(false)
    // No step for longer than the lease: abandoned, and taken over.
    await runs.heartbeat(run.runId, iso(now - RUN_LEASE_SECONDS * 1000 - 60_000))
    expect(await runs.start({ ...run, startedAt: iso(now), executionId: 'new' }, { staleBefore })).toEqual({
      started: true,
    })
    expect(await runs.getRun(run.runId)).toMatchObject({ executionId: 'new', status: 'running' })
    // A failed run may be started again at once.
    await runs.update(run.runId, { status: 'failed' })
    expect(
      (await runs.start({ ...run, startedAt: iso(now), executionId: 'after-failure' }, { staleBefore }))
        .started,
    ).toBe(true)
  })
})
