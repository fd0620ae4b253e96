import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

/** The local stack's settings, from the environment (see the README's table). */
export const LocalEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DYNAMODB_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  S3_PORT: z.coerce.number().int().min(0).max(65535).default(4568),
  LOCAL_DATA_DIR: z.string().min(1).default('.local'),
  API_TOKEN: z.string().min(16, 'API_TOKEN must have at least 16 characters').optional(),
  SHARD_COUNT: z.coerce.number().int().min(1).max(4096).default(16),
  BUSINESS_TIME_ZONE: z.string().default('UTC'),
  /** Hour (0-23, UTC) of the nightly run inside `npm start`. */
  NIGHTLY_HOUR: z.coerce.number().int().min(0).max(23).default(2),
})

export type LocalEnv = z.infer<typeof LocalEnvSchema>

export function readLocalEnv(env: Record<string, string | undefined>): LocalEnv {
  const parsed = LocalEnvSchema.safeParse(env)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`)
    process.exit(2)
  }
  return parsed.data
}

export const TOKEN_FILE = 'api-token'

/** API_TOKEN, or a token generated once and kept beside the data so it survives restarts. */
export function localToken(env: LocalEnv): string {
  if (env.API_TOKEN) return env.API_TOKEN
  const file = join(env.LOCAL_DATA_DIR, TOKEN_FILE)
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const token = randomBytes(18).toString('base64url')
  mkdirSync(env.LOCAL_DATA_DIR, { recursive: true })
  writeFileSync(file, `${token}\n`, { mode: 0o600 })
  return token
}

/** "Summarise 8/16 shards · 12,345 customers · 4,100/s · ~3 s left" */
export function progressLine(p: {
  state: string
  done: number
  total: number
  customers: number
  elapsedMs: number
}) {
  const rate = p.customers / Math.max(p.elapsedMs / 1000, 0.001)
  const left = p.done > 0 ? ((p.total - p.done) * p.elapsedMs) / p.done / 1000 : 0
  return `${p.state} ${p.done}/${p.total} shards · ${p.customers.toLocaleString('en-US')} customers · ${Math.round(rate).toLocaleString('en-US')}/s · ~${Math.ceil(left)} s left`
}
