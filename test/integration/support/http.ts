import { type TestStack, TOKEN } from './stack.ts'

export interface JsonResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
}

/** A request to the local API with any method, body and headers; the body answered is parsed as JSON. */
export async function request(
  t: TestStack,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const token = options.token === undefined ? TOKEN : options.token
  const headers: Record<string, string> = { ...options.headers }
  if (token !== null) headers.authorization = `Bearer ${token}`
  let body: string | undefined = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
  }
  const response = await fetch(`${t.stack.apiUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body }),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text.length > 0 ? JSON.parse(text) : null,
  }
}

export const post = (t: TestStack, path: string, body: unknown) => request(t, 'POST', path, { body })
