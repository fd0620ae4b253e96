import { csvLine } from '../csv.ts'
import { shardOf } from '../domain/shard.ts'
import type { Transaction } from '../domain/transaction.ts'
import type { Log } from '../logger.ts'
import type { CuratedTransactions } from '../storage/curated-transactions.ts'
import type { UploadLedger } from '../storage/dynamo-upload-ledger.ts'
import type { ObjectStore } from '../storage/s3-object-store.ts'
import { InvalidUploadError, parseTransactions, type RowRejection } from './parse-transactions.ts'
import type { RescoreShards } from './rescore-shards.ts'
import {
  parseUploadKey,
  rejectedKey,
  reportKey,
  sourceId,
  type UploadLocation,
  uploadId,
} from './upload-key.ts'

export interface UploadEvent {
  readonly bucket: string
  readonly key: string
  readonly eTag?: string | undefined
  readonly versionId?: string | undefined
  /** S3's per-key event order; identifies the version where neither ETag nor version id is given. */
  readonly sequencer?: string | undefined
}

export interface IngestDeps {
  readonly objects: ObjectStore
  readonly curated: CuratedTransactions
  readonly ledger: UploadLedger
  readonly rescore: RescoreShards
  readonly shardCount: number
  readonly timeZone: string
  readonly now: () => Date
  readonly logger: Log
}

export type IngestResult =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | { readonly outcome: 'duplicate'; readonly uploadId: string }
  | { readonly outcome: 'superseded'; readonly uploadId: string }
  | { readonly outcome: 'failed'; readonly uploadId: string; readonly reportKey: string }
  | {
      readonly outcome: 'done'
      readonly uploadId: string
      readonly reportKey: string
      readonly report: UploadReport
    }

export interface UploadReport {
  readonly status: 'done' | 'failed'
  readonly upload: {
    readonly bucket: string
    readonly key: string
    readonly uploadId: string
    readonly eTag?: string | undefined
    readonly versionId?: string | undefined
  }
  readonly startedAt: string
  readonly finishedAt: string
  readonly rows: { readonly read: number; readonly accepted: number; readonly rejected: number }
  /** The first rejections in line order; all of them are in the rejected-rows CSV. */
  readonly rejections: readonly RowRejection[]
  readonly rejectionsTruncated: boolean
  readonly rejectedRowsKey?: string | undefined
  readonly error?: { readonly message: string; readonly line?: number; readonly field?: string } | undefined
  readonly customersScored: number
  readonly asOf?: string | undefined
}

/** How many rejections the JSON report lists; the CSV beside it has all of them. */
export const REPORT_REJECTION_LIMIT = 1000

/**
 * Ingests one uploaded transaction file: validate every row, keep the original, write a report
 * (and the rejected rows) under reports/ and rejected/, store the accepted rows per customer shard,
 * then re-score the affected shards. Re-delivered events are no-ops; a crash part-way leaves the
 * upload "processing" for the retry to complete, and the report says "done" only at the very end.
 */
export async function ingestUpload(event: UploadEvent, deps: IngestDeps): Promise<IngestResult> {
  const location = parseUploadKey(event.key)
  if (!location) return { outcome: 'ignored', reason: 'not under incoming/<kind>/' }
  if (location.kind !== 'transactions') {
    return { outcome: 'ignored', reason: `${location.kind} uploads are not scored yet` }
  }
  const version = event.versionId ?? event.eTag ?? event.sequencer ?? ''
  const id = uploadId(event.bucket, event.key, version)
  const startedAt = deps.now().toISOString()
  const claimed = await deps.ledger.claim({
    uploadId: id,
    sourceKey: event.key,
    eTag: event.eTag,
    versionId: event.versionId,
    startedAt,
  })
  if (!claimed) {
    deps.logger.info('upload already processed', { uploadId: id, key: event.key })
    return { outcome: 'duplicate', uploadId: id }
  }

  const body = await deps.objects.read({ key: event.key, versionId: event.versionId, eTag: event.eTag })
  if (!body) {
    await deps.ledger.finish(id, {
      status: 'superseded',
      finishedAt: deps.now().toISOString(),
      rowsAccepted: 0,
      rowsRejected: 0,
      reportKey: undefined,
    })
    deps.logger.info('upload superseded by a newer object under the same key', {
      uploadId: id,
      key: event.key,
    })
    return { outcome: 'superseded', uploadId: id }
  }

  const report = {
    upload: {
      bucket: event.bucket,
      key: event.key,
      uploadId: id,
      eTag: event.eTag,
      versionId: event.versionId,
    },
    startedAt,
  }
  const parsed = await readUpload(body, location, deps)
  if ('error' in parsed) {
    return fail(id, location, deps, {
      ...report,
      rows: { read: 0, accepted: 0, rejected: 0 },
      rejections: [],
      error: parsed.error,
    })
  }

  const { shards, rejections, rowsRead } = parsed
  const rejectedRowsKey = rejections.length > 0 ? rejectedKey(location) : undefined
  if (rejectedRowsKey)
    await deps.objects.write(rejectedRowsKey, rejectionsCsv(rejections), 'text/csv; charset=utf-8')
  const accepted = rowsRead - countRejectedRows(rejections)
  const rows = { read: rowsRead, accepted, rejected: rowsRead - accepted }
  if (accepted === 0) {
    return fail(id, location, deps, {
      ...report,
      rows,
      rejections,
      rejectedRowsKey,
      error: { message: `${location.name}: no valid row (${rows.rejected} rejected)` },
    })
  }

  const source = sourceId(event.key)
  for (const [shard, shardRows] of shards) await deps.curated.write(shard, source, shardRows)
  const previous = await deps.ledger.getSourceShards(source)
  const stale = (previous?.shards ?? []).filter((shard) => !shards.has(shard))
  for (const shard of stale) await deps.curated.remove(shard, [source])
  await deps.ledger.putSourceShards(source, {
    sourceKey: event.key,
    shards: [...shards.keys()],
    uploadId: id,
  })

  const scored = await deps.rescore([...shards.keys(), ...stale])
  const key = reportKey(location)
  const finished: UploadReport = {
    ...report,
    status: 'done',
    finishedAt: deps.now().toISOString(),
    rows,
    rejections: rejections.slice(0, REPORT_REJECTION_LIMIT),
    rejectionsTruncated: rejections.length > REPORT_REJECTION_LIMIT,
    rejectedRowsKey,
    customersScored: scored.customers,
    asOf: scored.asOf,
  }
  await deps.objects.write(key, JSON.stringify(finished, null, 2), 'application/json')
  await deps.ledger.finish(id, {
    status: 'done',
    finishedAt: finished.finishedAt,
    rowsAccepted: rows.accepted,
    rowsRejected: rows.rejected,
    reportKey: key,
  })
  deps.logger.info('upload ingested', {
    uploadId: id,
    key: event.key,
    ...rows,
    customersScored: scored.customers,
  })
  return { outcome: 'done', uploadId: id, reportKey: key, report: finished }
}

type ParsedUpload =
  | {
      readonly shards: Map<number, Transaction[]>
      readonly rejections: RowRejection[]
      readonly rowsRead: number
    }
  | { readonly error: { message: string; line?: number; field?: string } }

async function readUpload(
  body: AsyncIterable<Uint8Array>,
  location: UploadLocation,
  deps: IngestDeps,
): Promise<ParsedUpload> {
  const shards = new Map<number, Transaction[]>()
  const rejections: RowRejection[] = []
  const firstLineOfId = new Map<string, number>()
  let accepted = 0
  try {
    for await (const batch of parseTransactions(body, { fileName: location.name, timeZone: deps.timeZone })) {
      rejections.push(...batch.rejections)
      batch.rows.forEach((row, i) => {
        const line = batch.lines[i] ?? 0
        if (row.transactionId !== undefined) {
          const first = firstLineOfId.get(row.transactionId)
          if (first !== undefined) {
            rejections.push({
              line,
              field: 'transaction_id',
              reason: `duplicate of line ${first}; a transaction id is kept once`,
              value: row.transactionId,
            })
            return
          }
          firstLineOfId.set(row.transactionId, line)
        }
        accepted++
        const shard = shardOf(row.customerId, deps.shardCount)
        const list = shards.get(shard)
        if (list) list.push(row)
        else shards.set(shard, [row])
      })
    }
  } catch (error) {
    if (error instanceof InvalidUploadError) {
      return { error: { message: error.message, line: error.line, field: error.field } }
    }
    throw error
  }
  rejections.sort((a, b) => a.line - b.line)
  return { shards, rejections, rowsRead: accepted + countRejectedRows(rejections) }
}

function countRejectedRows(rejections: readonly RowRejection[]): number {
  return new Set(rejections.map((r) => r.line)).size
}

async function fail(
  id: string,
  location: UploadLocation,
  deps: IngestDeps,
  partial: Omit<UploadReport, 'status' | 'finishedAt' | 'customersScored' | 'rejectionsTruncated'>,
): Promise<IngestResult> {
  const key = reportKey(location)
  const report: UploadReport = {
    ...partial,
    status: 'failed',
    finishedAt: deps.now().toISOString(),
    rejections: partial.rejections.slice(0, REPORT_REJECTION_LIMIT),
    rejectionsTruncated: partial.rejections.length > REPORT_REJECTION_LIMIT,
    customersScored: 0,
  }
  await deps.objects.write(key, JSON.stringify(report, null, 2), 'application/json')
  await deps.ledger.finish(id, {
    status: 'failed',
    finishedAt: report.finishedAt,
    rowsAccepted: 0,
    rowsRejected: report.rows.rejected,
    reportKey: key,
    error: report.error?.message,
  })
  // The message names the file, line and field; it carries no row values.
  deps.logger.error('upload rejected', {
    uploadId: id,
    key: location.key,
    reportKey: key,
    error: report.error,
  })
  return { outcome: 'failed', uploadId: id, reportKey: key }
}

function rejectionsCsv(rejections: readonly RowRejection[]): string {
  const lines = rejections.map((r) => csvLine([r.line, r.field, r.reason, r.value]))
  return `${[csvLine(['line', 'field', 'reason', 'value']), ...lines].join('\r\n')}\r\n`
}
