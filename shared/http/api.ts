import type { MiddlewareObj } from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'
import type { z } from 'zod'
import type { Log } from '../logger.ts'
import { BadRequestError, errorBody, HttpError } from './errors.ts'

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
