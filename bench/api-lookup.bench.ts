/**
 * Load on the local stack's lookup route: `GET /customers/{id}` through the local HTTP server, the
 * real handler and dynalite, as `npm start` serves it (the CDNOW sample, ingested and scored by a
 * nightly run). autocannon runs in a child process for a fixed time over loopback, cycling through
 * every customer id of the sample. Prints one JSON line: requests per second and latency percentiles.
 *
 *   node bench/api-lookup.bench.ts [--connections 10] [--duration 10]
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { startLocalStack } from '../infra/local/local-stack.ts'
import { shiftSampleDates } from '../infra/local/sample.ts'
import { createClients } from '../shared/storage/clients.ts'

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
  },
})
const root = join(import.meta.dirname, '..')
const dataDir = mkdtempSync(join(tmpdir(), 'api-lookup-'))
const token = randomBytes(18).toString('base64url')
const stack = await startLocalStack({ dataDir, apiPort: 0, dynamoPort: 0, s3Port: 0, token })
try {
  const today = new Date().toISOString().slice(0, 10)
  const csv = shiftSampleDates(
    readFileSync(join(root, 'infra/local/sample/cdnow-transactions.csv'), 'utf8'),
    today,
  )
  const { s3 } = createClients({
    region: 'us-east-1',
    s3Endpoint: stack.s3Endpoint,
    dynamoEndpoint: undefined,
  })
  await s3.send(
    new PutObjectCommand({ Bucket: stack.bucket, Key: 'incoming/transactions/sample.csv', Body: csv }),
  )
  await stack.idle()
  await stack.runNightly(today)
  const ids = [
    ...new Set(
      csv
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[0] ?? ''),
    ),
  ].filter(Boolean)
  const idsFile = join(dataDir, 'ids.txt')
  writeFileSync(idsFile, ids.join('\n'))

  const output = await run(process.execPath, [
    join(root, 'bench/support/load-client.ts'),
    '--url',
    stack.apiUrl,
    '--token',
    token,
    '--ids',
    idsFile,
    '--connections',
    values.connections,
    '--duration',
    values.duration,
  ])
  const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}')
  const ok = result.statusCodeStats?.['200']?.count ?? 0
  console.log(
    JSON.stringify({
      requestsPerSecond: result.requests.average,
      latencyP50Ms: result.latency.p50,
      latencyP90Ms: result.latency.p90,
      latencyP99Ms: result.latency.p99,
      latencyMaxMs: result.latency.max,
      requests: result.requests.total,
      ok200: ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      customers: ids.length,
      connections: Number(values.connections),
      durationSeconds: result.duration,
    }),
  )
  if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1
} finally {
  await stack.close()
  rmSync(dataDir, { recursive: true, force: true })
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`load client exited ${code}`))))
  })
}
