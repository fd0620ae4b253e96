import { gzipSync } from 'node:zlib'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import {
  type ParseTransactionsOptions,
  parseTransactions,
  type RowRejection,
} from '../../../shared/ingest/parse-transactions.ts'

/** The bytes of `content` in chunks of `size` bytes, as an S3 body stream delivers them. */
export async function* chunked(
  content: string | Uint8Array,
  size = Number.POSITIVE_INFINITY,
): AsyncGenerator<Uint8Array> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size)
}

/** The same bytes cut at the given offsets. */
export async function* cutAt(bytes: Uint8Array, offsets: readonly number[]): AsyncGenerator<Uint8Array> {
  let previous = 0
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    yield bytes.subarray(previous, offset)
    previous = offset
  }
  yield bytes.subarray(previous)
}

export interface Parsed {
  readonly rows: Transaction[]
  readonly lines: number[]
  readonly rejections: RowRejection[]
  readonly batches: number
}

/** Every batch of an upload, merged. */
export async function parseAll(
  input: string | Uint8Array | AsyncIterable<Uint8Array>,
  options: Partial<ParseTransactionsOptions> = {},
): Promise<Parsed> {
  const source = typeof input === 'string' || input instanceof Uint8Array ? chunked(input) : input
  const parsed: Parsed = { rows: [], lines: [], rejections: [], batches: 0 }
  let batches = 0
  for await (const batch of parseTransactions(source, { fileName: 'upload.csv', ...options })) {
    parsed.rows.push(...batch.rows)
    parsed.lines.push(...batch.lines)
    parsed.rejections.push(...batch.rejections)
    batches++
  }
  return { ...parsed, batches }
}

/** The error a parse ends with. */
export async function parseError(
  input: string | Uint8Array | AsyncIterable<Uint8Array>,
  options: Partial<ParseTransactionsOptions> = {},
): Promise<unknown> {
  try {
    await parseAll(input, options)
  } catch (error) {
    return error
  }
  throw new Error('the parse succeeded')
}

export function gzip(text: string): Uint8Array {
  return gzipSync(Buffer.from(text, 'utf8'))
}

/** A transaction as the parser emits it: every property present. */
export function transaction(
  row: Partial<Transaction> & Pick<Transaction, 'customerId' | 'date' | 'amount'>,
): Transaction {
  return { transactionId: undefined, margin: undefined, ...row }
}
