import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { z } from 'zod'
import type { ScoreRecord } from '../domain/score-record.ts'
import { TABLE } from '../resources.ts'
import { batchPut, DEFAULT_RETRY, type RetryOptions } from './dynamo-batch.ts'
import { keys } from './keys.ts'

/** A past score state of a customer: the figures a reader compares over time. */
export const HistoryEntrySchema = z.object({
  asOf: z.string(),
  runId: z.string(),
  tier: z.string(),
  rfmScore: z.string(),
  rfmSegment: z.string(),
  quadrant: z.string(),
  pattern: z.string(),
  decision: z.string(),
  recency: z.number(),
  frequency: z.number(),
  monetary: z.number(),
  pAlive: z.number(),
  expectedPurchases: z.number(),
  clv: z.number(),
  netValue: z.number(),
})

export type HistoryEntry = z.infer<typeof HistoryEntrySchema>

/** Readers see the last 12 distinct states; older items expire (DynamoDB TTL) after about two years. */
export const HISTORY_LIMIT = 12
const HISTORY_TTL_SECONDS = 2 * 366 * 86_400

export interface HistoryStore {
  /** Appends a state for each record (one item per customer and as-of day, so a re-run overwrites it). */
  append(records: readonly ScoreRecord[], nowSeconds: number): Promise<void>
  /** Newest first. */
  list(customerId: string, limit?: number): Promise<HistoryEntry[]>
}

export function historyEntry(record: ScoreRecord): HistoryEntry {
  const { asOf, runId, tier, rfmScore, rfmSegment, quadrant, pattern, decision } = record
  const { recency, frequency, monetary, pAlive, expectedPurchases, clv, netValue } = record
  return {
    asOf,
    runId,
    tier,
    rfmScore,
    rfmSegment,
    quadrant,
    pattern,
    decision,
    recency,
    frequency,
    monetary,
    pAlive,
    expectedPurchases,
    clv,
    netValue,
  }
}

export function dynamoHistoryStore(
  dynamo: DynamoDBDocumentClient,
  table: string,
  retry: RetryOptions = DEFAULT_RETRY,
): HistoryStore {
  return {
    async append(records, nowSeconds) {
      const items = records.map((record) => ({
        ...keys.customerHistory(record.customerId, record.asOf),
        ...historyEntry(record),
        [TABLE.timeToLiveAttribute]: nowSeconds + HISTORY_TTL_SECONDS,
      }))
      await batchPut(dynamo, table, items, retry)
    },
    async list(customerId, limit = HISTORY_LIMIT) {
      const { Items } = await dynamo.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
          ExpressionAttributeValues: { ':pk': keys.customerLatest(customerId).pk, ':run': 'RUN#' },
          ScanIndexForward: false,
          Limit: Math.min(limit, HISTORY_LIMIT),
        }),
      )
      return (Items ?? []).map((item) => HistoryEntrySchema.parse(item))
    },
  }
}
