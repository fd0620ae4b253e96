/**
 * `npm start`: the whole pipeline on this machine, no AWS account needed. Ports, data folder and
 * token come from environment variables (see the README); the first start uploads a sample.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { z } from 'zod'
import { createClients } from '../../shared/storage/clients.ts'
import { LOCAL_CREDENTIALS, startLocalStack } from './local-stack.ts'
import { shiftSampleDates } from './sample.ts'

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DYNAMODB_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  S3_PORT: z.coerce.number().int().min(0).max(65535).default(4568),
  LOCAL_DATA_DIR: z.string().min(1).default('.local'),
  API_TOKEN: z.string().min(16, 'API_TOKEN must have at least 16 characters').optional(),
  SHARD_COUNT: z.coerce.number().int().min(1).max(4096).default(16),
  BUSINESS_TIME_ZONE: z.string().default('UTC'),
})

const TOKEN_FILE = 'api-token'
const SAMPLE_KEY = 'incoming/transactions/sample-cdnow.csv'
const SAMPLE_FILE = join(import.meta.dirname, 'sample', 'cdnow-transactions.csv')

async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`)
    process.exit(2)
  }
  const env = parsed.data
  const token = env.API_TOKEN ?? localToken(env.LOCAL_DATA_DIR)
  const say = (line: string) => console.log(line)

  const stack = await startLocalStack({
    dataDir: env.LOCAL_DATA_DIR,
    apiPort: env.PORT,
    dynamoPort: env.DYNAMODB_PORT,
    s3Port: env.S3_PORT,
    token,
    shardCount: env.SHARD_COUNT,
    timeZone: env.BUSINESS_TIME_ZONE,
    log: say,
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    say('stopping…')
    await stack.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  const { s3 } = createClients({
    region: 'us-east-1',
    s3Endpoint: stack.s3Endpoint,
    dynamoEndpoint: undefined,
  })
  const sampleCustomer = '00004'
  if (!(await exists(s3, stack.bucket, SAMPLE_KEY))) {
    const today = new Date().toISOString().slice(0, 10)
    const csv = shiftSampleDates(readFileSync(SAMPLE_FILE, 'utf8'), today)
    say(
      `uploading the CDNOW sample (2,357 customers, dates shifted to end yesterday) to s3://${stack.bucket}/${SAMPLE_KEY}`,
    )
    const started = Date.now()
    await s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: SAMPLE_KEY, Body: csv, ContentType: 'text/csv' }),
    )
    await stack.idle()
    say(`sample ingested and scored in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }

  const auth = `-H "Authorization: Bearer ${token}"`
  say(
    `ready: API ${stack.apiUrl} · S3 ${stack.s3Endpoint} (bucket ${stack.bucket}) · DynamoDB ${stack.dynamoEndpoint} (table ${stack.table})`,
  )
  say(
    `  token: ${token} (${env.API_TOKEN ? 'from API_TOKEN' : `generated once, kept in ${env.LOCAL_DATA_DIR}/${TOKEN_FILE}`})`,
  )
  say(`  curl ${auth} ${stack.apiUrl}/customers/${sampleCustomer}`)
  say(
    `  AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey} aws --endpoint-url ${stack.s3Endpoint} --region us-east-1 s3 cp FILE s3://${stack.bucket}/incoming/transactions/`,
  )
  say(
    `  reports: s3://${stack.bucket}/reports/transactions/ · data kept in ${env.LOCAL_DATA_DIR}/ · Ctrl-C stops`,
  )
}

/** A generated token is kept beside the data, so it stays the same across restarts. */
function localToken(dataDir: string): string {
  const file = join(dataDir, TOKEN_FILE)
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const token = randomBytes(18).toString('base64url')
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(file, `${token}\n`, { mode: 0o600 })
  return token
}

async function exists(
  s3: ReturnType<typeof createClients>['s3'],
  bucket: string,
  key: string,
): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    return true
  } catch {
    return false
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
