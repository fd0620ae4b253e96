import { describe, expect, it } from 'vitest'
import { runNightly } from '../../infra/local/nightly-runner.ts'
import { NIGHTLY_FAILURE_STATE } from '../../shared/nightly/workflow.ts'
import { nightlyDefinitionStates } from './state-machine-definition.ts'
import { synthesize } from './synth.ts'

const definition = nightlyDefinitionStates(synthesize({ bundle: false }).template)
const plan = { runId: '2026-11-23', asOf: '2026-11-23', shards: [0, 1, 2] }

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
})
