import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { z } from 'zod'
import { loadConfig } from '../../shared/config.ts'
import { CustomerIdSchema } from '../../shared/domain/transaction.ts'
import { jsonErrors, jsonResponse, pathParameters, queryParameters } from '../../shared/http/api.ts'
import { CustomerNotFoundError } from '../../shared/http/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoHistoryStore, HISTORY_LIMIT } from '../../shared/storage/dynamo-history-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('get-customer-history')
const history = dynamoHistoryStore(createClients(config).dynamo, config.tableName)

const Path = z.object({ customerId: CustomerIdSchema })
const Query = z
  .object({ limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT).default(HISTORY_LIMIT) })
  .strict()

/** GET /customers/{customerId}/history?limit=: the customer's past score states, newest first. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const { customerId } = pathParameters(event, Path)
    const { limit } = queryParameters(event, Query)
    const entries = await history.list(customerId, limit)
    if (entries.length === 0) throw new CustomerNotFoundError(customerId)
    return jsonResponse(200, { customerId, history: entries })
  })
