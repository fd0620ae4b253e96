import { encodeS3Key } from '../../shared/ingest/s3-event.ts'
import { PREFIXES } from '../../shared/resources.ts'
import type { S3rverEvent } from './engines.ts'

/**
 * Turns an s3rver event into the notification S3 itself would send to the queue, or undefined when
 * the bucket's notification configuration (ObjectCreated under incoming/) would not fire.
 * S3 URL-encodes keys (space as '+') and reports a completed multipart upload as
 * ObjectCreated:CompleteMultipartUpload; s3rver does neither.
 */
export function toS3Notification(
  event: S3rverEvent,
  completedMultipart: boolean,
  region: string,
): string | undefined {
  const record = event.Records[0]
  if (!record?.eventName.startsWith('ObjectCreated:')) return undefined
  if (!record.s3.object.key.startsWith(PREFIXES.incoming)) return undefined
  return JSON.stringify({
    Records: [
      {
        ...record,
        eventVersion: '2.1',
        awsRegion: region,
        eventName: completedMultipart ? 'ObjectCreated:CompleteMultipartUpload' : record.eventName,
        s3: {
          ...record.s3,
          object: { ...record.s3.object, key: encodeS3Key(record.s3.object.key) },
        },
      },
    ],
  })
}
