import { randomUUID } from 'node:crypto'
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { z } from 'zod'
import { parseModel } from '../pipeline/model-schema.ts'
import type { PopulationModel } from '../pipeline/population.ts'
import { keys } from './keys.ts'

export type RunKind = 'ingest' | 'nightly'
export type RunStatus = 'running' | 'fitted' | 'succeeded' | 'failed'

export interface RunRecord {
  readonly runId: string
  readonly kind: RunKind
  readonly asOf: string
  readonly status: RunStatus
  readonly startedAt?: string | undefined
  readonly finishedAt?: string | undefined
  readonly customers?: number | undefined
  readonly reportKey?: string | undefined
  readonly error?: string | undefined
  /** The run served before this one started, whose scores the delta writes compare with. */
  readonly previousRunId?: string | undefined
  /** The execution that holds a nightly run (the one whose start claimed it). */
  readonly executionId?: string | undefined
  /** When a step of the holding execution last started: how a run in progress shows it is alive. */
  readonly heartbeatAt?: string | undefined
}

/** A start either claimed the run, or found it held by another execution that is still alive. */
export type StartResult =
  | { readonly started: true }
  | { readonly started: false; readonly running: RunRecord }

/** The run port: run records, their fitted models, and which run is being served. */
export interface RunStore {
  currentRunId(): Promise<string | undefined>
  currentModel(): Promise<PopulationModel | undefined>
  getRun(runId: string): Promise<RunRecord | undefined>
  getModel(runId: string): Promise<PopulationModel | undefined>
  /**
   * Records the run as running, held by `executionId`, unless another execution holds it: a run
   * whose status is running or fitted, held by a different execution, with a heartbeat at or after
   * `staleBefore` (without `staleBefore`, any heartbeat). One conditional write, so of two starts at
   * the same moment exactly one claims the run. A finished run (succeeded or failed) may be started
   * again; the same execution may start it again (a retried Plan).
   */
  start(
    run: {
      runId: string
      asOf: string
      kind: RunKind
      startedAt: string
      previousRunId?: string
      executionId?: string
    },
    options?: { staleBefore?: string },
  ): Promise<StartResult>
  /** Marks the run alive: a step of its execution has started. */
  heartbeat(runId: string, at: string): Promise<void>
  saveModel(runId: string, model: PopulationModel): Promise<void>
  update(runId: string, fields: Partial<Omit<RunRecord, 'runId' | 'kind' | 'asOf'>>): Promise<void>
  /** Points CURRENT at the run: the last write of a successful run. */
  switchCurrent(runId: string): Promise<void>
  /** Records a run fitted outside the nightly run (ingest before any run) and serves it. */
  publish(model: PopulationModel, kind: RunKind): Promise<void>
}

const CurrentPointer = z.object({ runId: z.string() })
const RunItem = z.object({
  runId: z.string(),
  kind: z.enum(['ingest', 'nightly']),
  asOf: z.string(),
  status: z.enum(['running', 'fitted', 'succeeded', 'failed']),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  customers: z.number().optional(),
  reportKey: z.string().optional(),
  error: z.string().optional(),
  previousRunId: z.string().optional(),
  executionId: z.string().optional(),
  heartbeatAt: z.string().optional(),
  model: z.string().optional(),
})

export function dynamoRunStore(dynamo: DynamoDBDocumentClient, table: string): RunStore {
  const getItem = async (runId: string) => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName: table, Key: keys.run(runId), ConsistentRead: true }),
    )
    return Item ? RunItem.parse(Item) : undefined
  }
  const currentRunId = async () => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName: table, Key: keys.currentRun(), ConsistentRead: true }),
    )
    return Item ? CurrentPointer.parse(Item).runId : undefined
  }
  const store: RunStore = {
    currentRunId,
    async currentModel() {
      const runId = await currentRunId()
      return runId ? store.getModel(runId) : undefined
    },
    async getRun(runId) {
      const item = await getItem(runId)
      if (!item) return undefined
      const { model: _model, ...run } = item
      return run
    },
    async getModel(runId) {
      const item = await getItem(runId)
      return item?.model ? parseModel(item.model) : undefined
    },
    async start(run, options = {}) {
      const executionId = run.executionId ?? randomUUID()
      try {
        await dynamo.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.run(run.runId),
              ...run,
              executionId,
              status: 'running',
              heartbeatAt: run.startedAt,
            },
            ConditionExpression:
              'attribute_not_exists(#status) OR NOT #status IN (:running, :fitted) OR executionId = :me' +
              ' OR attribute_not_exists(heartbeatAt) OR heartbeatAt < :staleBefore',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':running': 'running',
              ':fitted': 'fitted',
              ':me': executionId,
              // Without a lease, no heartbeat is old enough: '' sorts before every timestamp.
              ':staleBefore': options.staleBefore ?? '',
            },
          }),
        )
        return { started: true }
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error
        const running = await store.getRun(run.runId)
        if (!running) throw error
        return { started: false, running }
      }
    },
    async heartbeat(runId, at) {
      await store.update(runId, { heartbeatAt: at })
    },
    async saveModel(runId, model) {
      await store.update(runId, { status: 'fitted', customers: model.customers })
      await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.run(runId),
          UpdateExpression: 'SET #model = :model',
          ExpressionAttributeNames: { '#model': 'model' },
          ExpressionAttributeValues: { ':model': JSON.stringify(model) },
        }),
      )
    },
    async update(runId, fields) {
      const entries = Object.entries(fields).filter(([, value]) => value !== undefined)
      if (entries.length === 0) return
      await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.run(runId),
          UpdateExpression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#k${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
        }),
      )
    },
    async switchCurrent(runId) {
      await dynamo.send(new PutCommand({ TableName: table, Item: { ...keys.currentRun(), runId } }))
    },
    async publish(model, kind) {
      await dynamo.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.run(model.runId),
            runId: model.runId,
            kind,
            asOf: model.asOf,
            status: 'succeeded',
            customers: model.customers,
            model: JSON.stringify(model),
          },
        }),
      )
      await store.switchCurrent(model.runId)
    },
  }
  return store
}
