import { Readable } from 'node:stream'
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

export interface ObjectVersion {
  readonly key: string
  /** Where the bucket is versioned. */
  readonly versionId?: string | undefined
  /** Guards against reading a newer object than the event announced. */
  readonly eTag?: string | undefined
}

/** The object storage port: the few operations the use cases need. */
export interface ObjectStore {
  /** Streams an object; undefined when it is gone or was replaced since the event (ETag no longer matches). */
  read(object: ObjectVersion): Promise<AsyncIterable<Uint8Array> | undefined>
  readAll(key: string): Promise<Uint8Array | undefined>
  write(key: string, body: Uint8Array | string, contentType: string): Promise<void>
  list(prefix: string): Promise<string[]>
  remove(keys: readonly string[]): Promise<void>
}

const DELETE_BATCH = 1000

export function s3ObjectStore(s3: S3Client, bucket: string): ObjectStore {
  const read: ObjectStore['read'] = async ({ key, versionId, eTag }) => {
    try {
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(versionId && { VersionId: versionId }),
        }),
      )
      const body = response.Body
      if (!(body instanceof Readable)) throw new Error(`unexpected body type for s3://${bucket}/${key}`)
      // Unversioned buckets: an event for an object that has since been overwritten must not
      // process the newer content under the older upload's identity (the newer one has its own event).
      if (!versionId && eTag && stripQuotes(response.ETag) !== stripQuotes(eTag)) {
        body.destroy()
        return undefined
      }
      return body
    } catch (error) {
      if (isGone(error)) return undefined
      throw error
    }
  }

  return {
    read,
    async readAll(key) {
      const body = await read({ key })
      if (!body) return undefined
      const chunks: Uint8Array[] = []
      for await (const chunk of body) chunks.push(chunk)
      return Buffer.concat(chunks)
    },
    async write(key, body, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }))
    },
    async list(prefix) {
      const keys: string[] = []
      let token: string | undefined
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        )
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key)
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      return keys.sort()
    },
    async remove(keys) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH)
        const result = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        )
        const failed = result.Errors ?? []
        if (failed.length > 0) {
          throw new Error(
            `could not delete ${failed.length} objects, first: ${failed[0]?.Key} (${failed[0]?.Code})`,
          )
        }
      }
    },
  }
}

function stripQuotes(eTag: string | undefined): string | undefined {
  return eTag?.replaceAll('"', '')
}

function isGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  return error.name === 'NoSuchKey' || error.name === 'PreconditionFailed' || status === 404 || status === 412
}
