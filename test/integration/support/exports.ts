import { randomUUID } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import type { ExportResponse } from '../../../shared/api/schemas.ts'
import { createExport } from '../../../shared/exports/create-export.ts'
import { ExportRequestSchema } from '../../../shared/exports/request.ts'
import { dynamoExportStore } from '../../../shared/storage/dynamo-export-store.ts'
import { dynamoRunStore } from '../../../shared/storage/dynamo-run-store.ts'
import { request } from './http.ts'
import type { TestStack } from './stack.ts'

/**
 * Creates an export of the current run as POST /exports does (the create-export use case: a queued
 * job item, then an asynchronous invocation of the worker), waits for the worker and returns
 * GET /exports/{exportId}.
 */
export async function exportOf(t: TestStack, body: unknown): Promise<ExportResponse> {
  const { exportId } = await createExport(ExportRequestSchema.parse(body), {
    runs: dynamoRunStore(t.dynamo, t.stack.table),
    store: dynamoExportStore(t.dynamo, t.stack.table),
    launch: async (id) => t.stack.invokeAsync('exportWorker', { exportId: id }),
    newId: randomUUID,
    now: () => new Date(),
  })
  await t.stack.idle()
  const { status, body: job } = await request(t, 'GET', `/exports/${exportId}`)
  if (status !== 200) throw new Error(`GET /exports/${exportId} answered ${status}`)
  return job as ExportResponse
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
