import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { buildOpenApi } from '../../shared/api/openapi.ts'
import { jsonErrors, jsonResponse } from '../../shared/http/api.ts'
import { createLogger } from '../../shared/logger.ts'

const logger = createLogger('openapi')
// Built once per cold start: it depends only on the deployed code.
const document = buildOpenApi()

/** GET /openapi.json: the OpenAPI 3.1 document of every route, generated from the zod schemas. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async () => jsonResponse(200, document))
