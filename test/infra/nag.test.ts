import { App, Stack, Validations } from 'aws-cdk-lib'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { addNagChecks, NAG_PACKS } from '../../infra/nag.ts'
import { isRecord, SYNTH_TIMEOUT_MS, synthesize } from './synth.ts'

interface Finding {
  readonly rule: string
  readonly severity: string
  readonly path: string
}

interface Acknowledgement {
  readonly rule: string
  readonly reason: string
  readonly path: string
}

/** What the rule packs of the app report on a synthesized construct tree, acknowledgements applied. */
function findings(app: App): Finding[] {
  return NAG_PACKS.flatMap((Pack) =>
    new Pack().validateScope(app).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        rule: violation.ruleName,
        severity: violation.severity ?? 'error',
        path: resource.constructPath ?? '',
      })),
    ),
  )
}

function acknowledgements(app: App): Acknowledgement[] {
  const found: Acknowledgement[] = []
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !isRecord(entry.data)) continue
      for (const [id, reason] of Object.entries(entry.data)) {
        found.push({
          rule: id.replace(/^annotation::/i, ''),
          reason: String(reason),
          path: construct.node.path,
        })
      }
    }
  }
  return found
}

const describeFinding = (f: Finding) => `${f.severity} ${f.rule} at ${f.path}`

// Bundling is skipped: the packs inspect resources, not function code.
let app: App
let withoutAcknowledgements: App

beforeAll(() => {
  app = synthesize({ bundle: false }).app
  const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {})
  try {
    withoutAcknowledgements = synthesize({ bundle: false }).app
  } finally {
    acknowledge.mockRestore()
  }
}, SYNTH_TIMEOUT_MS)

describe('cdk-nag', () => {
  it('reports no error that is not acknowledged', () => {
    const errors = findings(app).filter((f) => f.severity === 'error')
    expect(errors.map(describeFinding)).toEqual([])
  })

  it('reports no warning that is not acknowledged', () => {
    const warnings = findings(app).filter((f) => f.severity !== 'error')
    expect(warnings.map(describeFinding)).toEqual([])
  })

  it('acknowledges only findings the packs actually report, on the constructs they report them on', () => {
    const raw = findings(withoutAcknowledgements)
    const stale = acknowledgements(app).filter(
      (ack) =>
        !raw.some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
    )
    expect(stale.map((ack) => `${ack.rule} at ${ack.path}`)).toEqual([])
  })

  it('gives every acknowledgement a specific written reason', () => {
    const acks = acknowledgements(app)
    expect(acks.length).toBeGreaterThan(0)
    for (const ack of acks) {
      expect(ack.reason.trim().split(/\s+/).length, `${ack.rule} at ${ack.path}`).toBeGreaterThanOrEqual(12)
    }
  })

  it('fails synthesis of the app when a finding is not acknowledged', () => {
    const probe = new App()
    const stack = new Stack(probe, 'Probe')
    new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED, enforceSSL: true })
    addNagChecks(probe)
    expect(() => probe.synth()).toThrow(/AwsSolutions-SQS2/)
  })
})
