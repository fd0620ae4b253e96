import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { RunPathSchema } from '../../shared/api/schemas.ts'
import { loadConfig } from '../../shared/config.ts'
import { jsonErrors, jsonResponse, pathParameters } from '../../shared/http/api.ts'
import { NotFoundError } from '../../shared/http/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('get-run')
const { s3, dynamo } = createClients(config)
const runs = dynamoRunStore(dynamo, config.tableName)
const objects = s3ObjectStore(s3, config.bucket)

/** GET /runs/latest (the run being served) and GET /runs/{runId}: the run record with its report. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const runId =
      event.resource === '/runs/latest'
        ? await runs.currentRunId()
        : pathParameters(event, RunPathSchema).runId
    const run = runId ? await runs.getRun(runId) : undefined
    if (!run) {
      throw new NotFoundError('run_not_found', runId ? 'no run with this id' : 'no run has finished yet', {
        runId,
      })
    }
    const body = run.reportKey ? await objects.readAll(run.reportKey) : undefined
    const report: unknown = body ? JSON.parse(Buffer.from(body).toString('utf8')) : null
    return jsonResponse(200, { ...run, report })
  })
