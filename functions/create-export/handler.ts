import { randomUUID } from 'node:crypto'
import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { ExportRequestSchema, MAX_EXPORT_BODY_BYTES } from '../../shared/api/schemas.ts'
import { loadConfig, requiredSetting } from '../../shared/config.ts'
import { createExport } from '../../shared/exports/create-export.ts'
import { lambdaExportLaunch } from '../../shared/exports/lambda-launch.ts'
import { jsonBody, jsonErrors, jsonResponse } from '../../shared/http/api.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients, createLambdaClient } from '../../shared/storage/clients.ts'
import { dynamoExportStore } from '../../shared/storage/dynamo-export-store.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('create-export')
const { dynamo } = createClients(config)
const deps = {
  runs: dynamoRunStore(dynamo, config.tableName),
  store: dynamoExportStore(dynamo, config.tableName),
  launch: lambdaExportLaunch(
    createLambdaClient(config),
    requiredSetting(process.env, 'EXPORT_WORKER_FUNCTION'),
  ),
  newId: randomUUID,
  now: () => new Date(),
}

/** POST /exports: records a queued export job of the run being served and starts its worker. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const request = jsonBody(event, ExportRequestSchema, MAX_EXPORT_BODY_BYTES)
    return jsonResponse(202, await createExport(request, deps))
  })
