import { describe, expect, it } from 'vitest'
import type { S3rverEvent } from '../../../infra/local/engines.ts'
import { toS3Notification } from '../../../infra/local/s3-bridge.ts'
import { uploadEventsFromMessage } from '../../../shared/ingest/s3-event.ts'

const event = (key: string, eventName = 'ObjectCreated:Put'): S3rverEvent => ({
  Records: [{ eventName, s3: { bucket: { name: 'b' }, object: { key, eTag: 'abc', sequencer: '1' } } }],
})

const recordOf = (body: string | undefined) => JSON.parse(body ?? 'null').Records[0]

describe('local S3 -> queue bridge', () => {
  it('URL-encodes keys as S3 does, a space as "+", slashes kept', () => {
    const body = toS3Notification(event('incoming/transactions/May sales (final)+1.csv'), false, 'us-east-1')
    expect(recordOf(body).s3.object.key).toBe('incoming/transactions/May+sales+%28final%29%2B1.csv')
  })

  it('hands the ingest handler back the original key', () => {
    const key = 'incoming/transactions/Ümlaut & co/50% off+more.csv'
    const body = toS3Notification(event(key), false, 'us-east-1')
    expect(uploadEventsFromMessage(body ?? '')[0]?.key).toBe(key)
  })

  it('reports a completed multipart upload as CompleteMultipartUpload, as S3 does', () => {
    const body = toS3Notification(
      event('incoming/transactions/big.csv', 'ObjectCreated:Post'),
      true,
      'us-east-1',
    )
    expect(recordOf(body).eventName).toBe('ObjectCreated:CompleteMultipartUpload')
  })

  it('keeps other event names as they are', () => {
    const body = toS3Notification(
      event('incoming/transactions/a.csv', 'ObjectCreated:Copy'),
      false,
      'us-east-1',
    )
    expect(recordOf(body).eventName).toBe('ObjectCreated:Copy')
  })

  it('sends nothing for keys outside incoming/ (reports must not trigger ingest) or for deletions', () => {
    expect(
      toS3Notification(event('reports/transactions/a.csv.report.json'), false, 'us-east-1'),
    ).toBeUndefined()
    expect(
      toS3Notification(event('incoming/transactions/a.csv', 'ObjectRemoved:Delete'), false, 'us-east-1'),
    ).toBe(undefined)
  })
})
