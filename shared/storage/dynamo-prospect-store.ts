import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { type ProspectRecord, ProspectRecordSchema } from '../prospects/record.ts'
import { batchPut, DEFAULT_RETRY, type RetryOptions } from './dynamo-batch.ts'
import { keys } from './keys.ts'

/**
 * The prospect score storage port: one PROSPECT#<id> / LATEST item per prospect. A prospect no
 * longer in any file is overwritten with a tombstone (its id and `removedAt`), which reads as absent:
 * a put, so removing needs no delete permission and a repeat is harmless.
 */
export interface ProspectStore {
  putLatest(records: readonly ProspectRecord[]): Promise<void>
  remove(prospectIds: readonly string[], removedAt: string): Promise<void>
  getLatest(prospectId: string): Promise<ProspectRecord | undefined>
}

export function dynamoProspectStore(
  dynamo: DynamoDBDocumentClient,
  table: string,
  retry: RetryOptions = DEFAULT_RETRY,
): ProspectStore {
  return {
    async putLatest(records) {
      const items = records.map((record) => ({ ...keys.prospectLatest(record.prospectId), ...record }))
      await batchPut(dynamo, table, items, retry)
    },
    async remove(prospectIds, removedAt) {
      const items = prospectIds.map((prospectId) => ({
        ...keys.prospectLatest(prospectId),
        prospectId,
        removedAt,
      }))
      await batchPut(dynamo, table, items, retry)
    },
    async getLatest(prospectId) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: keys.prospectLatest(prospectId), ConsistentRead: false }),
      )
      if (!Item || Item.removedAt !== undefined) return undefined
      const { pk: _pk, sk: _sk, ...record } = Item
      return ProspectRecordSchema.parse(record)
    },
  }
}
