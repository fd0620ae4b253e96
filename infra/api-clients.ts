import { z } from 'zod'

/**
 * The stage's own throttle: every client together, and the ceiling of each client's own limits.
 * Callers are back-office services and analysts, not the public; this caps a runaway client.
 */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const

/**
 * One caller of the API (a service or a team): it gets its own API key and usage plan, so one
 * client's burst or runaway loop is throttled and capped without touching the others. The key only
 * meters; who may call is still decided by IAM (SigV4) on every method.
 */
export const ApiClientSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{1,39}$/,
        'lower-case letters, digits and dashes, 2 to 40, starting with a letter',
      ),
    /** Steady requests per second. */
    rateLimit: z.number().positive().max(API_THROTTLE.rateLimit).default(20),
    /** Requests allowed at once above the steady rate. */
    burstLimit: z.number().int().positive().max(API_THROTTLE.burstLimit).default(40),
    /** Requests per UTC day; beyond it the client gets 429 until the next day. */
    requestsPerDay: z.number().int().positive().default(100_000),
  })
  .strict()

export type ApiClient = z.output<typeof ApiClientSchema>

export const ApiClientsSchema = z
  .array(ApiClientSchema)
  .min(1, 'at least one API client: every method requires an API key')
  .refine((clients) => new Set(clients.map((c) => c.name)).size === clients.length, {
    message: 'client names must not repeat',
  })

/** The client list when the context gives none: one client with the default limits. */
export const DEFAULT_API_CLIENTS: readonly ApiClient[] = ApiClientsSchema.parse([{ name: 'back-office' }])

/**
 * Reads the `apiClients` context: a JSON array from `-c apiClients='[...]'` or an array from
 * cdk.json. Every problem is listed in one error, before anything is built.
 */
export function parseApiClients(value: unknown): ApiClient[] {
  let raw = value
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value)
    } catch {
      throw new Error(
        'apiClients is not JSON: give an array such as [{"name": "crm", "requestsPerDay": 50000}]',
      )
    }
  }
  const parsed = ApiClientsSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(list)'}: ${issue.message}`,
    )
    throw new Error(`invalid apiClients: ${problems.join('; ')}`)
  }
  return parsed.data
}
