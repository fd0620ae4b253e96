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
import { TABLE } from '../shared/resources.ts'
import { createClients } from '../shared/storage/clients.ts'
import { dynamoScoreStore } from '../shared/storage/dynamo-score-store.ts'
import { benchRecord } from './support/score-record.ts'

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
const started = performance.now()
const chunk = 1000
for (let i = 0; i < items; i += chunk) {
  await store.putLatest(Array.from({ length: Math.min(chunk, items - i) }, (_, k) => benchRecord(i + k)))
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
