import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { ExportPathSchema, type ExportResponse } from '../../shared/api/schemas.ts'
import { loadConfig } from '../../shared/config.ts'
import { downloadLink } from '../../shared/exports/s3-export-io.ts'
import { jsonErrors, jsonResponse, pathParameters } from '../../shared/http/api.ts'
import { NotFoundError } from '../../shared/http/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoExportStore } from '../../shared/storage/dynamo-export-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('get-export')
const { s3, dynamo } = createClients(config)
const exports = dynamoExportStore(dynamo, config.tableName)

/** GET /exports/{exportId}: the job's status; once ready, a download link made for this request. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const { exportId } = pathParameters(event, ExportPathSchema)
    const job = await exports.get(exportId)
    if (!job) throw new NotFoundError('export_not_found', 'no export with this id', { exportId })
    const link =
      job.status === 'ready' && job.key
        ? await downloadLink(s3, config.bucket, job.key, new Date())
        : undefined
    const body: ExportResponse = {
      exportId,
      status: job.status,
      runId: job.runId,
      format: job.request.format,
      gzip: job.request.gzip,
      rows: job.rows ?? null,
      createdAt: job.createdAt,
      finishedAt: job.finishedAt ?? null,
      ...link,
      ...(job.reason !== undefined && { reason: job.reason }),
    }
    return jsonResponse(200, body)
  })
