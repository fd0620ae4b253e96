import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { SegmentsResponseSchema } from '../../shared/api/schemas.ts'
import { loadConfig } from '../../shared/config.ts'
import { jsonErrors, jsonResponse } from '../../shared/http/api.ts'
import { NotFoundError } from '../../shared/http/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { readProspectSummary } from '../../shared/prospect-scoring/prospect-files.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('get-segments')
const { s3, dynamo } = createClients(config)
const runs = dynamoRunStore(dynamo, config.tableName)
const objects = s3ObjectStore(s3, config.bucket)

/**
 * GET /segments: the current run's counts and value shares by segment and its Pareto figures, read
 * from the run report that Finalise wrote (never a scan of the scores), and its prospects by quadrant. A run published by ingest
 * before the first nightly run has no report, so it answers like no run at all.
 */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async () => {
    const runId = await runs.currentRunId()
    const run = runId ? await runs.getRun(runId) : undefined
    const body = run?.reportKey ? await objects.readAll(run.reportKey) : undefined
    if (!body) {
      throw new NotFoundError('run_not_found', 'no nightly run is being served yet', { runId: runId ?? null })
    }
    const report = JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>
    // Prospects are re-scored on every customer or prospect upload: their latest summary for this run.
    const prospects = (runId && (await readProspectSummary(objects, runId))) ?? null
    return jsonResponse(200, SegmentsResponseSchema.parse({ ...report, prospects }))
  })
