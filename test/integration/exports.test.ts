import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shiftSampleDates } from '../../infra/local/sample.ts'
import { ExportCreatedSchema, MAX_EXPORT_BODY_BYTES } from '../../shared/api/schemas.ts'
import { addDays } from '../../shared/domain/dates.ts'
import { type ScoreRecord, ScoreRecordSchema } from '../../shared/domain/score-record.ts'
import { ExportRequestSchema } from '../../shared/exports/request.ts'
import { EXPORTS } from '../../shared/resources.ts'
import { dynamoExportStore } from '../../shared/storage/dynamo-export-store.ts'
import { download, exportOf, pollExport, scoreLines } from './support/exports.ts'
import { post, request } from './support/http.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ROOT = join(import.meta.dirname, '../..')
const today = new Date().toISOString().slice(0, 10)
const RUN_DAY = addDays(today, -1)
/** The shard count of the test stack. */
const SHARDS = 4

let t: TestStack
let records: ScoreRecord[]

beforeAll(async () => {
  t = await startTestStack()
  const csv = shiftSampleDates(
    readFileSync(join(ROOT, 'infra/local/sample/cdnow-transactions.csv'), 'utf8'),
    today,
  )
  await t.upload('incoming/transactions/cdnow.csv', csv)
  await t.stack.runNightly(RUN_DAY, { sleep: async () => undefined })
  records = (await scoreLines(t, RUN_DAY, SHARDS)).map((line) => ScoreRecordSchema.parse(line))
})

afterAll(async () => {
  await t?.close()
})

describe('exports of a nightly run', () => {
  it('writes the filtered records as CSV with a header, downloadable through the presigned link', async () => {
    const fields = ['customerId', 'tier', 'rfmSegment', 'netValue', 'churnRisk', 'reasons'] as const
    const job = await exportOf(t, { filter: { tier: ['key'] }, fields, format: 'csv' })
    const expected = records.filter((r) => r.tier === 'key')
    expect(job).toMatchObject({
      status: 'ready',
      runId: RUN_DAY,
      format: 'csv',
      gzip: false,
      rows: expected.length,
    })
    expect(expected.length).toBe(Math.round(0.2 * 2357))
    const text = (await download(job)).toString('utf8')
    const [header, ...rows] = parse(text) as string[][]
    expect(header).toEqual([...fields])
    expect(rows).toHaveLength(expected.length)
    const byId = new Map(expected.map((r) => [r.customerId, r]))
    for (const [customerId = '', tier, rfmSegment, netValue, churnRisk] of rows) {
      const record = byId.get(customerId)
      expect(record, customerId).toBeDefined()
      expect([tier, rfmSegment]).toEqual([record?.tier, record?.rfmSegment])
      // Numbers stay numbers: plain decimal text, no quote or apostrophe.
      expect(Number(netValue)).toBe(record?.netValue)
      expect(Number(churnRisk)).toBe(record?.churnRisk)
    }
    expect(text.startsWith(`${fields.join(',')}\r\n`)).toBe(true)
  })

  it('writes gzipped JSON lines of whole records that meet every condition of the filter', async () => {
    const filter = { tier: ['general', 'secondary'], churnRisk: { min: 0.5 }, recency: { max: 400 } }
    const job = await exportOf(t, { filter, format: 'jsonl', gzip: true })
    const expected = records.filter(
      (r) => ['general', 'secondary'].includes(r.tier) && r.churnRisk >= 0.5 && r.recency <= 400,
    )
    expect(expected.length).toBeGreaterThan(0)
    expect(job).toMatchObject({ status: 'ready', format: 'jsonl', gzip: true, rows: expected.length })
    const lines = gunzipSync(await download(job))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => ScoreRecordSchema.parse(JSON.parse(line)))
    expect(lines).toEqual(expected)
  })

  it('keeps only the requested properties of JSON lines, in the requested order', async () => {
    const job = await exportOf(t, {
      filter: { quadrant: ['EI'], netValue: { min: 100 } },
      fields: ['netValue', 'customerId'],
      format: 'jsonl',
    })
    const text = (await download(job)).toString('utf8')
    const first = text.slice(0, text.indexOf('\n'))
    expect(first).toMatch(/^\{"netValue":[\d.]+,"customerId":"[^"]+"\}$/)
    expect(job.rows).toBe(records.filter((r) => r.quadrant === 'EI' && r.netValue >= 100).length)
  })

  it('writes a header and no rows when nothing matches', async () => {
    const job = await exportOf(t, {
      filter: { netValue: { min: 1e12 } },
      fields: ['customerId'],
      format: 'csv',
    })
    expect(job).toMatchObject({ status: 'ready', rows: 0 })
    expect((await download(job)).toString('utf8')).toBe('customerId\r\n')
  })

  it(`links to the file for at most ${EXPORTS.urlExpirySeconds / 60} minutes, with a new link on every request`, async () => {
    const job = await exportOf(t, { fields: ['customerId'], format: 'csv' })
    expect(job.rows).toBe(2357)
    const url = new URL(job.url ?? '')
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(EXPORTS.urlExpirySeconds))
    const expiresIn = Date.parse(job.expiresAt ?? '') - Date.now()
    expect(expiresIn).toBeGreaterThan(0)
    expect(expiresIn).toBeLessThanOrEqual(EXPORTS.urlExpirySeconds * 1000)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const again = (await request(t, 'GET', `/exports/${job.exportId}`)).body as { url: string }
    expect(again.url).not.toBe(job.url)
  })
})

describe('the local Lambda API', () => {
  const invoke = (name: string, payload: unknown, type = 'Event') =>
    fetch(`${t.stack.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
      method: 'POST',
      headers: { 'x-amz-invocation-type': type },
      body: JSON.stringify(payload),
    })

  it('runs the export worker for an asynchronous Invoke, answering 202 at once', async () => {
    const exportId = randomUUID()
    await dynamoExportStore(t.dynamo, t.stack.table).create({
      exportId,
      runId: RUN_DAY,
      request: ExportRequestSchema.parse({
        filter: { tier: ['key'] },
        fields: ['customerId'],
        format: 'csv',
      }),
      createdAt: new Date().toISOString(),
    })
    const response = await invoke('arn:aws:lambda:us-east-1:000000000000:function:exportWorker', { exportId })
    expect(response.status).toBe(202)
    await t.stack.idle()
    expect((await request(t, 'GET', `/exports/${exportId}`)).body).toMatchObject({
      status: 'ready',
      rows: Math.round(0.2 * 2357),
    })
  })

  it('answers an unknown function with 404 and a synchronous Invoke with 400, as it runs Event only', async () => {
    const unknown = await invoke('nightly', {})
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException')
    expect((await invoke('exportWorker', {}, 'RequestResponse')).status).toBe(400)
  })
})

describe('POST /exports', () => {
  it('answers 202 with a queued job of the run being served, before the export is written', async () => {
    const created = await post(t, '/exports', { filter: { decision: ['invest'] }, format: 'jsonl' })
    expect(created).toMatchObject({ status: 202, body: { status: 'queued' } })
    const { exportId } = ExportCreatedSchema.parse(created.body)
    const job = await pollExport(t, exportId)
    expect(job).toMatchObject({
      exportId,
      status: 'ready',
      runId: RUN_DAY,
      rows: records.filter((r) => r.decision === 'invest').length,
    })
  })

  it('answers 400 naming each field of a bad filter, field list or format', async () => {
    const bad = await post(t, '/exports', {
      filter: { tier: ['gold'], churnRisk: { min: 0.9, max: 0.1 } },
      fields: ['customerId', 'password'],
      format: 'xlsx',
    })
    expect(bad.status).toBe(400)
    const { error } = bad.body as { error: { code: string; details: { field: string }[] } }
    expect(error.code).toBe('bad_request')
    expect(error.details.map((d) => d.field).sort()).toEqual(
      ['fields[1]', 'filter.churnRisk', 'filter.tier[0]', 'format'].sort(),
    )
  })

  it('answers 400 for an unknown field, at the top or inside the filter', async () => {
    const unknown = await post(t, '/exports', { format: 'csv', colour: 'red', filter: { country: ['DE'] } })
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } })
    const details = (unknown.body as { error: { details: { field: string; problem: string }[] } }).error
      .details
    expect(details).toEqual(
      expect.arrayContaining([
        { field: 'colour', problem: 'is not a known field' },
        { field: 'filter.country', problem: 'is not a known field' },
      ]),
    )
  })

  it('answers 400 for malformed JSON and for no body at all', async () => {
    const headers = { 'content-type': 'application/json' }
    expect(await request(t, 'POST', '/exports', { raw: '{"format": "csv",', headers })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: 'the request body is not valid JSON' } },
    })
    expect(await request(t, 'POST', '/exports', { headers })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: 'the request has no body' } },
    })
  })

  it(`answers 413 payload_too_large for a body over ${MAX_EXPORT_BODY_BYTES / 1024} KB`, async () => {
    const body = { format: 'csv', filter: {}, padding: 'x'.repeat(MAX_EXPORT_BODY_BYTES) }
    expect(await post(t, '/exports', body)).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    })
  })

  it('requires the bearer token', async () => {
    const response = await request(t, 'POST', '/exports', { body: { format: 'csv' }, token: null })
    expect(response).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } })
  })
})

describe('GET /exports/{exportId}', () => {
  it('answers 404 export_not_found for an unknown id and 400 for a malformed one', async () => {
    expect(await request(t, 'GET', '/exports/0b9f6f5e-3d1c-4a8e-9a55-2f1f7d7f0e11')).toMatchObject({
      status: 404,
      body: { error: { code: 'export_not_found' } },
    })
    expect(await request(t, 'GET', '/exports/not-an-id')).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', details: [{ parameter: 'exportId' }] } },
    })
  })

  it('requires the bearer token', async () => {
    expect(
      (await request(t, 'GET', '/exports/0b9f6f5e-3d1c-4a8e-9a55-2f1f7d7f0e11', { token: null })).status,
    ).toBe(401)
  })
})
