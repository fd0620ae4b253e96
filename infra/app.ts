import { App } from 'aws-cdk-lib'
import { addNagChecks } from './nag.ts'
import { ScoringStack } from './scoring-stack.ts'

const app = new App()

/** Optional deploy-time settings: `npx cdk deploy -c businessTimeZone=Europe/Berlin -c shardCount=32`. */
function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key)
  return value === undefined || value === null ? undefined : String(value)
}
const shardCount = context('shardCount')

// No `env`: the stack is environment-agnostic, so one template serves every account and region
// (names use the AWS::AccountId and AWS::Region pseudo parameters) and synth needs no credentials.
new ScoringStack(app, 'CustomerScoring', {
  description: 'customer-scoring: scores every customer of a business by value and risk',
  ...(shardCount !== undefined && { shardCount: Number(shardCount) }),
  businessTimeZone: context('businessTimeZone'),
  alarmEmail: context('alarmEmail'),
})

addNagChecks(app)
