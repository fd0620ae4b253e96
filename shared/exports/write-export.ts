import { pipeline, Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip, createGzip } from 'node:zlib'
import { csvLine } from '../csv.ts'
import { SCORE_FIELDS, type ScoreRecord, ScoreRecordSchema } from '../domain/score-record.ts'
import { runKeys } from '../nightly/steps.ts'
import { csvRecord } from '../pipeline/record-format.ts'
import { prospectKeys } from '../prospect-scoring/prospect-files.ts'
import { type ProspectRecord, ProspectRecordSchema } from '../prospects/record.ts'
import { PROSPECT_FIELDS, prospectCsv, prospectFilter } from './prospect-export.ts'
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
 * Streams every shard's score file of a run (runs/<runId>/scores/), one shard after the other (or,
 * for `kind: prospects`, the run's prospect file, runs/<runId>/prospects/scores.jsonl.gz),
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

/** Where an export's records come from and how each is checked, kept and written. */
interface ExportSource {
  /** The files to stream, each with what the export's failure says when it is missing. */
  readonly files: readonly { readonly key: string; readonly missing: string }[]
  /** Parses one stored line; undefined when the filter drops it. */
  line(text: string): string | undefined
  readonly header: readonly string[]
}

function exportSource(target: ExportTarget): ExportSource {
  const { request } = target
  if (request.kind === 'prospects') {
    const fields = (request.fields ?? PROSPECT_FIELDS) as (keyof ProspectRecord)[]
    const keep = prospectFilter(request.filter)
    const format =
      request.format === 'csv'
        ? (record: ProspectRecord) => prospectCsv(record, fields)
        : (record: ProspectRecord) => jsonOf(record, request.fields)
    return {
      files: [
        { key: prospectKeys.scores(target.runId), missing: `run ${target.runId} has no prospect scores` },
      ],
      header: fields,
      line(text) {
        const record = ProspectRecordSchema.parse(JSON.parse(text))
        return keep(record) ? format(record) : undefined
      },
    }
  }
  const fields = (request.fields ?? SCORE_FIELDS) as (keyof ScoreRecord)[]
  const keep = recordFilter(request.filter)
  const format =
    request.format === 'csv'
      ? (record: ScoreRecord) => csvRecord(record, fields)
      : (record: ScoreRecord) => jsonOf(record, request.fields)
  return {
    files: Array.from({ length: target.shardCount }, (_, shard) => ({
      key: runKeys.scores(target.runId, shard),
      missing: `run ${target.runId} has no scores for shard ${shard}`,
    })),
    header: fields,
    line(text) {
      const record = ScoreRecordSchema.parse(JSON.parse(text))
      return keep(record) ? format(record) : undefined
    },
  }
}

async function* exportChunks(
  io: ExportIo,
  target: ExportTarget,
  counter: { rows: number },
): AsyncGenerator<Buffer> {
  const { request } = target
  const source = exportSource(target)
  const newline = request.format === 'csv' ? '\r\n' : '\n'
  let pending = request.format === 'csv' ? `${csvLine(source.header)}${newline}` : ''
  for (const { key, missing } of source.files) {
    const body = await io.read(key)
    if (!body) throw new ExportError(missing)
    for await (const text of gunzippedLines(body)) {
      const line = source.line(text)
      if (line === undefined) continue
      pending += line + newline
      counter.rows++
      if (pending.length >= CHUNK_CHARS) {
        yield Buffer.from(pending, 'utf8')
        pending = ''
      }
    }
  }
  if (pending.length > 0) yield Buffer.from(pending, 'utf8')
}

/** JSON lines: the whole record, or the requested fields in their order. */
function jsonOf<R extends object>(record: R, fields: readonly string[] | undefined): string {
  if (!fields) return JSON.stringify(record)
  return JSON.stringify(Object.fromEntries(fields.map((field) => [field, record[field as keyof R]])))
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
