/** API errors: one class per HTTP status a client can act on; mapped to JSON in one place. */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details?: unknown) {
    super(400, 'bad_request', message, details)
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'missing or invalid credentials') {
    super(401, 'unauthorized', message)
  }
}

export class NotFoundError extends HttpError {
  constructor(code: string, message: string, details?: unknown) {
    super(404, code, message, details)
  }
}

export class CustomerNotFoundError extends NotFoundError {
  constructor(customerId: string) {
    super('customer_not_found', 'no score for this customer id', { customerId })
  }
}

export class ProspectNotFoundError extends NotFoundError {
  constructor(prospectId: string) {
    super('prospect_not_found', 'no score for this prospect id', { prospectId })
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `the request body exceeds ${limitBytes / 1024} KB`, { limitBytes })
  }
}

/** A dependency refused the request for now (throttled, unavailable); the client may try again. */
export class ServiceUnavailableError extends HttpError {
  constructor(code: string, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(503, code, message, details)
    if (options?.cause !== undefined) this.cause = options.cause
  }
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details: unknown }
}

export function errorBody(code: string, message: string, details: unknown = null): ErrorBody {
  return { error: { code, message, details } }
}
