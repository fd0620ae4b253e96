import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'
import { createExport } from '../../../shared/exports/create-export.ts'
import { lambdaExportLaunch } from '../../../shared/exports/lambda-launch.ts'
import { ExportRequestSchema } from '../../../shared/exports/request.ts'
import type { ExportJob } from '../../../shared/storage/dynamo-export-store.ts'

// Lambda's throttling and odd status codes are faults the local Lambda endpoint cannot produce.
const lambda = new LambdaClient({ region: 'us-east-1' })
const mock = mockClient(lambda)
afterEach(() => mock.reset())

const EXPORT_ID = '0b9f6f5e-3d1c-4a8e-9a55-2f1f7d7f0e11'
const NOW = new Date('2026-11-24T08:00:00Z')

/** createExport with a served nightly run and an in-memory job store, launching through the mock. */
function create() {
  const jobs = new Map<string, Partial<ExportJob>>()
  const result = createExport(ExportRequestSchema.parse({ format: 'csv' }), {
    runs: {
      currentRunId: async () => '2026-11-23',
      getRun: async (runId) => ({
        runId,
        kind: 'nightly',
        asOf: runId,
        status: 'succeeded',
        reportKey: `runs/${runId}/report.json`,
      }),
    },
    store: {
      create: async (job) => void jobs.set(job.exportId, { ...job, status: 'queued' }),
      fail: async (exportId, failure) =>
        void jobs.set(exportId, { ...jobs.get(exportId), ...failure, status: 'failed' }),
    },
    launch: lambdaExportLaunch(lambda, 'customer-scoring-export-worker'),
    newId: () => EXPORT_ID,
    now: () => NOW,
  })
  return { result, jobs }
}

describe('starting the export worker', () => {
  it('invokes the worker asynchronously with the job id as its event', async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 202 })
    const { result, jobs } = create()
    await expect(result).resolves.toEqual({ exportId: EXPORT_ID, status: 'queued' })
    const [call] = mock.commandCalls(InvokeCommand)
    const input = call?.args[0].input
    expect(input?.FunctionName).toBe('customer-scoring-export-worker')
    expect(input?.InvocationType).toBe('Event')
    expect(JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString('utf8'))).toEqual({
      exportId: EXPORT_ID,
    })
    expect(jobs.get(EXPORT_ID)?.status).toBe('queued')
  })

  it('marks the job failed and answers 503 export_not_started when Lambda throttles the invoke', async () => {
    mock.on(InvokeCommand).rejects(
      new TooManyRequestsException({
        message: 'Rate exceeded',
        $metadata: {},
        Reason: 'CallerRateLimitExceeded',
      }),
    )
    const { result, jobs } = create()
    await expect(result).rejects.toMatchObject({
      status: 503,
      code: 'export_not_started',
      details: { exportId: EXPORT_ID },
    })
    expect(jobs.get(EXPORT_ID)).toMatchObject({
      status: 'failed',
      reason: 'the export could not be started',
      finishedAt: NOW.toISOString(),
    })
  })

  it('treats an answer other than 202 as not started', async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 200 })
    const { result, jobs } = create()
    await expect(result).rejects.toMatchObject({ status: 503 })
    expect(jobs.get(EXPORT_ID)?.status).toBe('failed')
  })
})
