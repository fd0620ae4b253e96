import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { z } from 'zod'
import { ExportRequestSchema } from '../exports/request.ts'
import { EXPORTS, TABLE } from '../resources.ts'

export const EXPORT_STATUSES = ['queued', 'running', 'ready', 'failed'] as const
export type ExportStatus = (typeof EXPORT_STATUSES)[number]

/** An export job: what was asked, of which run, and how far it got. */
export const ExportJobSchema = z.object({
  exportId: z.string(),
  status: z.enum(EXPORT_STATUSES),
  runId: z.string(),
  request: ExportRequestSchema,
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  /** Ready: the records written. */
  rows: z.number().int().nonnegative().optional(),
  /** Ready: the export file in the data bucket. */
  key: z.string().optional(),
  /** Failed: why, in words fit for the caller (no stack, no data). */
  reason: z.string().optional(),
})

export type ExportJob = z.infer<typeof ExportJobSchema>

/** The export job port. */
export interface ExportStore {
  /** Records a new job as queued. */
  create(job: Pick<ExportJob, 'exportId' | 'runId' | 'request' | 'createdAt'>): Promise<void>
  get(exportId: string): Promise<ExportJob | undefined>
  /** Moves a queued job to running and returns it; undefined when it is not queued (a repeated invocation). */
  start(exportId: string): Promise<ExportJob | undefined>
  finish(exportId: string, result: { rows: number; key: string; finishedAt: string }): Promise<void>
  fail(exportId: string, failure: { reason: string; finishedAt: string }): Promise<void>
}

const keyOf = (exportId: string) => ({ pk: `EXPORT#${exportId}`, sk: 'META' })

export function dynamoExportStore(dynamo: DynamoDBDocumentClient, table: string): ExportStore {
  const set = async (exportId: string, fields: Record<string, unknown>) => {
    const entries = Object.entries(fields)
    await dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: keyOf(exportId),
        UpdateExpression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#k${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    )
  }
  return {
    async create(job) {
      const createdSeconds = Math.floor(Date.parse(job.createdAt) / 1000)
      await dynamo.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keyOf(job.exportId),
            ...job,
            status: 'queued',
            // The job is forgotten when its file expires (the bucket's lifecycle rule for exports/).
            [TABLE.timeToLiveAttribute]: createdSeconds + EXPORTS.retentionDays * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
    },
    async get(exportId) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: keyOf(exportId), ConsistentRead: true }),
      )
      return Item ? ExportJobSchema.parse(Item) : undefined
    },
    async start(exportId) {
      try {
        const { Attributes } = await dynamo.send(
          new UpdateCommand({
            TableName: table,
            Key: keyOf(exportId),
            UpdateExpression: 'SET #status = :running',
            ConditionExpression: '#status = :queued',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued' },
            ReturnValues: 'ALL_NEW',
          }),
        )
        return Attributes ? ExportJobSchema.parse(Attributes) : undefined
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined
        throw error
      }
    },
    async finish(exportId, result) {
      await set(exportId, { status: 'ready', ...result })
    },
    async fail(exportId, failure) {
      await set(exportId, { status: 'failed', ...failure })
    },
  }
}
