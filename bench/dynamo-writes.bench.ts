/**
 * The local write rate: score records put into dynalite through the same adapter and batch size the
 * functions use. Prints one JSON line with items written per second.
 *
 *   node bench/dynamo-writes.bench.ts [--items 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CreateTableCommand } from '@aws-sdk/client-dynamodb'
import { startEngines } from '../infra/local/engines.ts'
import type { ScoreRecord } from '../shared/domain/score-record.ts'
import { TABLE } from '../shared/resources.ts'
import { createClients } from '../shared/storage/clients.ts'
import { dynamoScoreStore } from '../shared/storage/dynamo-score-store.ts'

const { values } = parseArgs({ options: { items: { type: 'string', default: '100000' } } })
const items = Number(values.items)
const dataDir = mkdtempSync(join(tmpdir(), 'dynamo-writes-'))
process.env.AWS_ACCESS_KEY_ID = 'local'
process.env.AWS_SECRET_ACCESS_KEY = 'local'
const engines = await startEngines({ dataDir, dynamoPort: 0, s3Port: 0 })
const { dynamo } = createClients({
  region: 'us-east-1',
  dynamoEndpoint: engines.dynamoEndpoint,
  s3Endpoint: undefined,
})
await dynamo.send(
  new CreateTableCommand({
    TableName: TABLE.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  }),
)
const store = dynamoScoreStore(dynamo, TABLE.name)
const record = (i: number): ScoreRecord => ({
  customerId: `C${String(i).padStart(7, '0')}`,
  asOf: '2025-12-31',
  modelVersion: 'cs-1',
  runId: '2025-12-31',
  firstPurchase: '2024-01-05',
  lastPurchase: '2025-11-30',
  x: 7,
  tx: 694,
  T: 726,
  timeUnit: 'days',
  recency: 31,
  frequency: 8,
  monetary: 34.12,
  totalSpend: 272.96,
  totalMargin: 272.96,
  historicValue: 272.96,
  monthlySpend: [0, 31.2, 0, 0, 40.1, 0, 0, 29.9, 0, 0, 35, 0],
  quarterlySpend: [31.2, 40.1, 29.9, 35, 0],
  expectedPurchases: 3.1234,
  pAlive: 0.8812,
  churnRisk: 0.1188,
  expectedSpend: 33.8,
  clv: 98.21,
  netValue: 98.21,
  rfmScore: '444',
  rfmSegment: 'Champions',
  tier: 'key',
  tierStrategy: 'maintain',
  quadrant: 'EI',
  quadrantStrategy: 'consolidate',
  clearOutRecommended: null,
  pattern: 'stable',
  decision: 'invest',
  reasons: [
    { code: 'DECISION_INVEST', text: 'net value 98.21 is at least 3 times the planned marketing cost' },
    { code: 'CHURN_RISK_LOW', text: 'churn risk 12% (P(alive) 88%) is below 70%' },
    { code: 'TIER_KEY', text: 'net value 98.21 ranks in the top 20% of customers; strategy: maintain' },
  ],
})
const started = performance.now()
const chunk = 1000
for (let i = 0; i < items; i += chunk) {
  await store.putLatest(Array.from({ length: Math.min(chunk, items - i) }, (_, k) => record(i + k)))
}
const seconds = (performance.now() - started) / 1000
console.log(
  JSON.stringify({
    items,
    seconds: Math.round(seconds * 100) / 100,
    itemsPerSecond: Math.round(items / seconds),
  }),
)
dynamo.destroy()
await engines.close()
rmSync(dataDir, { recursive: true, force: true })
