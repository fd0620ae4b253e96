import { randomUUID } from 'node:crypto'
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'

export interface LocalQueueOptions {
  readonly name: string
  readonly maxReceiveCount: number
  readonly batchSize: number
  /** Delay before a failed message is received again (SQS: the visibility timeout). */
  readonly retryDelayMs: number
  readonly consumer: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>
  readonly onDeadLetter: (record: SQSRecord, error: unknown) => void
}

interface Message {
  readonly id: string
  readonly body: string
  readonly sentAt: number
  receiveCount: number
}

/**
 * An in-process stand-in for the SQS queue between S3 and the ingest function: batches, at-least-once
 * delivery, partial batch failures, redelivery after a delay and a dead-letter list after
 * maxReceiveCount receives, handing the consumer SQS-shaped records as the event source mapping does.
 */
export class LocalQueue {
  readonly deadLetters: { record: SQSRecord; error: unknown }[] = []
  private readonly options: LocalQueueOptions
  private readonly ready: Message[] = []
  private delayed = 0
  private running = false
  private idleWaiters: (() => void)[] = []

  constructor(options: LocalQueueOptions) {
    this.options = options
  }

  send(body: string): void {
    this.ready.push({ id: randomUUID(), body, sentAt: Date.now(), receiveCount: 0 })
    void this.pump()
  }

  /** Resolves when no message is waiting, in flight or scheduled for redelivery. */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private isIdle(): boolean {
    return !this.running && this.ready.length === 0 && this.delayed === 0
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      while (this.ready.length > 0) {
        const batch = this.ready.splice(0, this.options.batchSize)
        for (const message of batch) message.receiveCount++
        const records = batch.map((message) => this.toRecord(message))
        let failedIds: Set<string>
        let failure: unknown
        try {
          const response = await this.options.consumer({ Records: records })
          failedIds = new Set((response?.batchItemFailures ?? []).map((item) => item.itemIdentifier))
          failure = new Error('reported as a batch item failure')
        } catch (error) {
          failedIds = new Set(batch.map((message) => message.id))
          failure = error
        }
        batch.forEach((message, i) => {
          if (failedIds.has(message.id)) this.retryOrDeadLetter(message, records[i] as SQSRecord, failure)
        })
      }
    } finally {
      this.running = false
      this.notifyIfIdle()
    }
  }

  private retryOrDeadLetter(message: Message, record: SQSRecord, error: unknown): void {
    if (message.receiveCount >= this.options.maxReceiveCount) {
      this.deadLetters.push({ record, error })
      this.options.onDeadLetter(record, error)
      return
    }
    this.delayed++
    setTimeout(() => {
      this.delayed--
      this.ready.push(message)
      void this.pump()
    }, this.options.retryDelayMs).unref()
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private toRecord(message: Message): SQSRecord {
    return {
      messageId: message.id,
      receiptHandle: `${message.id}#${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${this.options.name}`,
      awsRegion: 'us-east-1',
    }
  }
}
