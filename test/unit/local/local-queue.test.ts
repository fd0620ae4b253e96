import type { SQSEvent } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { LocalQueue } from '../../../infra/local/local-queue.ts'

function queue(consumer: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>) {
  return new LocalQueue({
    name: 'q',
    maxReceiveCount: 3,
    batchSize: 10,
    retryDelayMs: 1,
    consumer,
    onDeadLetter: () => undefined,
  })
}

describe('local ingest queue', () => {
  it('delivers SQS-shaped records with a receive count', async () => {
    const seen: SQSEvent[] = []
    const q = queue(async (event) => {
      seen.push(event)
      return { batchItemFailures: [] }
    })
    q.send('hello')
    await q.drained()
    expect(seen[0]?.Records[0]).toMatchObject({
      body: 'hello',
      eventSource: 'aws:sqs',
      attributes: { ApproximateReceiveCount: '1' },
    })
  })

  it('redelivers only the failed item of a batch, then dead-letters it after maxReceiveCount', async () => {
    const receives: Record<string, number> = {}
    const q = queue(async (event) => {
      for (const r of event.Records) receives[r.body] = (receives[r.body] ?? 0) + 1
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }
    })
    q.send('good')
    q.send('poison')
    await q.drained()
    expect(receives).toEqual({ good: 1, poison: 3 })
    expect(q.deadLetters.map((d) => d.record.body)).toEqual(['poison'])
  })

  it('retries the whole batch when the consumer throws', async () => {
    let calls = 0
    const q = queue(async () => {
      calls++
      if (calls === 1) throw new Error('cold start failed')
      return { batchItemFailures: [] }
    })
    q.send('a')
    await q.drained()
    expect(calls).toBe(2)
    expect(q.deadLetters).toHaveLength(0)
  })
})
