import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { errorBody } from '../../shared/http/errors.ts'
import type { NightlyEvent } from '../../shared/nightly/workflow.ts'
import { API_ROUTES, FUNCTIONS, INGEST_QUEUE, LOCAL_BUCKET, TABLE } from '../../shared/resources.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { type ApiHandler, createApiServer } from './api-server.ts'
import { type Engines, startEngines } from './engines.ts'
import { lambdaContext } from './lambda-context.ts'
import { type AsyncInvoke, createLambdaEndpoint } from './lambda-endpoint.ts'
import { LocalQueue } from './local-queue.ts'
import {
  alreadyRunningMessage,
  type NightlyResult,
  type RunnerOptions,
  runNightly,
} from './nightly-runner.ts'
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
  /** The local Lambda API (asynchronous Invoke only), where functions start other functions. */
  readonly lambdaEndpoint: string
  readonly bucket: string
  readonly table: string
  readonly queue: LocalQueue
  /** Runs the nightly scoring run in process (the same steps and handler as the state machine). */
  runNightly(asOf?: string, options?: RunnerOptions): Promise<NightlyResult>
  /**
   * Invokes a function in process as Lambda's InvocationType Event does: it returns at once, the
   * function runs afterwards, and an error is logged, not thrown to the caller.
   */
  invokeAsync(name: AsyncFunctionName, event: unknown): void
  /**
   * Resolves once every upload event so far has been ingested (or dead-lettered) and every
   * asynchronous invocation has ended.
   */
  idle(): Promise<void>
  close(): Promise<void>
}

/** Functions invoked asynchronously by another function, not by a route, queue or state machine. */
export const ASYNC_FUNCTIONS = ['exportWorker'] as const
export type AsyncFunctionName = (typeof ASYNC_FUNCTIONS)[number]

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
  // Bound once the handlers are loaded; the endpoint must be listening before they read its address.
  let invokeByName: AsyncInvoke = () => false
  const lambda = createLambdaEndpoint((name, event) => invokeByName(name, event))
  const lambdaAddress = await listen(lambda, 0)
  try {
    configureEnvironment(engines, options, `http://127.0.0.1:${lambdaAddress.port}`)
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
    // Not queued behind a run in progress: as on AWS, Plan's guard ends a second start of the same day
    // (status already-running) and leaves the first alone.
    const runNightlyOnce = (asOf?: string, runnerOptions?: RunnerOptions): Promise<NightlyResult> =>
      runNightly(
        (event) => handlers.nightly(event, lambdaContext('nightly', FUNCTIONS.nightly.timeoutSeconds)),
        asOf ? { asOf } : {},
        runnerOptions,
      )
    const invocations = new Set<Promise<void>>()
    const invokeAsync = (name: AsyncFunctionName, event: unknown): void => {
      const invocation = new Promise<void>((resolve) => setImmediate(resolve))
        .then(async () => {
          await handlers.async[name](event, lambdaContext(name, FUNCTIONS[name].timeoutSeconds))
        })
        .catch((error: unknown) =>
          log(`${name} invocation failed: ${error instanceof Error ? error.message : 'unknown error'}`),
        )
        .finally(() => invocations.delete(invocation))
      invocations.add(invocation)
    }
    invokeByName = (name, event) => {
      const known = ASYNC_FUNCTIONS.find((candidate) => candidate === name)
      if (known) invokeAsync(known, event)
      return known !== undefined
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
            const result = await runNightlyOnce(asOf)
            if (result.status === 'already-running') {
              return { status: 409, body: errorBody('run_already_running', alreadyRunningMessage(result)) }
            }
            return { status: 200, body: result }
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
      invokeAsync,
      lambdaEndpoint: `http://127.0.0.1:${lambdaAddress.port}`,
      async idle() {
        await queue.drained()
        while (invocations.size > 0) await Promise.all(invocations)
      },
      async close() {
        await new Promise<void>((resolve) => {
          api.close(() => resolve())
          api.closeAllConnections()
        })
        await new Promise<void>((resolve) => {
          lambda.close(() => resolve())
          lambda.closeAllConnections()
        })
        await engines.close()
      },
    }
  } catch (error) {
    lambda.close()
    await engines.close()
    throw error
  }
}

/** The functions read the same variables as on AWS, plus the local endpoints. */
function configureEnvironment(engines: Engines, options: LocalStackOptions, lambdaEndpoint: string): void {
  Object.assign(process.env, {
    TABLE_NAME: TABLE.name,
    DATA_BUCKET: LOCAL_BUCKET,
    SHARD_COUNT: String(options.shardCount ?? 16),
    BUSINESS_TIME_ZONE: options.timeZone ?? 'UTC',
    DYNAMODB_ENDPOINT: engines.dynamoEndpoint,
    S3_ENDPOINT: engines.s3Endpoint,
    LAMBDA_ENDPOINT: lambdaEndpoint,
    // On AWS the stack sets the worker's deployed name; locally the endpoint knows functions by key.
    EXPORT_WORKER_FUNCTION: 'exportWorker' satisfies AsyncFunctionName,
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
  readonly async: Record<
    AsyncFunctionName,
    (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>
  >
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
  const async = Object.fromEntries(
    ASYNC_FUNCTIONS.map((name) => [name, modules[name].handler]),
  ) as LoadedHandlers['async']
  return { ingest: modules.ingest.handler, nightly: modules.nightly.handler, api, async }
}

function listen(server: Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server.address() as AddressInfo))
  })
}
