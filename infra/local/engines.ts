import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import dynalite from 'dynalite'
import S3rver from 's3rver'

export interface EngineOptions {
  /** Folder for dynalite's LevelDB files and s3rver's objects; kept across restarts. */
  readonly dataDir: string
  readonly dynamoPort: number
  readonly s3Port: number
  readonly host?: string
}

/** The record s3rver emits for each object event (an S3 notification with one record). */
export interface S3rverEvent {
  readonly Records: readonly {
    eventName: string
    s3: {
      bucket: { name: string }
      object: { key: string; size?: number; eTag?: string; sequencer?: string }
    }
  }[]
}

export interface Engines {
  readonly dynamoEndpoint: string
  readonly s3Endpoint: string
  /** Called for every S3 object event, with whether it completed a multipart upload. */
  onS3Event(listener: (event: S3rverEvent, completedMultipart: boolean) => void): void
  close(): Promise<void>
}

/** Starts dynalite (DynamoDB API) and s3rver (S3 API) on localhost, with their data under dataDir. */
export async function startEngines(options: EngineOptions): Promise<Engines> {
  const host = options.host ?? '127.0.0.1'
  const dynamoDir = join(options.dataDir, 'dynamodb')
  const s3Dir = join(options.dataDir, 's3')
  mkdirSync(dynamoDir, { recursive: true })
  mkdirSync(s3Dir, { recursive: true })

  const dynamo = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  const dynamoAddress = await listen(dynamo, options.dynamoPort, host)

  const s3rver = new S3rver({ directory: s3Dir, silent: true, configureBuckets: [] })
  // s3rver reports both a form POST and a completed multipart upload as ObjectCreated:Post; S3
  // reports the latter as ObjectCreated:CompleteMultipartUpload. Remember which keys are completing.
  const completing = new Map<string, number>()
  const app = s3rver.callback()
  const s3Server = createServer((req, res) => {
    const key = multipartCompletionKey(req.method, req.url)
    if (key) completing.set(key, (completing.get(key) ?? 0) + 1)
    app(req, res)
  })
  const s3Address = await listen(s3Server, options.s3Port, host)

  return {
    dynamoEndpoint: `http://${host}:${dynamoAddress.port}`,
    s3Endpoint: `http://${host}:${s3Address.port}`,
    onS3Event(listener) {
      s3rver.on('event', (event: S3rverEvent) => {
        const record = event.Records[0]
        const key = record && `${record.s3.bucket.name}/${record.s3.object.key}`
        const pending = key ? (completing.get(key) ?? 0) : 0
        const multipart = record?.eventName === 'ObjectCreated:Post' && pending > 0
        if (multipart && key) {
          if (pending > 1) completing.set(key, pending - 1)
          else completing.delete(key)
        }
        listener(event, multipart)
      })
    },
    async close() {
      await Promise.all([closeServer(s3Server), closeServer(dynamo)])
    },
  }
}

/** "POST /bucket/key?uploadId=..." completes a multipart upload; returns "bucket/key". */
function multipartCompletionKey(method: string | undefined, url: string | undefined): string | undefined {
  if (method !== 'POST' || !url) return undefined
  const parsed = new URL(url, 'http://localhost')
  if (!parsed.searchParams.has('uploadId')) return undefined
  return decodeURIComponent(parsed.pathname.slice(1))
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}
