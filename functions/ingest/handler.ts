import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import middy from '@middy/core'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { loadConfig } from '../../shared/config.ts'
import { ingestUpload } from '../../shared/ingest/ingest-upload.ts'
import { rescoreShards } from '../../shared/ingest/rescore-shards.ts'
import { uploadEventsFromMessage } from '../../shared/ingest/s3-event.ts'
import { createLogger } from '../../shared/logger.ts'
import { tableProspectScoring } from '../../shared/prospect-scoring/on-aws.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { curatedTransactions } from '../../shared/storage/curated-transactions.ts'
import { dynamoHistoryStore } from '../../shared/storage/dynamo-history-store.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { dynamoScoreStore } from '../../shared/storage/dynamo-score-store.ts'
import { dynamoUploadLedger } from '../../shared/storage/dynamo-upload-ledger.ts'
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts'
import { s3ScoringConfig } from '../../shared/storage/scoring-config-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('ingest')
const { s3, dynamo } = createClients(config)
const objects = s3ObjectStore(s3, config.bucket)
const curated = curatedTransactions(objects)
const now = () => new Date()
const runs = dynamoRunStore(dynamo, config.tableName)
const loadScoringConfig = s3ScoringConfig(objects)
const prospectScoring = tableProspectScoring(dynamo, config.tableName, {
  objects,
  runs,
  loadConfig: loadScoringConfig,
  shardCount: config.shardCount,
  now,
  logger,
})
const deps = {
  objects,
  curated,
  ledger: dynamoUploadLedger(dynamo, config.tableName),
  rescore: rescoreShards({
    curated,
    scores: dynamoScoreStore(dynamo, config.tableName),
    history: dynamoHistoryStore(dynamo, config.tableName),
    runs,
    loadConfig: loadScoringConfig,
    shardCount: config.shardCount,
    now,
    logger,
  }),
  profiles: { store: prospectScoring.profiles, rescoreProspects: () => prospectScoring.score() },
  shardCount: config.shardCount,
  timeZone: config.timeZone,
  now,
  logger,
}
const processor = new BatchProcessor(EventType.SQS)

/** One SQS message carries one S3 notification; a failed message is retried alone, then dead-lettered. */
async function processMessage(record: SQSRecord): Promise<void> {
  for (const upload of uploadEventsFromMessage(record.body)) {
    const result = await ingestUpload(upload, deps)
    logger.info('ingest result', { messageId: record.messageId, outcome: result.outcome })
  }
}

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>().handler((event, context) =>
  processPartialResponse(event, processMessage, processor, { context }),
)
