import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { type ScoreRecord, ScoreRecordSchema } from '../domain/score-record.ts'
import { batchPut, DEFAULT_RETRY, type RetryOptions } from './dynamo-batch.ts'
import { keys } from './keys.ts'

/** The score storage port. */
export interface ScoreStore {
  putLatest(records: readonly ScoreRecord[]): Promise<void>
  getLatest(customerId: string): Promise<ScoreRecord | undefined>
}

export function dynamoScoreStore(
  dynamo: DynamoDBDocumentClient,
  table: string,
  retry: RetryOptions = DEFAULT_RETRY,
): ScoreStore {
  return {
    async putLatest(records) {
      const items = records.map((record) => ({ ...keys.customerLatest(record.customerId), ...record }))
      await batchPut(dynamo, table, items, retry)
    },
    async getLatest(customerId) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: keys.customerLatest(customerId), ConsistentRead: false }),
      )
      if (!Item) return undefined
      const { pk: _pk, sk: _sk, ...record } = Item
      return ScoreRecordSchema.parse(record)
    },
  }
}
