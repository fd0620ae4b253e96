import { gunzipSync } from 'node:zlib'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import {
  ExportCreatedSchema,
  type ExportResponse,
  ExportResponseSchema,
} from '../../../shared/api/schemas.ts'
import { dynamoRunStore } from '../../../shared/storage/dynamo-run-store.ts'
import { request } from './http.ts'
import type { TestStack } from './stack.ts'

/** The longest a test waits for an export to be ready; the sample's exports take well under a second. */
const READY_TIMEOUT_MS = 30_000

/**
 * Creates an export as a client does: POST /exports (202 with a queued job), then GET
 * /exports/{exportId} until the job is ready or failed.
 */
export async function exportOf(t: TestStack, body: unknown): Promise<ExportResponse> {
  const created = await request(t, 'POST', '/exports', { body })
  if (created.status !== 202) {
    throw new Error(`POST /exports answered ${created.status}: ${JSON.stringify(created.body)}`)
  }
  const { exportId } = ExportCreatedSchema.parse(created.body)
  return pollExport(t, exportId)
}

/** GET /exports/{exportId} every 50 ms until its status is final. */
export async function pollExport(t: TestStack, exportId: string): Promise<ExportResponse> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const { status, body } = await request(t, 'GET', `/exports/${exportId}`)
    if (status !== 200) throw new Error(`GET /exports/${exportId} answered ${status}`)
    const job = ExportResponseSchema.parse(body)
    if (job.status === 'ready' || job.status === 'failed') return job
    if (Date.now() > deadline) throw new Error(`export ${exportId} still ${job.status} after 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Downloads a ready export through its presigned link, without any credentials. */
export async function download(job: ExportResponse): Promise<Buffer> {
  if (!job.url) throw new Error(`export ${job.exportId} has no link (status ${job.status})`)
  const response = await fetch(job.url)
  if (!response.ok) throw new Error(`download answered ${response.status}: ${await response.text()}`)
  return Buffer.from(await response.arrayBuffer())
}

/** Every line of every score file of a run, read straight from the bucket. */
export async function scoreLines(t: TestStack, runId: string, shardCount: number): Promise<unknown[]> {
  const lines: unknown[] = []
  for (let shard = 0; shard < shardCount; shard++) {
    const key = `runs/${runId}/scores/shard=${String(shard).padStart(4, '0')}.jsonl.gz`
    const object = await t.s3.send(new GetObjectCommand({ Bucket: t.stack.bucket, Key: key }))
    const text = gunzipSync(await (object.Body?.transformToByteArray() ?? new Uint8Array())).toString('utf8')
    for (const line of text.split('\n')) if (line.length > 0) lines.push(JSON.parse(line))
  }
  return lines
}

/** Serves a run made by hand (its score files written by the test) as a finished nightly run. */
export async function serveRun(t: TestStack, runId: string): Promise<void> {
  const runs = dynamoRunStore(t.dynamo, t.stack.table)
  await runs.start({ runId, asOf: '2026-11-23', kind: 'nightly', startedAt: new Date().toISOString() })
  await runs.update(runId, { status: 'succeeded', reportKey: `runs/${runId}/report.json` })
  await runs.switchCurrent(runId)
}
