import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { errorBody } from '../../shared/http/errors.ts'
import type { NightlyEvent, RunPlan } from '../../shared/nightly/workflow.ts'
import { API_ROUTES, FUNCTIONS, INGEST_QUEUE, LOCAL_BUCKET, TABLE } from '../../shared/resources.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { type ApiHandler, createApiServer } from './api-server.ts'
import { type Engines, startEngines } from './engines.ts'
import { lambdaContext } from './lambda-context.ts'
import { LocalQueue } from './local-queue.ts'
import { type RunnerOptions, runNightly } from './nightly-runner.ts'
import { toS3Notification } from './s3-bridge.ts'

export interface LocalStackOptions {
  readonly dataDir: string
  readonly apiPort: number
  readonly dynamoPort: number
  readonly s3Port: number
  readonly token: string
  readonly shardCount?: number
  readonly timeZone?: string
  /** Delay before a failed ingest message is received again. */
  readonly retryDelayMs?: number
  readonly log?: (line: string) => void
}

export interface LocalStack {
  readonly apiUrl: string
  readonly dynamoEndpoint: string
  readonly s3Endpoint: string
  readonly bucket: string
  readonly table: string
  readonly queue: LocalQueue
  /** Runs the nightly scoring run in process (the same steps and handler as the state machine). */
  runNightly(asOf?: string, options?: RunnerOptions): Promise<RunPlan>
  /** Resolves once every upload event so far has been ingested (or dead-lettered). */
  idle(): Promise<void>
  close(): Promise<void>
}

const REGION = 'us-east-1'
const ROOT = join(import.meta.dirname, '..', '..')

export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

/**
 * The whole pipeline on one machine: dynalite and s3rver, the table and bucket as the CDK stack
 * defines them, S3 events through an SQS-like queue to the real ingest handler, and the real API
 * handlers behind a local HTTP server.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined)
  const engines = await startEngines(options)
  try {
    configureEnvironment(engines, options)
    await provision(engines)
    const handlers = await loadHandlers()
    const queue = new LocalQueue({
      name: `${TABLE.name}-ingest`,
      maxReceiveCount: INGEST_QUEUE.maxReceiveCount,
      batchSize: INGEST_QUEUE.batchSize,
      retryDelayMs: options.retryDelayMs ?? 2_000,
      consumer: (event) => handlers.ingest(event, lambdaContext('ingest', FUNCTIONS.ingest.timeoutSeconds)),
      onDeadLetter: (record) => log(`ingest message ${record.messageId} moved to the dead-letter list`),
    })
    engines.onS3Event((event, completedMultipart) => {
      const body = toS3Notification(event, completedMultipart, REGION)
      if (body) queue.send(body)
    })
    let running: Promise<RunPlan> | undefined
    const runNightlyOnce = (asOf?: string, runnerOptions?: RunnerOptions): Promise<RunPlan> => {
      // One run at a time, as the state machine's schedule would start them.
      const previous = running ?? Promise.resolve(undefined)
      const next = previous
        .catch(() => undefined)
        .then(() =>
          runNightly(
            (event) => handlers.nightly(event, lambdaContext('nightly', FUNCTIONS.nightly.timeoutSeconds)),
            asOf ? { asOf } : {},
            runnerOptions,
          ),
        )
      running = next
      return next
    }
    const api = createApiServer({
      routes: API_ROUTES,
      handlers: handlers.api,
      token: options.token,
      admin: {
        'POST /local/nightly': async (url) => {
          const asOf = url.searchParams.get('asOf') ?? undefined
          if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
            return { status: 400, body: errorBody('bad_request', 'asOf must be YYYY-MM-DD') }
          }
          try {
            return { status: 200, body: await runNightlyOnce(asOf) }
          } catch (error) {
            return {
              status: 500,
              body: errorBody('run_failed', error instanceof Error ? error.message : 'failed'),
            }
          }
        },
      },
    })
    const address = await listen(api, options.apiPort)
    return {
      apiUrl: `http://localhost:${address.port}`,
      dynamoEndpoint: engines.dynamoEndpoint,
      s3Endpoint: engines.s3Endpoint,
      bucket: LOCAL_BUCKET,
      table: TABLE.name,
      queue,
      runNightly: runNightlyOnce,
      idle: () => queue.drained(),
      async close() {
        await new Promise<void>((resolve) => {
          api.close(() => resolve())
          api.closeAllConnections()
        })
        await engines.close()
      },
    }
  } catch (error) {
    await engines.close()
    throw error
  }
}

/** The functions read the same variables as on AWS, plus the local endpoints. */
function configureEnvironment(engines: Engines, options: LocalStackOptions): void {
  Object.assign(process.env, {
    TABLE_NAME: TABLE.name,
    DATA_BUCKET: LOCAL_BUCKET,
    SHARD_COUNT: String(options.shardCount ?? 16),
    BUSINESS_TIME_ZONE: options.timeZone ?? 'UTC',
    DYNAMODB_ENDPOINT: engines.dynamoEndpoint,
    S3_ENDPOINT: engines.s3Endpoint,
    AWS_REGION: REGION,
    // s3rver accepts only its own key pair; real credentials must never reach the local engines.
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  })
  delete process.env.AWS_SESSION_TOKEN
  delete process.env.AWS_PROFILE
}

async function provision(engines: Engines): Promise<void> {
  const { s3, dynamo } = createClients({
    region: REGION,
    s3Endpoint: engines.s3Endpoint,
    dynamoEndpoint: engines.dynamoEndpoint,
  })
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: TABLE.name }))
  } catch {
    await dynamo.send(
      new CreateTableCommand({
        TableName: TABLE.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE.partitionKey.name, AttributeType: TABLE.partitionKey.type },
          { AttributeName: TABLE.sortKey.name, AttributeType: TABLE.sortKey.type },
        ],
        KeySchema: [
          { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    )
    // dynalite accepts the setting but never expires items; history stays until overwritten.
    await dynamo
      .send(
        new UpdateTimeToLiveCommand({
          TableName: TABLE.name,
          TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
        }),
      )
      .catch(() => undefined)
  }
  try {
    await s3.send(new HeadBucketCommand({ Bucket: LOCAL_BUCKET }))
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET }))
  }
  s3.destroy()
  dynamo.destroy()
}

interface LoadedHandlers {
  readonly ingest: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>
  readonly nightly: (event: NightlyEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>
  readonly api: Record<string, ApiHandler>
}

/** Imports the real handler modules after the environment is set, as a Lambda cold start would. */
async function loadHandlers(): Promise<LoadedHandlers> {
  const modules = Object.fromEntries(
    await Promise.all(
      Object.entries(FUNCTIONS).map(
        async ([name, spec]) =>
          [name, await import(/* @vite-ignore */ pathToFileURL(join(ROOT, spec.entry)).href)] as const,
      ),
    ),
  )
  const api: Record<string, ApiHandler> = {}
  for (const route of API_ROUTES) api[route.function] = modules[route.function].handler
  return { ingest: modules.ingest.handler, nightly: modules.nightly.handler, api }
}

function listen(server: Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server.address() as AddressInfo))
  })
}
