import { describe, expect, it } from 'vitest'
import { runNightly } from '../../infra/local/nightly-runner.ts'
import { NIGHTLY_DUPLICATE_CHECK, NIGHTLY_FAILURE_STATE } from '../../shared/nightly/workflow.ts'
import { nightlyDefinitionStates, stateMachineDefinition } from './state-machine-definition.ts'
import { synthesize } from './synth.ts'

const { template } = synthesize({ bundle: false })
const definition = nightlyDefinitionStates(template)
const plan = { runId: '2026-11-23', asOf: '2026-11-23', shards: [0, 1, 2], alreadyRunning: false }

describe('the local nightly runner', () => {
  it('executes the same states, in the same order, as the deployed state machine', async () => {
    const trace: string[] = []
    await runNightly(async (event) => (event.step === 'plan' ? plan : {}), {}, { trace })
    expect(trace).toEqual(definition.map((state) => state.name))
  })

  it('records the failure through the same RecordFailure step the state machine routes errors to', async () => {
    const trace: string[] = []
    const failing = runNightly(
      async (event) => {
        if (event.step === 'fit') throw new Error('boom')
        return event.step === 'plan' ? plan : {}
      },
      {},
      { trace, sleep: async () => undefined },
    )
    await expect(failing).rejects.toThrow(/boom/)
    expect(trace.at(-1)).toBe(NIGHTLY_FAILURE_STATE.state)
    const fit = definition.find((state) => state.name === 'Fit')
    expect(fit?.catchNext).toContain(NIGHTLY_FAILURE_STATE.state)
  })

  it("stops after Plan when the day is already running, along the state machine's own branch", async () => {
    const trace: string[] = []
    const events: string[] = []
    const result = await runNightly(
      async (event) => {
        events.push(event.step)
        return { ...plan, shards: [], alreadyRunning: true }
      },
      {},
      { trace },
    )
    expect(result.status).toBe('already-running')
    expect(events).toEqual(['plan'])
    const choice = stateMachineDefinition(template).States[NIGHTLY_DUPLICATE_CHECK.check]
    const onDuplicate = Array.isArray(choice?.Choices) ? choice.Choices[0] : undefined
    expect(trace).toEqual([definition[0]?.name, choice && NIGHTLY_DUPLICATE_CHECK.check, onDuplicate?.Next])
  })

  it('tells Plan one execution id for all its attempts', async () => {
    const ids: unknown[] = []
    let attempts = 0
    await runNightly(
      async (event) => {
        if (event.step !== 'plan') return {}
        ids.push(event.executionId)
        if (++attempts < 3) throw new Error('transient')
        return plan
      },
      {},
      { sleep: async () => undefined },
    )
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(1)
    expect(ids[0]).toEqual(expect.any(String))
  })
})
