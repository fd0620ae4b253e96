import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { z } from 'zod'
import { loadConfig } from '../../shared/config.ts'
import { CustomerIdSchema } from '../../shared/domain/transaction.ts'
import { jsonErrors, jsonResponse, pathParameters } from '../../shared/http/api.ts'
import { CustomerNotFoundError } from '../../shared/http/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoScoreStore } from '../../shared/storage/dynamo-score-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('get-customer')
const scores = dynamoScoreStore(createClients(config).dynamo, config.tableName)

const Path = z.object({ customerId: CustomerIdSchema })

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const { customerId } = pathParameters(event, Path)
    const record = await scores.getLatest(customerId)
    if (!record) throw new CustomerNotFoundError(customerId)
    return jsonResponse(200, record)
  })
