import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeS3Key } from '../../shared/ingest/s3-event.ts'
import { uploadId } from '../../shared/ingest/upload-key.ts'
import { startTestStack, type TestStack, TOKEN } from './support/stack.ts'

const KEY = 'incoming/transactions/batch one.csv'

// Lines 2-6 are valid; 7-10 are not, each for one reason.
const UPLOAD = [
  'customer_id,transaction_date,amount,transaction_id,note',
  'A1,2026-01-05,10.00,t1,first visit',
  'A1,2026-01-05,5.00,t2,',
  'A1,2026-02-10,20.00,t3,',
  'A1,2026-02-11,-5.00,t4,refund on a day without purchase',
  'B2,2026-03-01T23:30:00-05:00,7.5,t5,',
  'bad id!,2026-01-01,1,t6,',
  'C3,2026-13-01,1,t7,',
  'C3,2026-01-01,abc,t8,',
  'A1,2026-02-10,20.00,t3,same id again',
].join('\n')

let t: TestStack

beforeAll(async () => {
  t = await startTestStack()
  await t.upload(KEY, UPLOAD)
})

afterAll(async () => {
  await t?.close()
})

const today = () => new Date().toISOString().slice(0, 10)
const daysSince = (day: string) =>
  (Date.parse(`${today()}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / 86_400_000

describe('upload -> score -> lookup on the local engines', () => {
  it('reports exactly the bad rows, by line and field, beside the kept original', async () => {
    const report = (await t.readJson('reports/transactions/batch one.csv.report.json')) as {
      status: string
      rows: unknown
      rejections: { line: number; field: string }[]
    }
    expect(report.status).toBe('done')
    expect(report.rows).toEqual({ read: 9, accepted: 5, rejected: 4 })
    expect(report.rejections.map(({ line, field }) => ({ line, field }))).toEqual([
      { line: 7, field: 'customer_id' },
      { line: 8, field: 'transaction_date' },
      { line: 9, field: 'amount' },
      { line: 10, field: 'transaction_id' },
    ])
    const rejected = await t.readText('rejected/transactions/batch one.csv.rejected.csv')
    expect(rejected.trim().split('\r\n')).toHaveLength(5)
    await expect(
      t.s3.send(new HeadObjectCommand({ Bucket: t.stack.bucket, Key: KEY })),
    ).resolves.toBeDefined()
  })

  it('serves the score of a good customer through the HTTP API', async () => {
    const { status, body } = await t.get('/customers/A1')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      customerId: 'A1',
      asOf: today(),
      firstPurchase: '2026-01-05',
      lastPurchase: '2026-02-10',
      frequency: 2,
      totalSpend: 30,
      monetary: 15,
      recency: daysSince('2026-02-10'),
    })
  })

  it('takes the day of a date-time in the business time zone', async () => {
    const { body } = await t.get('/customers/B2')
    expect(body).toMatchObject({ firstPurchase: '2026-03-02', lastPurchase: '2026-03-02', totalSpend: 7.5 })
  })

  it('answers 404, 400 and 401 as JSON errors of one shape', async () => {
    const unknown = await t.get('/customers/nobody')
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'customer_not_found' } } })
    const malformed = await t.get('/customers/bad%20id!')
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } })
    const anonymous = await t.get('/customers/A1', null)
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } })
    const wrongToken = await t.get('/customers/A1', 'not-the-token')
    expect(wrongToken.status).toBe(401)
  })

  it('answers 405 method_not_allowed for a known path with another method, and 404 for an unknown path', async () => {
    const response = await fetch(`${t.stack.apiUrl}/customers/A1`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(response.status).toBe(405)
    expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } })
    expect(await t.get('/customer/A1')).toMatchObject({
      status: 404,
      body: { error: { code: 'route_not_found' } },
    })
  })

  it('changes nothing when S3 delivers the same event again', async () => {
    const before = await t.get('/customers/A1')
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: t.stack.bucket, Key: KEY }))
    const notification = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: t.stack.bucket }, object: { key: encodeS3Key(KEY), eTag: head.ETag } },
        },
      ],
    }
    t.stack.queue.send(JSON.stringify(notification))
    t.stack.queue.send(JSON.stringify(notification))
    await t.stack.idle()
    const after = await t.get('/customers/A1')
    expect(after.body).toEqual(before.body)
    expect(t.stack.queue.deadLetters).toHaveLength(0)
  })

  it('replaces the rows of a file re-uploaded under the same key instead of adding them', async () => {
    await t.upload(KEY, 'customer_id,transaction_date,amount\nA1,2026-01-05,10.00\nD4,2026-04-01,3\n')
    const { body } = await t.get('/customers/A1')
    expect(body).toMatchObject({ frequency: 1, totalSpend: 10, lastPurchase: '2026-01-05' })
    expect((await t.get('/customers/D4')).status).toBe(200)
  })

  it('fails a file with only bad rows visibly: a failed report, a failed manifest, no scores', async () => {
    const key = 'incoming/transactions/all-bad.csv'
    await t.upload(key, 'customer_id,transaction_date,amount\nE5,yesterday,1\nE6,2026-01-01,\n')
    const report = (await t.readJson('reports/transactions/all-bad.csv.report.json')) as {
      status: string
      error: { message: string }
      rejections: { line: number; field: string }[]
    }
    expect(report.status).toBe('failed')
    expect(report.error.message).toContain('all-bad.csv')
    expect(report.rejections.map((r) => [r.line, r.field])).toEqual([
      [2, 'transaction_date'],
      [3, 'amount'],
    ])
    expect((await t.get('/customers/E5')).status).toBe(404)
  })

  it('reports a file missing a required column with the file, line and field', async () => {
    await t.upload('incoming/transactions/no-amount.csv', 'customer_id,transaction_date\nF7,2026-01-01\n')
    const report = (await t.readJson('reports/transactions/no-amount.csv.report.json')) as {
      status: string
      error: { message: string; line: number; field: string }
    }
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ line: 1, field: 'amount' })
    expect(report.error.message).toContain('no-amount.csv')
  })

  it('keeps the upload manifest "done" only once everything is written', async () => {
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: t.stack.bucket, Key: KEY }))
    const id = uploadId(t.stack.bucket, KEY, head.ETag?.replaceAll('"', '') ?? '')
    const { Item } = await t.dynamo.send(
      new GetCommand({ TableName: t.stack.table, Key: { pk: `UPLOAD#${id}`, sk: 'META' } }),
    )
    expect(Item).toMatchObject({ status: 'done', rowsAccepted: 2, rowsRejected: 0 })
  })
})
