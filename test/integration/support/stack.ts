import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts'
import { createClients } from '../../../shared/storage/clients.ts'

export const TOKEN = 'integration-test-token'

export interface TestStack {
  readonly stack: LocalStack
  readonly s3: S3Client
  readonly dynamo: ReturnType<typeof createClients>['dynamo']
  upload(key: string, body: string | Uint8Array): Promise<void>
  readJson(key: string): Promise<unknown>
  readText(key: string): Promise<string>
  get(path: string, token?: string | null): Promise<{ status: number; body: unknown }>
  close(): Promise<void>
}

/** A local stack on free ports with its own data folder, as `npm start` runs it. */
export async function startTestStack(): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'customer-scoring-'))
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    dynamoPort: 0,
    s3Port: 0,
    token: TOKEN,
    shardCount: 4,
    retryDelayMs: 50,
  })
  const { s3, dynamo } = createClients({
    region: 'us-east-1',
    s3Endpoint: stack.s3Endpoint,
    dynamoEndpoint: stack.dynamoEndpoint,
  })
  const readText = async (key: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }))
    return (await object.Body?.transformToString('utf8')) ?? ''
  }
  return {
    stack,
    s3,
    dynamo,
    async upload(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }))
      await stack.idle()
    },
    readText,
    readJson: async (key) => JSON.parse(await readText(key)),
    async get(path, token = TOKEN) {
      const response = await fetch(`${stack.apiUrl}${path}`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      })
      return { status: response.status, body: await response.json() }
    },
    async close() {
      s3.destroy()
      dynamo.destroy()
      await stack.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
