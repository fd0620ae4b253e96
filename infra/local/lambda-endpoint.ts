import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** Starts one asynchronous invocation of a function with its event; must return at once. */
export type AsyncInvoke = (functionName: string, event: unknown) => boolean

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/

/**
 * The part of the Lambda API that functions use to start other functions: Invoke with
 * InvocationType Event (202, empty body). Functions reach it the way they reach dynalite and
 * s3rver, through an endpoint setting, so their code is the same locally and on AWS.
 */
export function createLambdaEndpoint(invoke: AsyncInvoke): Server {
  return createServer((req, res) => {
    handle(req, res).catch(() => sendError(res, 500, 'ServiceException', 'internal error'))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const match = INVOKE_PATH.exec(url.pathname)
    if (req.method !== 'POST' || !match) {
      return sendError(res, 404, 'UnknownOperationException', `${req.method} ${url.pathname}`)
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse'
    if (type !== 'Event') {
      return sendError(res, 400, 'InvalidParameterValueException', 'only InvocationType Event is run locally')
    }
    // A name, a full ARN or a partial one: the function name is the part after "function:".
    const name =
      decodeURIComponent(match[1] ?? '')
        .replace(/^.*function:/, '')
        .split(':')[0] ?? ''
    let event: unknown
    try {
      const text = Buffer.concat(chunks).toString('utf8')
      event = text.length === 0 ? {} : JSON.parse(text)
    } catch {
      return sendError(res, 400, 'InvalidRequestContentException', 'the payload is not JSON')
    }
    if (!invoke(name, event))
      return sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`)
    res.writeHead(202, { 'content-length': '0' })
    res.end()
  }
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type })
  res.end(JSON.stringify({ Type: 'User', message }))
}
