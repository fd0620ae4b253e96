import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { MAX_SCORE_BODY_BYTES, ScoreRequestSchema } from '../../shared/api/schemas.ts'
import { scoreCustomer } from '../../shared/api/score-customer.ts'
import { loadConfig } from '../../shared/config.ts'
import { utcDay } from '../../shared/domain/dates.ts'
import { jsonBody, jsonErrors, jsonResponse } from '../../shared/http/api.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts'
import { s3ScoringConfig } from '../../shared/storage/scoring-config-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('score-customer')
const { s3, dynamo } = createClients(config)
const runs = dynamoRunStore(dynamo, config.tableName)
const deps = {
  // Read per request: a run re-started for the same day refits its model under the same id.
  currentModel: () => runs.currentModel(),
  loadConfig: s3ScoringConfig(s3ObjectStore(s3, config.bucket)),
  timeZone: config.timeZone,
  today: () => utcDay(new Date()),
}

/** POST /score: one customer's score record from posted transactions, with the current run's model. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(jsonErrors(logger))
  .handler(async (event) => {
    const request = jsonBody(event, ScoreRequestSchema, MAX_SCORE_BODY_BYTES)
    return jsonResponse(200, await scoreCustomer(request, deps))
  })
