import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

const MAX_BATCH = 25

export interface RetryOptions {
  readonly maxAttempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  readonly sleep: (ms: number) => Promise<void>
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

type WriteRequest = NonNullable<
  NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string]
>[number]

/**
 * Puts items 25 at a time, re-sending UnprocessedItems (and throttled batches, which the SDK's own
 * retries gave up on) with exponential backoff and full jitter until they are written or the attempts
 * run out. Puts are whole-item overwrites, so a retried or re-delivered batch is idempotent.
 */
export async function batchPut(
  dynamo: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  retry: RetryOptions = DEFAULT_RETRY,
): Promise<void> {
  for (let i = 0; i < items.length; i += MAX_BATCH) {
    const requests: WriteRequest[] = items.slice(i, i + MAX_BATCH).map((Item) => ({ PutRequest: { Item } }))
    await writeWithRetry(dynamo, table, requests, retry)
  }
}

async function writeWithRetry(
  dynamo: DynamoDBDocumentClient,
  table: string,
  initial: WriteRequest[],
  retry: RetryOptions,
): Promise<void> {
  let pending = initial
  for (let attempt = 1; ; attempt++) {
    let unprocessed: WriteRequest[]
    try {
      const result = await dynamo.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }))
      unprocessed = (result.UnprocessedItems?.[table] ?? []) as WriteRequest[]
    } catch (error) {
      if (!isThrottle(error) || attempt >= retry.maxAttempts) throw error
      unprocessed = pending
    }
    if (unprocessed.length === 0) return
    if (attempt >= retry.maxAttempts) {
      throw new Error(`${unprocessed.length} items still unprocessed after ${attempt} attempts`)
    }
    pending = unprocessed
    const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1))
    await retry.sleep(Math.random() * cap)
  }
}

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
])

function isThrottle(error: unknown): boolean {
  return error instanceof Error && THROTTLES.has(error.name)
}
