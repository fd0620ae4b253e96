import { z } from 'zod'

/**
 * The environment every function reads once at cold start. The CDK stack and the local stack
 * both set these variables; a missing or malformed one fails fast with every problem listed.
 */
const EnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  DATA_BUCKET: z.string().min(1),
  SHARD_COUNT: z.coerce.number().int().min(1).max(4096).default(16),
  BUSINESS_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine(isTimeZone, { message: 'not an IANA time zone (for example Europe/Berlin)' }),
  /** Local engines only: endpoints of dynalite and s3rver. Unset on AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  S3_ENDPOINT: z.url().optional(),
  /** Local only: the Lambda API endpoint where functions start other functions. Unset on AWS. */
  LAMBDA_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
})

export type AppConfig = {
  readonly tableName: string
  readonly bucket: string
  readonly shardCount: number
  readonly timeZone: string
  readonly dynamoEndpoint: string | undefined
  readonly s3Endpoint: string | undefined
  readonly lambdaEndpoint: string | undefined
  readonly region: string
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`)
  }
  const e = parsed.data
  return {
    tableName: e.TABLE_NAME,
    bucket: e.DATA_BUCKET,
    shardCount: e.SHARD_COUNT,
    timeZone: e.BUSINESS_TIME_ZONE,
    dynamoEndpoint: e.DYNAMODB_ENDPOINT,
    s3Endpoint: e.S3_ENDPOINT,
    lambdaEndpoint: e.LAMBDA_ENDPOINT,
    region: e.AWS_REGION,
  }
}

/**
 * A variable that only some functions read (the name of a function they start, for example),
 * checked at cold start like the rest of the environment.
 */
export function requiredSetting(env: Record<string, string | undefined>, name: string): string {
  const value = env[name]
  if (value === undefined || value.length === 0) {
    throw new ConfigError(`invalid environment: ${name}: required`)
  }
  return value
}

export function isTimeZone(zone: string): boolean {
  if (zone === 'UTC') return true
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
