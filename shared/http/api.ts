import type { MiddlewareObj } from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'
import type { z } from 'zod'
import type { Log } from '../logger.ts'
import { BadRequestError, errorBody, HttpError, PayloadTooLargeError } from './errors.ts'

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) }
}

/**
 * Maps errors to `{"error": {code, message, details}}`: HttpErrors to their status, anything else
 * to a 500 that says nothing of the cause (which is logged without the request's data).
 */
export function jsonErrors(
  logger: Pick<Log, 'error'>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const { error } = request
      if (error instanceof HttpError) {
        if (error.status >= 500) {
          const cause = error.cause instanceof Error ? error.cause : undefined
          logger.error('request failed', {
            code: error.code,
            causeName: cause?.name,
            causeMessage: cause?.message,
          })
        }
        request.response = jsonResponse(error.status, errorBody(error.code, error.message, error.details))
        return
      }
      logger.error('unhandled error', { errorName: error?.name, stack: error?.stack })
      request.response = jsonResponse(500, errorBody('internal_error', 'internal error'))
    },
  }
}

/** Validates path parameters; a failure is a 400 naming each bad parameter. */
export function pathParameters<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  const result = schema.safeParse(event.pathParameters ?? {})
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({
      parameter: issue.path.join('.'),
      problem: issue.message,
    }))
    throw new BadRequestError('invalid path parameter', details)
  }
  return result.data
}

/** Validates query string parameters; a failure is a 400 naming each bad parameter. */
export function queryParameters<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  const result = schema.safeParse(event.queryStringParameters ?? {})
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({
      parameter: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : ''),
      problem: issue.message,
    }))
    throw new BadRequestError('invalid query parameter', details)
  }
  return result.data
}

/** One problem of a request body: where it is (`transactions[3].amount`) and what is wrong. */
export interface BodyProblem {
  readonly field: string
  readonly problem: string
  /** The position in the body's list, for a problem inside one (a transaction, a field name). */
  readonly index?: number
}

/**
 * Reads and validates a JSON body: larger than `maxBytes` (by Content-Length or by its length) is a
 * 413, no body or malformed JSON a 400, and a body the schema refuses a 400 naming each problem.
 */
export function jsonBody<S extends z.ZodType>(
  event: APIGatewayProxyEvent,
  schema: S,
  maxBytes: number,
): z.infer<S> {
  const declared = Number(header(event, 'content-length') ?? 0)
  if (declared > maxBytes) throw new PayloadTooLargeError(maxBytes)
  if (event.body === null || event.body.length === 0) throw new BadRequestError('the request has no body')
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8')
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes)
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new BadRequestError('the request body is not valid JSON')
  }
  const result = schema.safeParse(parsed)
  if (!result.success) {
    throw new BadRequestError('invalid request body', result.error.issues.flatMap(bodyProblems))
  }
  return result.data
}

function bodyProblems(issue: z.core.$ZodIssue): BodyProblem[] {
  const at = issue.path.filter((part): part is string | number => typeof part !== 'symbol')
  const index = at.find((part): part is number => typeof part === 'number')
  const where = (path: readonly (string | number)[]) =>
    path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('')
  const problem = (field: string, text: string): BodyProblem =>
    index === undefined ? { field, problem: text } : { field, problem: text, index }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => problem(where([...at, key]), 'is not a known field'))
  }
  return [problem(where(at) || '(body)', issue.message)]
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value
  }
  return undefined
}
