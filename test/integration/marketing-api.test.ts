import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shiftSampleDates } from '../../infra/local/sample.ts'
import { jsonSchemaOf } from '../../shared/api/openapi.ts'
import {
  ExportCreatedSchema,
  ExportRequestSchema,
  ExportResponseSchema,
  MAX_SCORE_BODY_BYTES,
  ScoreRecordSchema,
  ScoreRequestSchema,
  SegmentsResponseSchema,
} from '../../shared/api/schemas.ts'
import { addDays } from '../../shared/domain/dates.ts'
import type { ScoreRecord } from '../../shared/domain/score-record.ts'
import { API_ROUTES } from '../../shared/resources.ts'
import { post, request } from './support/http.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ROOT = join(import.meta.dirname, '../..')
const today = new Date().toISOString().slice(0, 10)
const RUN_DAY = addDays(today, -1)
const noWait = { sleep: async () => undefined }

let t: TestStack
let sample: string

beforeAll(async () => {
  t = await startTestStack()
  sample = shiftSampleDates(
    readFileSync(join(ROOT, 'infra/local/sample/cdnow-transactions.csv'), 'utf8'),
    today,
  )
})

afterAll(async () => {
  await t?.close()
})

interface OpenApi {
  paths: Record<string, Record<string, Operation>>
}
interface Operation {
  operationId: string
  security?: unknown[]
  parameters: { name: string; in: string; schema: unknown }[]
  requestBody?: { content: { 'application/json': { schema: unknown } } }
  responses: Record<string, { content: { 'application/json': { schema: unknown } } }>
}

/** A customer's rows of the (date-shifted) sample, as POST /score takes them. */
function transactionsOf(customerId: string): { transaction_date: string; amount: string }[] {
  return sample
    .split('\n')
    .filter((line) => line.startsWith(`${customerId},`))
    .map((line) => {
      const [, transaction_date = '', amount = ''] = line.split(',')
      return { transaction_date, amount }
    })
}

const responseSchema = (op: Operation | undefined, status: number) =>
  op?.responses[String(status)]?.content['application/json'].schema

// The order matters: the first tests see a stack without any run.
describe('before the first nightly run', () => {
  it('answers GET /segments with 404 run_not_found', async () => {
    expect(await request(t, 'GET', '/segments')).toMatchObject({
      status: 404,
      body: { error: { code: 'run_not_found' } },
    })
  })

  it('answers POST /score with 404 run_not_found while there is no model to score with', async () => {
    const body = { customerId: 'C1', transactions: [{ date: '2026-01-05', amount: 10 }] }
    expect(await post(t, '/score', body)).toMatchObject({
      status: 404,
      body: { error: { code: 'run_not_found' } },
    })
  })

  it('answers POST /exports with 404 run_not_found while no nightly run is served', async () => {
    expect(await post(t, '/exports', { format: 'csv' })).toMatchObject({
      status: 404,
      body: { error: { code: 'run_not_found', details: { runId: null } } },
    })
  })

  it('still answers GET /segments with 404 once ingest has scored an upload without a nightly run', async () => {
    await t.upload('incoming/transactions/cdnow.csv', sample)
    expect(await request(t, 'GET', '/segments')).toMatchObject({
      status: 404,
      body: { error: { code: 'run_not_found' } },
    })
  })
})

describe('GET /segments', () => {
  beforeAll(async () => {
    await t.stack.runNightly(RUN_DAY, noWait)
  })

  it("serves the current run's segment counts and value shares, as in the run report", async () => {
    const { status, body } = await request(t, 'GET', '/segments')
    expect(status).toBe(200)
    const segments = SegmentsResponseSchema.parse(body)
    const report = (await t.readJson(`runs/${RUN_DAY}/report.json`)) as Record<string, unknown>
    expect(segments).toEqual({
      runId: RUN_DAY,
      asOf: RUN_DAY,
      customers: 2357,
      totalNetValue: report.totalNetValue,
      segments: report.segments,
      pareto: report.pareto,
      // No prospect is stored in this stack; the nightly run still scored (none) against its customers.
      prospects: expect.objectContaining({
        prospects: 0,
        customerBase: { customers: 2357, meanNetValue: expect.any(Number), meanAcquisitionCost: null },
      }),
    })
    for (const dimension of Object.values(segments.segments)) {
      const counted = Object.values(dimension).reduce((sum, group) => sum + group.customers, 0)
      expect(counted).toBe(2357)
    }
    expect(segments.segments.tier.key?.customers).toBe(Math.round(0.2 * 2357))
  })

  it('requires the bearer token', async () => {
    expect(await request(t, 'GET', '/segments', { token: null })).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    })
  })
})

describe('POST /score', () => {
  it('gives the record the nightly run served for the same history and day', async () => {
    const ids = [
      ...new Set(
        sample
          .split('\n')
          .slice(1)
          .map((line) => line.split(',')[0] ?? ''),
      ),
    ]
    for (const customerId of ids.filter((id, i) => id !== '' && i % 400 === 0)) {
      const served = (await request(t, 'GET', `/customers/${customerId}`)).body as ScoreRecord
      expect(served).toMatchObject({ runId: RUN_DAY, asOf: RUN_DAY })
      const scored = await post(t, '/score', {
        customerId,
        transactions: transactionsOf(customerId),
        asOf: RUN_DAY,
      })
      expect(scored.status).toBe(200)
      expect(scored.body).toEqual(served)
    }
  })

  it("scores as of today by default, with the current run's model", async () => {
    const transactions = transactionsOf('00004').map(({ transaction_date, amount }) => ({
      date: transaction_date,
      amount: Number(amount),
    }))
    const { status, body } = await post(t, '/score', { customerId: 'NEW-1', transactions })
    expect(status).toBe(200)
    const record = ScoreRecordSchema.parse(body)
    const served = (await request(t, 'GET', '/customers/00004')).body as ScoreRecord
    expect(record).toMatchObject({ customerId: 'NEW-1', asOf: today, runId: RUN_DAY })
    expect(record.recency).toBe(served.recency + 1)
    expect(record.frequency).toBe(served.frequency)
    expect(await request(t, 'GET', '/customers/NEW-1')).toMatchObject({ status: 404 })
  })

  it('takes the business day of date-times, keeps a repeated transaction id once and applies refunds', async () => {
    const { body } = await post(t, '/score', {
      customerId: 'C2',
      asOf: RUN_DAY,
      transactions: [
        {
          transaction_date: `${addDays(RUN_DAY, -30)}T23:30:00-05:00`,
          amount: '20.00',
          transaction_id: 't1',
        },
        {
          transaction_date: `${addDays(RUN_DAY, -30)}T23:30:00-05:00`,
          amount: '20.00',
          transaction_id: 't1',
        },
        { date: addDays(RUN_DAY, -10), amount: 30, transaction_id: 2 },
        { date: addDays(RUN_DAY, -10), amount: -5 },
        { date: addDays(RUN_DAY, 3), amount: 99 },
      ],
    })
    expect(body).toMatchObject({
      firstPurchase: addDays(RUN_DAY, -29),
      lastPurchase: addDays(RUN_DAY, -10),
      frequency: 2,
      totalSpend: 45,
      recency: 10,
    })
  })

  it('answers 400 naming the index and field of each bad transaction', async () => {
    const { status, body } = await post(t, '/score', {
      customerId: 'C3',
      transactions: [
        { date: '2026-01-05', amount: 10 },
        { date: '2026-13-01', amount: 10 },
        { transaction_date: '2026-01-07', amount: '12,50' },
        { amount: 1 },
        { date: '2026-01-08', amount: 1, colour: 'red' },
      ],
    })
    expect(status).toBe(400)
    expect(body).toMatchObject({ error: { code: 'bad_request' } })
    const details = (body as { error: { details: { index: number; field: string }[] } }).error.details
    expect(details.map(({ index, field }) => ({ index, field }))).toEqual([
      { index: 3, field: 'transactions[3].transaction_date' },
      { index: 4, field: 'transactions[4].colour' },
    ])
    const rows = await post(t, '/score', {
      customerId: 'C3',
      transactions: [
        { date: '2026-01-05', amount: 10 },
        { date: '2026-13-01', amount: 10 },
        { transaction_date: '2026-01-07', amount: '12,50' },
      ],
    })
    expect(rows.status).toBe(400)
    expect(
      (rows.body as { error: { details: { index: number; field: string }[] } }).error.details.map(
        ({ index, field }) => ({ index, field }),
      ),
    ).toEqual([
      { index: 1, field: 'transactions[1].date' },
      { index: 2, field: 'transactions[2].amount' },
    ])
  })

  it('answers 400 for a bad customer id, a missing list and malformed JSON', async () => {
    const badId = await post(t, '/score', {
      customerId: '=cmd',
      transactions: [{ date: '2026-01-05', amount: 1 }],
    })
    expect(badId).toMatchObject({ status: 400, body: { error: { details: [{ field: 'customerId' }] } } })
    expect(await post(t, '/score', { customerId: 'C4' })).toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'transactions' }] } },
    })
    expect(await request(t, 'POST', '/score', { raw: '{"customerId": "C4", ' })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: 'the request body is not valid JSON' } },
    })
    expect(await request(t, 'POST', '/score')).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request' } },
    })
  })

  it('answers 413 payload_too_large for a body over 256 KB, and limits the number of transactions', async () => {
    const transactions = Array.from({ length: 8_000 }, (_, i) => ({
      date: addDays(RUN_DAY, -(i % 300)),
      amount: 1.25,
      transaction_id: `t${i}`,
    }))
    const body = { customerId: 'C5', transactions }
    expect(JSON.stringify(body).length).toBeGreaterThan(MAX_SCORE_BODY_BYTES)
    expect(await post(t, '/score', body)).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    })
    const many = {
      customerId: 'C5',
      transactions: Array.from({ length: 10_001 }, () => ({ date: RUN_DAY, amount: 1 })),
    }
    expect(ScoreRequestSchema.safeParse(many).success).toBe(false)
  })

  it('answers 422 no_purchase when no purchase falls on or before the as-of day', async () => {
    expect(
      await post(t, '/score', {
        customerId: 'C6',
        asOf: RUN_DAY,
        transactions: [{ date: addDays(RUN_DAY, 1), amount: 5 }],
      }),
    ).toMatchObject({ status: 422, body: { error: { code: 'no_purchase' } } })
  })
})

describe('GET /openapi.json', () => {
  it('is served without a token and describes every route with its method', async () => {
    const { status, body } = await request(t, 'GET', '/openapi.json', { token: null })
    expect(status).toBe(200)
    const doc = body as OpenApi & { openapi: string }
    expect(doc.openapi).toBe('3.1.0')
    for (const route of API_ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()]
      expect(operation, `${route.method} ${route.path}`).toBeDefined()
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      expect(operation?.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathParameters)
      expect(operation?.security, `${route.method} ${route.path}`).toEqual(route.public ? [] : undefined)
    }
    const operationIds = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    )
    expect(new Set(operationIds).size).toBe(API_ROUTES.length)
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort())
  })

  it('gives the schemas the handlers validate and answer with', async () => {
    const doc = (await request(t, 'GET', '/openapi.json', { token: null })).body as OpenApi
    expect(responseSchema(doc.paths['/customers/{customerId}']?.get, 200)).toEqual(
      jsonSchemaOf(ScoreRecordSchema, 'output'),
    )
    expect(responseSchema(doc.paths['/segments']?.get, 200)).toEqual(
      jsonSchemaOf(SegmentsResponseSchema, 'output'),
    )
    expect(doc.paths['/score']?.post?.requestBody?.content['application/json'].schema).toEqual(
      jsonSchemaOf(ScoreRequestSchema, 'input'),
    )
    expect(responseSchema(doc.paths['/score']?.post, 200)).toEqual(jsonSchemaOf(ScoreRecordSchema, 'output'))
    expect(doc.paths['/exports']?.post?.requestBody?.content['application/json'].schema).toEqual(
      jsonSchemaOf(ExportRequestSchema, 'input'),
    )
    expect(responseSchema(doc.paths['/exports']?.post, 202)).toEqual(
      jsonSchemaOf(ExportCreatedSchema, 'output'),
    )
    expect(responseSchema(doc.paths['/exports/{exportId}']?.get, 200)).toEqual(
      jsonSchemaOf(ExportResponseSchema, 'output'),
    )
    expect(responseSchema(doc.paths['/segments']?.get, 404)).toMatchObject({
      properties: { error: { properties: { code: { type: 'string' } } } },
    })
  })
})

describe('errors', () => {
  it('answers an unknown route with 404 JSON', async () => {
    expect(await request(t, 'GET', '/nowhere')).toMatchObject({
      status: 404,
      body: { error: { code: 'route_not_found' } },
    })
  })
})
