import { App } from 'aws-cdk-lib'
import { addNagChecks } from './nag.ts'
import { ScoringStack } from './scoring-stack.ts'

const app = new App()

/**
 * Optional deploy-time settings: `npx cdk deploy -c businessTimeZone=Europe/Berlin -c shardCount=32`,
 * `-c nightlyHour=3 -c nightlyTimeZone=Europe/Berlin -c nightlyDeadlineHours=4` for the nightly run,
 * `-c apiClients='[{"name": "crm", "rateLimit": 10, "burstLimit": 20, "requestsPerDay": 50000}]'`
 * (or an `apiClients` array in cdk.json) for the API's callers and their limits.
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
  apiClients: app.node.tryGetContext('apiClients') ?? undefined,
  tableWarmWriteUnits: numberContext('tableWarmWriteUnits'),
})

addNagChecks(app)
