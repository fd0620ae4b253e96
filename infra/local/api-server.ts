import { randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { errorBody } from '../../shared/http/errors.ts'
import type { RouteSpec } from '../../shared/resources.ts'
import { lambdaContext } from './lambda-context.ts'

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>

export interface ApiServerOptions {
  readonly routes: readonly RouteSpec[]
  readonly handlers: Readonly<Record<string, ApiHandler>>
  /**
   * Stands in for IAM authorization: requests must carry "Authorization: Bearer <token>", except on
   * routes marked public.
   */
  readonly token: string
  readonly stage?: string
  /** Local-only operations ("POST /local/nightly"), behind the same token; not part of the API. */
  readonly admin?: Readonly<Record<string, (url: URL) => Promise<{ status: number; body: unknown }>>>
}

/** API Gateway's 10 MB payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024

interface CompiledRoute {
  readonly spec: RouteSpec
  readonly pattern: RegExp
  readonly names: readonly string[]
}

/** A node:http server that turns requests into API Gateway REST (v1) proxy events for the handlers. */
export function createApiServer(options: ApiServerOptions): Server {
  const routes = options.routes.map(compile)
  const expected = Buffer.from(`Bearer ${options.token}`)
  return createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, errorBody('internal_error', 'internal error')))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const admin = options.admin?.[`${method} ${url.pathname}`]
    if (admin) {
      if (!authorized(req.headers.authorization)) {
        return send(res, 401, errorBody('unauthorized', 'missing or invalid bearer token'))
      }
      const result = await admin(url)
      return send(res, result.status, result.body)
    }
    const candidates = routes.filter((route) => route.pattern.test(url.pathname))
    if (candidates.length === 0)
      return send(res, 404, errorBody('route_not_found', `no route for ${url.pathname}`))
    const route = candidates.find((candidate) => candidate.spec.method === method)
    if (!route) {
      return send(res, 405, errorBody('method_not_allowed', `${method} is not allowed on ${url.pathname}`))
    }
    if (!route.spec.public && !authorized(req.headers.authorization)) {
      return send(res, 401, errorBody('unauthorized', 'missing or invalid bearer token'))
    }
    const pathParameters = extractParameters(route, url.pathname)
    if (!pathParameters)
      return send(res, 400, errorBody('bad_request', 'malformed percent-encoding in the path'))
    const body = await readBody(req)
    if (body === undefined)
      return send(res, 413, errorBody('payload_too_large', 'request body exceeds 10 MB'))
    const handler = options.handlers[route.spec.function]
    if (!handler) return send(res, 500, errorBody('internal_error', 'internal error'))
    const event = toEvent(req, url, route.spec, pathParameters, body, options.stage ?? 'local')
    const result = await handler(event, lambdaContext(route.spec.function))
    res.writeHead(result.statusCode, flattenHeaders(result.headers))
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body)
  }

  function authorized(header: string | undefined): boolean {
    if (!header) return false
    const given = Buffer.from(header)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}

function compile(spec: RouteSpec): CompiledRoute {
  const names: string[] = []
  const source = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name)
    return '([^/]+)'
  })
  return { spec, pattern: new RegExp(`^${source}/?$`), names }
}

function extractParameters(route: CompiledRoute, pathname: string): Record<string, string> | undefined {
  const match = route.pattern.exec(pathname)
  if (!match) return undefined
  try {
    return Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]))
  } catch {
    return undefined
  }
}

async function readBody(req: IncomingMessage): Promise<string | null | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk as Buffer)
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8')
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  spec: RouteSpec,
  pathParameters: Record<string, string>,
  body: string | null,
  stage: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {}
  const multiValueHeaders: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    const values = Array.isArray(value) ? value : [value]
    headers[name] = values.join(',')
    multiValueHeaders[name] = values
  }
  const query: Record<string, string> = {}
  const multiQuery: Record<string, string[]> = {}
  for (const [name, value] of url.searchParams) {
    query[name] = value
    multiQuery[name] = [...(multiQuery[name] ?? []), value]
  }
  const hasQuery = url.searchParams.size > 0
  const requestId = randomUUID()
  return {
    resource: spec.path,
    path: url.pathname,
    httpMethod: spec.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: spec.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: spec.path,
    },
  }
}

function flattenHeaders(headers: APIGatewayProxyResult['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]))
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}
