import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { loadConfig } from '../../shared/config.ts'
import { createLogger } from '../../shared/logger.ts'
import { nightlySteps } from '../../shared/nightly/steps.ts'
import { NightlyEventSchema } from '../../shared/nightly/workflow.ts'
import { tableProspectScoring } from '../../shared/prospect-scoring/on-aws.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoHistoryStore } from '../../shared/storage/dynamo-history-store.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { dynamoScoreStore } from '../../shared/storage/dynamo-score-store.ts'
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts'
import { s3ScoringConfig } from '../../shared/storage/scoring-config-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('nightly')
const { s3, dynamo } = createClients(config)
const objects = s3ObjectStore(s3, config.bucket)
const runs = dynamoRunStore(dynamo, config.tableName)
const loadScoringConfig = s3ScoringConfig(objects)
const now = () => new Date()
const steps = nightlySteps({
  objects,
  scores: dynamoScoreStore(dynamo, config.tableName),
  history: dynamoHistoryStore(dynamo, config.tableName),
  runs,
  loadConfig: loadScoringConfig,
  shardCount: config.shardCount,
  timeZone: config.timeZone,
  now,
  logger,
  prospects: tableProspectScoring(dynamo, config.tableName, {
    objects,
    runs,
    loadConfig: loadScoringConfig,
    shardCount: config.shardCount,
    now,
    logger,
  }).score,
})

/** One function serves every step of the nightly state machine; the event names the step. */
export const handler = middy<unknown, unknown, Error, Context>().handler(async (event) =>
  steps.run(NightlyEventSchema.parse(event)),
)
