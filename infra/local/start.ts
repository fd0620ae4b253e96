/**
 * `npm start`: the whole pipeline on this machine, no AWS account needed. Ports, data folder and
 * token come from environment variables (see the README); the first start uploads a sample.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoRunStore } from '../../shared/storage/dynamo-run-store.ts'
import { localToken, progressLine, readLocalEnv, TOKEN_FILE } from './local-env.ts'
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from './local-stack.ts'
import { alreadyRunningMessage } from './nightly-runner.ts'
import { shiftSampleDates } from './sample.ts'

const SAMPLE_KEY = 'incoming/transactions/sample-cdnow.csv'
const SAMPLE_FILE = join(import.meta.dirname, 'sample', 'cdnow-transactions.csv')
const HOUR_MS = 3_600_000

async function main(): Promise<void> {
  const env = readLocalEnv(process.env)
  const token = localToken(env)
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

  const { s3, dynamo } = createClients({
    region: 'us-east-1',
    s3Endpoint: stack.s3Endpoint,
    dynamoEndpoint: stack.dynamoEndpoint,
  })
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
  // Scores describe a day: a stack started on a day without a run catches up with one for today.
  const today = new Date().toISOString().slice(0, 10)
  if ((await dynamoRunStore(dynamo, stack.table).currentRunId()) !== today) {
    await nightly(stack, say, `nightly run for ${today}`)
  }
  scheduleNightly(stack, env.NIGHTLY_HOUR, say)

  const auth = `-H "Authorization: Bearer ${token}"`
  say(
    `ready: API ${stack.apiUrl} · S3 ${stack.s3Endpoint} (bucket ${stack.bucket}) · DynamoDB ${stack.dynamoEndpoint} (table ${stack.table})`,
  )
  say(
    `  token: ${token} (${env.API_TOKEN ? 'from API_TOKEN' : `generated once, kept in ${env.LOCAL_DATA_DIR}/${TOKEN_FILE}`})`,
  )
  say(`  curl ${auth} ${stack.apiUrl}/customers/00004`)
  say(`  curl ${auth} ${stack.apiUrl}/customers/00004/history`)
  say(`  curl ${auth} ${stack.apiUrl}/runs/latest`)
  say(
    `  AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey} aws --endpoint-url ${stack.s3Endpoint} --region us-east-1 s3 cp FILE s3://${stack.bucket}/incoming/transactions/`,
  )
  say(
    `  nightly run at ${String(env.NIGHTLY_HOUR).padStart(2, '0')}:00 UTC, or now: npm run nightly · reports: s3://${stack.bucket}/reports/ · data kept in ${env.LOCAL_DATA_DIR}/ · Ctrl-C stops`,
  )
}

async function nightly(stack: LocalStack, say: (line: string) => void, title: string): Promise<void> {
  say(title)
  const started = Date.now()
  try {
    const plan = await stack.runNightly(undefined, {
      onProgress: (p) => process.stdout.isTTY && process.stdout.write(`\r  ${progressLine(p)}   `),
    })
    if (process.stdout.isTTY) process.stdout.write('\n')
    if (plan.status === 'already-running') say(`  ${alreadyRunningMessage(plan)}`)
    else say(`  run ${plan.runId} scored every customer in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } catch (error) {
    say(
      `  nightly run failed, the previous run stays served: ${error instanceof Error ? error.message : error}`,
    )
  }
}

function scheduleNightly(stack: LocalStack, hour: number, say: (line: string) => void): void {
  const now = Date.now()
  const next = new Date(now)
  next.setUTCHours(hour, 0, 0, 0)
  if (next.getTime() <= now) next.setTime(next.getTime() + 24 * HOUR_MS)
  setTimeout(() => {
    void nightly(stack, say, `${new Date().toISOString()} scheduled nightly run`)
    scheduleNightly(stack, hour, say)
  }, next.getTime() - now).unref()
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
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
