import { randomUUID } from 'node:crypto'
import {
  NIGHTLY_DUPLICATE_CHECK,
  NIGHTLY_FAILURE_STATE,
  NIGHTLY_STEPS,
  type NightlyEvent,
  type RunPlan,
  TASK_RETRY,
} from '../../shared/nightly/workflow.ts'

export type Invoke = (event: NightlyEvent) => Promise<unknown>

export interface NightlyProgress {
  readonly state: string
  readonly done: number
  readonly total: number
  readonly customers: number
  readonly elapsedMs: number
}

export interface RunnerOptions {
  /** Shards in flight at once: the local stand-in for the map's MaxConcurrency. */
  readonly concurrency?: number
  readonly onProgress?: (progress: NightlyProgress) => void
  readonly sleep?: (ms: number) => Promise<void>
  /** Executed states in order, for checking the runner against the state machine. */
  readonly trace?: string[]
  /** Called before every invocation; throwing from it simulates a failed Lambda (fault tests). */
  readonly beforeInvoke?: (event: NightlyEvent) => void
}

/** How a run ended that did not fail: it ran, or another start of its day was already running it. */
export type NightlyResult = RunPlan & { readonly status: 'succeeded' | 'already-running' }

/** What a start that found its day running tells the operator. */
export function alreadyRunningMessage(plan: RunPlan): string {
  const since = plan.running?.heartbeatAt ? `, a step started at ${plan.running.heartbeatAt}` : ''
  return (
    `nightly run ${plan.runId} is already running (${plan.running?.executionId ?? 'another execution'}${since}); ` +
    'this start did nothing. Start the day again once that run has finished.'
  )
}

export class NightlyRunFailedError extends Error {
  override readonly name = 'NightlyRunFailedError'
}

/**
 * Runs the nightly steps in process, as the state machine does on AWS: the same declaration, the
 * same Lambda handler, maps over shards with bounded concurrency, retries with backoff, and on
 * failure the RecordFailure step (the previous run stays served). A start of a day whose run is in
 * progress ends after Plan with status `already-running` and leaves that run alone, as the state
 * machine's AlreadyRunning state does.
 */
export async function runNightly(
  invoke: Invoke,
  input: { asOf?: string },
  options: RunnerOptions = {},
): Promise<NightlyResult> {
  // The local stand-in for the execution id: Plan's retries within this call share it.
  const executionId = `local:${randomUUID()}`
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)))
  const withRetry = async (event: NightlyEvent): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      try {
        options.beforeInvoke?.(event)
        return await invoke(event)
      } catch (error) {
        if (attempt >= TASK_RETRY.maxAttempts) throw error
        await sleep(TASK_RETRY.intervalSeconds * 1000 * TASK_RETRY.backoffRate ** attempt)
      }
    }
  }
  let plan: RunPlan | undefined
  try {
    for (const step of NIGHTLY_STEPS) {
      options.trace?.push(step.state)
      if (step.kind === 'task') {
        if (step.step === 'plan') {
          plan = (await withRetry({
            step: 'plan',
            executionId,
            ...(input.asOf && { asOf: input.asOf }),
          })) as RunPlan
          options.trace?.push(NIGHTLY_DUPLICATE_CHECK.check)
          if (plan.alreadyRunning) {
            options.trace?.push(NIGHTLY_DUPLICATE_CHECK.end)
            return { ...plan, status: 'already-running' }
          }
        } else {
          if (!plan) throw new Error('the run has no plan')
          await withRetry({ step: step.step, runId: plan.runId, asOf: plan.asOf })
        }
        continue
      }
      if (!plan) throw new Error('the run has no plan')
      const { runId, asOf, shards } = plan
      const limit = Math.max(1, Math.min(step.maxConcurrency, options.concurrency ?? 2))
      const phaseStarted = Date.now()
      let next = 0
      let done = 0
      let customers = 0
      const worker = async () => {
        while (next < shards.length) {
          const shard = shards[next++] as number
          const result = (await withRetry({ step: step.step, runId, asOf, shard })) as { customers?: number }
          done++
          customers += result.customers ?? 0
          options.onProgress?.({
            state: step.state,
            done,
            total: shards.length,
            customers,
            elapsedMs: Date.now() - phaseStarted,
          })
        }
      }
      await Promise.all(Array.from({ length: limit }, worker))
    }
  } catch (error) {
    if (plan) {
      options.trace?.push(NIGHTLY_FAILURE_STATE.state)
      await invoke({ step: 'fail', runId: plan.runId, asOf: plan.asOf, error })
    }
    throw new NightlyRunFailedError(
      `nightly run ${plan?.runId ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  if (!plan) throw new NightlyRunFailedError('nightly run produced no plan')
  return { ...plan, status: 'succeeded' }
}
