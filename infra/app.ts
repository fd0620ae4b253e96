import { App } from 'aws-cdk-lib'
import { addNagChecks } from './nag.ts'
import { ScoringStack } from './scoring-stack.ts'

const app = new App()

/**
 * Optional deploy-time settings: `npx cdk deploy -c businessTimeZone=Europe/Berlin -c shardCount=32`,
 * `-c nightlyHour=3 -c nightlyTimeZone=Europe/Berlin -c nightlyDeadlineHours=4` for the nightly run,
 * `-c tableWarmWriteUnits=40000` for the table's warm write throughput (0: the table's own).
 */
function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key)
  return value === undefined || value === null ? undefined : String(value)
}
/** A numeric setting, left to the stack's default when absent; the stack validates the value. */
function numberContext(key: string): number | undefined {
  const value = context(key)
  return value === undefined ? undefined : Number(value)
}

// No `env`: the stack is environment-agnostic, so one template serves every account and region
// (names use the AWS::AccountId and AWS::Region pseudo parameters) and synth needs no credentials.
new ScoringStack(app, 'CustomerScoring', {
  description: 'customer-scoring: scores every customer of a business by value and risk',
  shardCount: numberContext('shardCount'),
  businessTimeZone: context('businessTimeZone'),
  alarmEmail: context('alarmEmail'),
  nightlyHour: numberContext('nightlyHour'),
  nightlyTimeZone: context('nightlyTimeZone'),
  nightlyDeadlineHours: numberContext('nightlyDeadlineHours'),
  tableWarmWriteUnits: numberContext('tableWarmWriteUnits'),
})

addNagChecks(app)
