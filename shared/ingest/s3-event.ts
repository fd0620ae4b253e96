import { z } from 'zod'
import type { UploadEvent } from './ingest-upload.ts'

const S3RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
})

const S3NotificationSchema = z.union([
  z.object({ Records: z.array(S3RecordSchema) }),
  // Sent once when a notification configuration is created.
  z.object({ Event: z.literal('s3:TestEvent') }),
])

export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError'
}

/** Upload events in an SQS message body carrying an S3 notification (keys URL-encoded, space as '+'). */
export function uploadEventsFromMessage(body: string): UploadEvent[] {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new MalformedEventError('message body is not JSON')
  }
  const parsed = S3NotificationSchema.safeParse(json)
  if (!parsed.success) throw new MalformedEventError(`not an S3 event notification: ${parsed.error.message}`)
  if (!('Records' in parsed.data)) return []
  return parsed.data.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map(
    (record) => ({
      bucket: record.s3.bucket.name,
      key: decodeS3Key(record.s3.object.key),
      // Events carry the ETag unquoted; HEAD and GET responses quote it.
      eTag: record.s3.object.eTag?.replaceAll('"', ''),
      versionId: record.s3.object.versionId,
      sequencer: record.s3.object.sequencer,
    }),
  )
}

export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replaceAll('+', ' '))
}

/** How S3 writes a key into an event record: form-URL-encoded (space as '+'), slashes kept. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+')
    .replaceAll('%2F', '/')
}
