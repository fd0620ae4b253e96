import { z } from 'zod'
import { RunIdSchema } from '../domain/run-id.ts'
import { FUNCTIONS } from '../resources.ts'

/**
 * The nightly run, declared once: the CDK stack builds the Step Functions state machine from these
 * steps and the local runner executes the same steps in process. A test checks the two agree.
 *
 * Plan -> Summarise (map over shards) -> Fit -> Score (map over shards) -> ScoreProspects -> Finalise; any failure
 * -> RecordFailure, which marks the run failed and leaves the previous run served.
 */
export const NIGHTLY_STEPS = [
  { state: 'Plan', step: 'plan', kind: 'task' },
  {
    state: 'Summarise',
    step: 'summarise',
    kind: 'map',
    /** Summaries are CPU-bound reads of S3; 40 shards at once keep a run of 10M customers short. */
    maxConcurrency: 40,
  },
  { state: 'Fit', step: 'fit', kind: 'task' },
  {
    state: 'Score',
    step: 'score',
    kind: 'map',
    /** Bounded by DynamoDB: a new on-demand table starts near 4,000 writes/s. */
    maxConcurrency: 10,
  },
  /** Prospects re-scored against the customer base this run scored (PI-PIV). */
  { state: 'ScoreProspects', step: 'prospects', kind: 'task' },
  { state: 'Finalise', step: 'finalise', kind: 'task' },
] as const

export const NIGHTLY_FAILURE_STATE = { state: 'RecordFailure', step: 'fail' } as const

/**
 * Right after Plan: a start of a day whose run is still in progress (the schedule delivering twice,
 * an operator starting the day while it runs) ends in `end`, a success that changes nothing, and
 * leaves the running one alone. `check` is the choice between that and the first map.
 */
export const NIGHTLY_DUPLICATE_CHECK = { check: 'IsDuplicate', end: 'AlreadyRunning' } as const

/**
 * A run in progress counts as abandoned (and a new start of its day may take it over) when none of
 * its steps has started for this long: twice the nightly function's timeout, so a step that runs to
 * its timeout and is retried never looks abandoned. An execution stopped by hand, or a local run
 * killed half way, blocks its day at most this long.
 */
export const RUN_LEASE_SECONDS = 2 * FUNCTIONS.nightly.timeoutSeconds

/**
 * No shard may fail: a run whose scores are partly missing is never switched to. A failed shard
 * after its retries fails the run and the previous run stays served.
 */
export const TOLERATED_FAILURE_PERCENTAGE = 0

/** Retries of every task: transient Lambda and S3/DynamoDB errors, with exponential backoff. */
export const TASK_RETRY = { intervalSeconds: 2, maxAttempts: 3, backoffRate: 2 } as const

export type NightlyStep = (typeof NIGHTLY_STEPS)[number]['step'] | typeof NIGHTLY_FAILURE_STATE.step

const RunRef = { runId: RunIdSchema, asOf: z.iso.date() }

/** The event each step's Lambda receives (the state machine's Payload, or the local runner's call). */
export const NightlyEventSchema = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('plan'),
    asOf: z.iso.date().optional(),
    scheduledTime: z.iso.datetime().optional(),
    /** Who starts the run: the Step Functions execution, or the local runner's id of its call. */
    executionId: z.string().min(1).max(2048).optional(),
  }),
  z.object({ step: z.literal('summarise'), ...RunRef, shard: z.number().int().nonnegative() }),
  z.object({ step: z.literal('fit'), ...RunRef }),
  z.object({ step: z.literal('score'), ...RunRef, shard: z.number().int().nonnegative() }),
  z.object({ step: z.literal('prospects'), ...RunRef }),
  z.object({ step: z.literal('finalise'), ...RunRef }),
  z.object({ step: z.literal('fail'), ...RunRef, error: z.unknown().optional() }),
])

export type NightlyEvent = z.infer<typeof NightlyEventSchema>

/**
 * What Plan returns: the state the rest of the run reads (`shards` feeds both maps). When another
 * execution is running the day, `alreadyRunning` is true, `shards` is empty, and `running` says which
 * execution holds the run and when one of its steps last started.
 */
export interface RunPlan {
  readonly runId: string
  readonly asOf: string
  readonly shards: number[]
  readonly alreadyRunning: boolean
  readonly running?: { readonly executionId?: string | undefined; readonly heartbeatAt?: string | undefined }
}
