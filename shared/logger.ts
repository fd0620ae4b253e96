import { Logger } from '@aws-lambda-powertools/logger'

/** Structured JSON logs. Callers log ids, keys and counts, never row values or customer attributes. */
export function createLogger(service: string): Logger {
  return new Logger({ serviceName: 'customer-scoring', persistentKeys: { function: service } })
}

/** The logging port the use cases take; Powertools' Logger satisfies it. */
export interface Log {
  info(message: string, ...attributes: Record<string, unknown>[]): void
  warn(message: string, ...attributes: Record<string, unknown>[]): void
  error(message: string, ...attributes: Record<string, unknown>[]): void
}
