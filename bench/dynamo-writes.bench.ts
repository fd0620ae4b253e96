/**
 * The local write rate: the score records of a generated population (seed 1, the generator's defaults,
 * as the harness's input of that size) put into dynalite as the Score step writes them: per shard,
 * the LATEST items, then the history items, 25 to a BatchWriteItem, two shards at a time as the local
 * runner does. Scoring is setup, not timed. Prints one JSON line: items written (LATEST + history),
 * seconds, items and customers per second, and the items' DynamoDB sizes and write units, from which
 * the cost of a night on AWS follows.
 *
 *   node bench/dynamo-writes.bench.ts [--customers 100000] [--shards 16] [--writers 2]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { CreateTableCommand } from '@aws-sdk/client-dynamodb'
import { startEngines } from '../infra/local/engines.ts'
import { DEFAULT_GENERATOR_OPTIONS, generateTransactions } from '../scripts/generate.ts'
import type { ScoreRecord } from '../shared/domain/score-record.ts'
import { shardOf } from '../shared/domain/shard.ts'
import { parseTransactions } from '../shared/ingest/parse-transactions.ts'
import { RowStore } from '../shared/pipeline/row-store.ts'
import { customerInputs, scorePopulation } from '../shared/pipeline/score-population.ts'
import { TABLE } from '../shared/resources.ts'
import { DEFAULT_SCORING_CONFIG } from '../shared/scoring-config.ts'
import { createClients } from '../shared/storage/clients.ts'
import { dynamoHistoryStore, historyEntry } from '../shared/storage/dynamo-history-store.ts'
import { dynamoScoreStore } from '../shared/storage/dynamo-score-store.ts'
import { keys } from '../shared/storage/keys.ts'

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    shards: { type: 'string', default: '16' },
    writers: { type: 'string', default: '2' },
  },
})
const customers = Number(values.customers)
const shardCount = Number(values.shards)
const writers = Number(values.writers)

// Setup: the population's score records, as the nightly Score step makes them.
const options = { ...DEFAULT_GENERATOR_OPTIONS, customers, seed: 1 }
const asOf = options.end
function* csv(): Generator<string, void, undefined> {
  yield* generateTransactions(options)
}
const store = new RowStore()
for await (const batch of parseTransactions(Readable.from(csv(), { objectMode: false }), {
  fileName: 'generated.csv',
  timeZone: 'UTC',
})) {
  for (const row of batch.rows) store.add(row)
}
const config = { ...DEFAULT_SCORING_CONFIG, asOf }
const scored = scorePopulation(customerInputs(store, asOf, config), config, asOf, { runId: asOf })
const shards: ScoreRecord[][] = Array.from({ length: shardCount }, () => [])
for (const record of scored.records) shards[shardOf(record.customerId, shardCount)]?.push(record)

const nowSeconds = Math.floor(Date.now() / 1000)
const latestSizes = shards.flat().map((r) => itemBytes({ ...keys.customerLatest(r.customerId), ...r }))
const historySizes = shards.flat().map((r) =>
  itemBytes({
    ...keys.customerHistory(r.customerId, r.asOf),
    ...historyEntry(r),
    [TABLE.timeToLiveAttribute]: nowSeconds,
  }),
)

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
      { AttributeName: TABLE.partitionKey.name, AttributeType: TABLE.partitionKey.type },
      { AttributeName: TABLE.sortKey.name, AttributeType: TABLE.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
    ],
  }),
)
const scores = dynamoScoreStore(dynamo, TABLE.name)
const history = dynamoHistoryStore(dynamo, TABLE.name)

const started = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: writers }, async () => {
    while (next < shards.length) {
      const records = shards[next++] ?? []
      await scores.putLatest(records)
      await history.append(records, nowSeconds)
    }
  }),
)
const seconds = (performance.now() - started) / 1000
const written = latestSizes.length
const items = written + historySizes.length
const mean = (xs: readonly number[]) => xs.reduce((sum, x) => sum + x, 0) / Math.max(1, xs.length)
const units = (xs: readonly number[]) => xs.reduce((sum, x) => sum + Math.ceil(x / 1024), 0)
console.log(
  JSON.stringify({
    customers: written,
    items,
    writers,
    seconds: Math.round(seconds * 100) / 100,
    itemsPerSecond: Math.round(items / seconds),
    customersPerSecond: Math.round(written / seconds),
    latestItemBytes: Math.round(mean(latestSizes)),
    latestWriteUnitsPerItem: Math.round((units(latestSizes) / written) * 100) / 100,
    historyItemBytes: Math.round(mean(historySizes)),
    historyWriteUnitsPerItem: Math.round((units(historySizes) / written) * 100) / 100,
  }),
)
dynamo.destroy()
await engines.close()
rmSync(dataDir, { recursive: true, force: true })

/**
 * An item's size as DynamoDB bills it: each attribute's name plus its value (strings in UTF-8 bytes,
 * numbers about one byte per two significant digits plus one, lists and maps 3 bytes plus one per
 * element, null and booleans one byte).
 */
function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value)
  return bytes
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1
  if (typeof value === 'string') return Buffer.byteLength(value)
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace('.', '').replace(/^0+/, '').replace(/e.*$/, '')
    return Math.ceil(Math.max(1, digits.length) / 2) + 1
  }
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueBytes(v), 0)
  if (typeof value === 'object') {
    return (
      3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueBytes(v), 0)
    )
  }
  return 0
}
