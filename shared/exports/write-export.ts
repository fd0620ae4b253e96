import { pipeline, Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip, createGzip } from 'node:zlib'
import { SCORE_FIELDS, type ScoreRecord, ScoreRecordSchema } from '../domain/score-record.ts'
import { runKeys } from '../nightly/steps.ts'
import { csvHeader, csvRecord } from '../pipeline/record-format.ts'
import { type ExportRequest, recordFilter } from './request.ts'

/** The storage an export needs: shard files to stream from, and a streaming (multipart) upload. */
export interface ExportIo {
  /** Streams an object of the data bucket; undefined when there is none. */
  read(key: string): Promise<AsyncIterable<Uint8Array> | undefined>
  upload(target: { key: string; contentType: string; fileName: string }, body: Readable): Promise<void>
}

export interface ExportTarget {
  readonly runId: string
  readonly shardCount: number
  readonly request: ExportRequest
  readonly key: string
}

/** A failure whose message is fit to show the caller of GET /exports/{exportId}. */
export class ExportError extends Error {
  override readonly name = 'ExportError'
}

/** Text is gathered into chunks of about this size before it is handed to the upload. */
const CHUNK_CHARS = 64 * 1024

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
} as const

/**
 * Streams every shard's score file of a run (runs/<runId>/scores/), one shard after the other,
 * through the filter into CSV or JSON lines, optionally gzipped, and uploads the result in parts.
 * Memory stays constant: a shard is never held whole, and the upload holds a few parts at most.
 */
export async function writeExport(io: ExportIo, target: ExportTarget): Promise<{ rows: number }> {
  const { request } = target
  const counter = { rows: 0 }
  const text = Readable.from(exportChunks(io, target, counter))
  const body = request.gzip ? pipeline(text, createGzip(), () => undefined) : text
  const fileName = target.key.slice(target.key.lastIndexOf('/') + 1)
  const contentType = request.gzip ? 'application/gzip' : CONTENT_TYPES[request.format]
  await io.upload({ key: target.key, contentType, fileName }, body)
  return { rows: counter.rows }
}

async function* exportChunks(
  io: ExportIo,
  target: ExportTarget,
  counter: { rows: number },
): AsyncGenerator<Buffer> {
  const { request } = target
  const keep = recordFilter(request.filter)
  const fields = request.fields ?? SCORE_FIELDS
  const format = lineFormat(request)
  const newline = request.format === 'csv' ? '\r\n' : '\n'
  let pending = request.format === 'csv' ? `${csvHeader(fields)}${newline}` : ''
  for (let shard = 0; shard < target.shardCount; shard++) {
    const key = runKeys.scores(target.runId, shard)
    const body = await io.read(key)
    if (!body) throw new ExportError(`run ${target.runId} has no scores for shard ${shard}`)
    for await (const line of gunzippedLines(body)) {
      const record = ScoreRecordSchema.parse(JSON.parse(line))
      if (!keep(record)) continue
      pending += format(record) + newline
      counter.rows++
      if (pending.length >= CHUNK_CHARS) {
        yield Buffer.from(pending, 'utf8')
        pending = ''
      }
    }
  }
  if (pending.length > 0) yield Buffer.from(pending, 'utf8')
}

/** CSV rows as the command-line scorer writes them (csvCell quoting and formula neutralisation). */
function lineFormat(request: ExportRequest): (record: ScoreRecord) => string {
  const { fields } = request
  if (request.format === 'csv') return (record) => csvRecord(record, fields ?? SCORE_FIELDS)
  if (!fields) return (record) => JSON.stringify(record)
  return (record) => JSON.stringify(Object.fromEntries(fields.map((field) => [field, record[field]])))
}

/** The non-empty lines of a gzip file, decoded as UTF-8 without splitting a character. */
async function* gunzippedLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const inflated = pipeline(Readable.from(body), createGunzip(), () => undefined)
  const decoder = new StringDecoder('utf8')
  let rest = ''
  for await (const chunk of inflated) {
    const lines = (rest + decoder.write(chunk as Buffer)).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line.length > 0) yield line
  }
  rest += decoder.end()
  if (rest.length > 0) yield rest
}
