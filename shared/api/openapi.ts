import { z } from 'zod'
import { API_ROUTES, APP_NAME, type RouteSpec } from '../resources.ts'
import { PROSPECT_ROUTE_DOCS } from './prospect-docs.ts'
import {
  CustomerPathSchema,
  ErrorBodySchema,
  ExportCreatedSchema,
  ExportPathSchema,
  ExportRequestSchema,
  ExportResponseSchema,
  HistoryQuerySchema,
  HistoryResponseSchema,
  MAX_EXPORT_BODY_BYTES,
  MAX_SCORE_BODY_BYTES,
  OpenApiResponseSchema,
  RunPathSchema,
  RunResponseSchema,
  ScoreRecordSchema,
  ScoreRequestSchema,
  SegmentsResponseSchema,
} from './schemas.ts'

type ObjectSchema = z.ZodObject<z.ZodRawShape>

/** What the document says about one route: its inputs and each status it answers with. */
export interface RouteDoc {
  readonly summary: string
  readonly path?: ObjectSchema
  readonly query?: ObjectSchema
  readonly body?: z.ZodType
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema: z.ZodType }>>
}

const error = (description: string) => ({ description, schema: ErrorBodySchema })
const BAD_REQUEST = error('Invalid path, query or body; details name each problem')
const UNAUTHORIZED = error('Missing or invalid credentials')

/** Keyed by `METHOD path` as in API_ROUTES; a route without an entry fails the document build. */
export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  'GET /customers/{customerId}': {
    summary: "A customer's latest score record",
    path: CustomerPathSchema,
    responses: {
      200: { description: 'The score record', schema: ScoreRecordSchema },
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: error('No score for this customer (customer_not_found)'),
    },
  },
  'GET /customers/{customerId}/history': {
    summary: "A customer's past score states, newest first",
    path: CustomerPathSchema,
    query: HistoryQuerySchema,
    responses: {
      200: { description: 'The history', schema: HistoryResponseSchema },
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: error('No history for this customer (customer_not_found)'),
    },
  },
  'GET /runs/latest': {
    summary: 'The run being served, with its report',
    responses: {
      200: { description: 'The run', schema: RunResponseSchema },
      401: UNAUTHORIZED,
      404: error('No run has finished yet (run_not_found)'),
    },
  },
  'GET /runs/{runId}': {
    summary: 'A run by id, with its report',
    path: RunPathSchema,
    responses: {
      200: { description: 'The run', schema: RunResponseSchema },
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: error('No run with this id (run_not_found)'),
    },
  },
  'GET /segments': {
    summary:
      'Counts and value shares of the current run by tier, quadrant, RFM segment, pattern and decision',
    responses: {
      200: {
        description: "The current run's segment figures and Pareto figures",
        schema: SegmentsResponseSchema,
      },
      401: UNAUTHORIZED,
      404: error('No nightly run is being served yet (run_not_found)'),
    },
  },
  'POST /score': {
    summary: "Scores one customer from posted transactions with the current run's model; stores nothing",
    body: ScoreRequestSchema,
    responses: {
      200: {
        description: 'The score record the nightly run would give this history',
        schema: ScoreRecordSchema,
      },
      400: error('Malformed JSON, or invalid fields or transactions; details name index and field'),
      401: UNAUTHORIZED,
      404: error('No scoring run has finished yet (run_not_found)'),
      413: error(`The body exceeds ${MAX_SCORE_BODY_BYTES / 1024} KB (payload_too_large)`),
      422: error('No purchase on or before the as-of day (no_purchase)'),
    },
  },
  'POST /exports': {
    summary: "Starts an export of the current run's records: filtered, CSV or JSON lines, optionally gzipped",
    body: ExportRequestSchema,
    responses: {
      202: {
        description: 'The export job, queued; poll GET /exports/{exportId}',
        schema: ExportCreatedSchema,
      },
      400: error('Malformed JSON, or an invalid filter, field list or format; details name each problem'),
      401: UNAUTHORIZED,
      404: error('No nightly run is being served yet (run_not_found)'),
      413: error(`The body exceeds ${MAX_EXPORT_BODY_BYTES / 1024} KB (payload_too_large)`),
      503: error('The export worker could not be started; the job is marked failed (export_not_started)'),
    },
  },
  'GET /exports/{exportId}': {
    summary: 'An export job; once ready, with a download link made for this request',
    path: ExportPathSchema,
    responses: {
      200: { description: 'The job', schema: ExportResponseSchema },
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: error('No export with this id (export_not_found)'),
    },
  },
  ...PROSPECT_ROUTE_DOCS,
  'GET /openapi.json': {
    summary: 'This document (no authorisation needed)',
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: OpenApiResponseSchema } },
  },
}

/** The JSON Schema of a zod schema as the document embeds it: requests as accepted, responses as sent. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  return rest
}

export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>): string => `${route.method} ${route.path}`

/** An OpenAPI 3.1 document (whose schema dialect is JSON Schema 2020-12, what zod emits) of every route. */
export function buildOpenApi(routes: readonly RouteSpec[] = API_ROUTES): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const doc = ROUTE_DOCS[routeKey(route)]
    if (!doc) throw new Error(`no OpenAPI description for ${routeKey(route)}`)
    const operation: Record<string, unknown> = {
      operationId: operationId(route),
      summary: doc.summary,
      ...(route.public && { security: [] }),
      parameters: [...parametersOf(doc.path, 'path'), ...parametersOf(doc.query, 'query')],
      ...(doc.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: jsonSchemaOf(doc.body, 'input') } },
        },
      }),
      responses: Object.fromEntries(
        Object.entries(doc.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            content: { 'application/json': { schema: jsonSchemaOf(response.schema, 'output') } },
          },
        ]),
      ),
    }
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${APP_NAME} API`,
      version: '1',
      description:
        'Customer scores by value and risk. Every route except this document requires AWS SigV4 (IAM) ' +
        "signatures and the client's API key in the x-api-key header, which meters the client's " +
        'throttle and daily quota; the local stack takes "Authorization: Bearer <token>" instead.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (IAM); locally "Bearer <token>"',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
    security: [{ sigv4: [] }],
    paths,
  }
}

/** GET /runs/{runId} -> getRunsByRunId: unique per method and path, as OpenAPI requires. */
function operationId(route: RouteSpec): string {
  const words = route.path
    .split(/[/.]/)
    .filter((part) => part.length > 0)
    .map((part) => {
      const parameter = /^\{(\w+)\}$/.exec(part)?.[1]
      return parameter ? `By${capitalise(parameter)}` : capitalise(part)
    })
  return `${route.method.toLowerCase()}${words.join('')}`
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

function parametersOf(schema: ObjectSchema | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return []
  const json = jsonSchemaOf(schema, 'input')
  const properties = (json.properties ?? {}) as Record<string, Record<string, unknown>>
  const required = new Set((json.required ?? []) as string[])
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }))
}
