import type { Readable } from 'node:stream'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { EXPORTS } from '../resources.ts'
import type { ObjectStore } from '../storage/s3-object-store.ts'
import type { ExportIo } from './write-export.ts'

/** S3's smallest part; with four in flight an upload holds about 20 MB whatever the export's size. */
export const EXPORT_PART_BYTES = 5 * 1024 * 1024
const PARTS_IN_FLIGHT = 4

/** Reads through the object store, writes with lib-storage's multipart Upload (aborted on failure). */
export function s3ExportIo(s3: S3Client, bucket: string, objects: ObjectStore): ExportIo {
  return {
    read: (key) => objects.read({ key }),
    async upload(target, body: Readable) {
      await new Upload({
        client: s3,
        params: {
          Bucket: bucket,
          Key: target.key,
          Body: body,
          ContentType: target.contentType,
          ContentDisposition: `attachment; filename="${target.fileName}"`,
        },
        partSize: EXPORT_PART_BYTES,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      }).done()
    },
  }
}

/** A presigned GET of an export file, valid for EXPORTS.urlExpirySeconds from `now`. */
export async function downloadLink(
  s3: S3Client,
  bucket: string,
  key: string,
  now: Date,
): Promise<{ url: string; expiresAt: string }> {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: EXPORTS.urlExpirySeconds,
    signingDate: now,
  })
  return { url, expiresAt: new Date(now.getTime() + EXPORTS.urlExpirySeconds * 1000).toISOString() }
}
