/**
 * `npm run nightly -- [--as-of YYYY-MM-DD]`: the nightly scoring run on the local data. With
 * `npm start` running, the run happens inside it (the engines hold the data files); otherwise this
 * command starts the engines on the same data folder itself.
 */
import { parseArgs } from 'node:util'
import { localToken, progressLine, readLocalEnv } from './local-env.ts'
import { startLocalStack } from './local-stack.ts'
import { alreadyRunningMessage } from './nightly-runner.ts'

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'as-of': { type: 'string' } }, strict: true })
  const asOf = values['as-of']
  if (asOf !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf)))) {
    console.error(`--as-of ${asOf}: expected a date YYYY-MM-DD`)
    return 2
  }
  const env = readLocalEnv(process.env)
  const token = localToken(env)
  const query = asOf ? `?asOf=${asOf}` : ''
  try {
    const response = await fetch(`http://127.0.0.1:${env.PORT}/local/nightly${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    console.log(`run inside the running stack: ${response.status} ${await response.text()}`)
    return response.ok ? 0 : 1
  } catch {
    // Nothing listening: run on the data folder ourselves.
  }
  const stack = await startLocalStack({
    dataDir: env.LOCAL_DATA_DIR,
    apiPort: 0,
    dynamoPort: env.DYNAMODB_PORT,
    s3Port: env.S3_PORT,
    token,
    shardCount: env.SHARD_COUNT,
    timeZone: env.BUSINESS_TIME_ZONE,
  })
  try {
    const started = Date.now()
    const plan = await stack.runNightly(asOf, {
      onProgress: (p) => process.stderr.write(`\r${progressLine(p)}   `),
    })
    process.stderr.write('\n')
    if (plan.status === 'already-running') {
      console.error(alreadyRunningMessage(plan))
      return 1
    }
    console.log(`nightly run ${plan.runId} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return 0
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    return 1
  } finally {
    await stack.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  },
)
