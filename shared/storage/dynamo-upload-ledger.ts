import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { z } from 'zod'
import { keys } from './keys.ts'

const UploadStatusSchema = z.enum(['processing', 'done', 'failed', 'superseded'])
export type UploadStatus = z.infer<typeof UploadStatusSchema>

const SourceShardsItem = z.object({
  sourceKey: z.string(),
  shards: z.array(z.number().int().nonnegative()),
  uploadId: z.string(),
})

export interface UploadClaim {
  readonly uploadId: string
  readonly sourceKey: string
  readonly eTag: string | undefined
  readonly versionId: string | undefined
  readonly startedAt: string
}

export interface UploadOutcome {
  readonly status: Exclude<UploadStatus, 'processing'>
  readonly finishedAt: string
  readonly rowsAccepted: number
  readonly rowsRejected: number
  readonly reportKey: string | undefined
  readonly error?: string | undefined
}

/** Which curated shard objects a source key wrote, so a replacement can delete the stale ones. */
export interface SourceShards {
  readonly sourceKey: string
  readonly shards: readonly number[]
  readonly uploadId: string
}

/** The ingest manifest port: makes re-delivered events no-ops and tracks what each key wrote. */
export interface UploadLedger {
  /** True when this upload should be processed: new, or a crashed attempt left it "processing". */
  claim(claim: UploadClaim): Promise<boolean>
  finish(uploadId: string, outcome: UploadOutcome): Promise<void>
  getStatus(uploadId: string): Promise<UploadStatus | undefined>
  getSourceShards(sourceId: string): Promise<SourceShards | undefined>
  putSourceShards(sourceId: string, shards: SourceShards): Promise<void>
}

export function dynamoUploadLedger(dynamo: DynamoDBDocumentClient, table: string): UploadLedger {
  return {
    async claim(claim) {
      try {
        await dynamo.send(
          new PutCommand({
            TableName: table,
            Item: { ...keys.upload(claim.uploadId), ...claim, status: 'processing' },
            ConditionExpression: 'attribute_not_exists(pk) OR #status = :processing',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':processing': 'processing' },
          }),
        )
        return true
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false
        throw error
      }
    },
    async finish(uploadId, outcome) {
      const entries = Object.entries(outcome).filter(([, value]) => value !== undefined)
      await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.upload(uploadId),
          UpdateExpression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#k${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
        }),
      )
    },
    async getStatus(uploadId) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: keys.upload(uploadId), ConsistentRead: true }),
      )
      return Item ? UploadStatusSchema.parse(Item.status) : undefined
    },
    async getSourceShards(sourceId) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: keys.source(sourceId), ConsistentRead: true }),
      )
      return Item ? SourceShardsItem.parse(Item) : undefined
    },
    async putSourceShards(sourceId, shards) {
      await dynamo.send(
        new PutCommand({
          TableName: table,
          Item: { ...keys.source(sourceId), ...shards, shards: [...shards.shards] },
        }),
      )
    },
  }
}
