import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { ProspectPathSchema } from '../../shared/api/prospect-schemas.ts'
import { loadConfig } from '../../shared/config.ts'
import { jsonErrors, jsonResponse, pathParameters } from '../../shared/http/api.ts'
import { ProspectNotFoundError } from '../../shared/http/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoProspectStore } from '../../shared/storage/dynamo-prospect-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('get-prospect')
const prospects = dynamoProspectStore(createClients(config).dynamo, config.tableName)

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const { prospectId } = pathParameters(event, ProspectPathSchema)
    const record = await prospects.getLatest(prospectId)
    if (!record) throw new ProspectNotFoundError(prospectId)
    return jsonResponse(200, record)
  })
