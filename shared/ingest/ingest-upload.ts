import { csvLine } from '../csv.ts'
import { shardOf } from '../domain/shard.ts'
import type { Transaction } from '../domain/transaction.ts'
import type { Log } from '../logger.ts'
import type { CuratedProfiles, ProfileKind } from '../storage/curated-profiles.ts'
import type { CuratedTransactions } from '../storage/curated-transactions.ts'
import type { UploadLedger } from '../storage/dynamo-upload-ledger.ts'
import type { ObjectStore } from '../storage/s3-object-store.ts'
import {
  InvalidUploadError,
  parseTransactions,
  parseUpload,
  type RowRejection,
  type UploadBatch,
} from './parse-transactions.ts'
import { customerContract, prospectContract } from './profile-fields.ts'
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
  /** Customer master and prospect uploads; without it they are ignored. */
  readonly profiles?: ProfileIngestDeps | undefined
  readonly shardCount: number
  readonly timeZone: string
  readonly now: () => Date
  readonly logger: Log
}

export interface ProfileIngestDeps {
  readonly store: CuratedProfiles
  /** Re-scores every stored prospect against the current customer base. */
  readonly rescoreProspects: () => Promise<{ prospects: number; asOf: string }>
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
  /** Customer master and prospect uploads: prospects re-scored against the customer base. */
  readonly prospectsScored?: number | undefined
  readonly asOf?: string | undefined
}

/** How many rejections the JSON report lists; the CSV beside it has all of them. */
export const REPORT_REJECTION_LIMIT = 1000

/**
 * Ingests one uploaded file of any kind: validate every row, keep the original, write a report (and
 * the rejected rows) under reports/ and rejected/, store the accepted rows in the curated area, then
 * score what they affect: transactions are stored per customer shard and the affected shards
 * re-scored; customer master rows and prospects are stored per source key and every prospect is
 * re-scored. Re-delivered events are no-ops; a crash part-way leaves the upload "processing" for the
 * retry to complete, and the report says "done" only at the very end.
 */
export async function ingestUpload(event: UploadEvent, deps: IngestDeps): Promise<IngestResult> {
  const location = parseUploadKey(event.key)
  if (!location) return { outcome: 'ignored', reason: 'not under incoming/<kind>/' }
  const kind = kindIngest(location.kind, deps)
  if (!kind) return { outcome: 'ignored', reason: `${location.kind} uploads are not handled here` }
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
  const parsed = await kind.parse(body, location)
  if ('error' in parsed) {
    return fail(id, location, deps, {
      ...report,
      rows: { read: 0, accepted: 0, rejected: 0 },
      rejections: [],
      error: parsed.error,
    })
  }

  const { rejections, rowsRead } = parsed
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

  const scored = await parsed.store({ sourceKey: event.key, uploadId: id })
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
    prospectsScored: scored.prospects,
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
    prospectsScored: scored.prospects,
  })
  return { outcome: 'done', uploadId: id, reportKey: key, report: finished }
}

interface Scored {
  readonly customers: number
  readonly prospects?: number | undefined
  readonly asOf?: string | undefined
}

type ParsedUpload =
  | {
      readonly rejections: RowRejection[]
      readonly rowsRead: number
      /** Stores the accepted rows in the curated area and scores what they affect. */
      readonly store: (upload: { sourceKey: string; uploadId: string }) => Promise<Scored>
    }
  | { readonly error: { message: string; line?: number; field?: string } }

/** How one kind of upload is read and stored; the rest of ingest is the same for every kind. */
interface KindIngest {
  parse(body: AsyncIterable<Uint8Array>, location: UploadLocation): Promise<ParsedUpload>
}

function kindIngest(kind: UploadLocation['kind'], deps: IngestDeps): KindIngest | undefined {
  if (kind === 'transactions') return transactionIngest(deps)
  return deps.profiles ? profileIngest(kind, deps.profiles, deps) : undefined
}

function transactionIngest(deps: IngestDeps): KindIngest {
  return {
    async parse(body, location) {
      const shards = new Map<number, Transaction[]>()
      const batches = parseTransactions(body, { fileName: location.name, timeZone: deps.timeZone })
      const read = await readRows(
        batches,
        (row) => row.transactionId,
        { field: 'transaction_id', what: 'a transaction id' },
        (row) => {
          const shard = shardOf(row.customerId, deps.shardCount)
          const list = shards.get(shard)
          if (list) list.push(row)
          else shards.set(shard, [row])
        },
      )
      if ('error' in read) return read
      return {
        ...read,
        async store({ sourceKey, uploadId }) {
          const source = sourceId(sourceKey)
          for (const [shard, shardRows] of shards) await deps.curated.write(shard, source, shardRows)
          const previous = await deps.ledger.getSourceShards(source)
          const stale = (previous?.shards ?? []).filter((shard) => !shards.has(shard))
          for (const shard of stale) await deps.curated.remove(shard, [source])
          await deps.ledger.putSourceShards(source, { sourceKey, shards: [...shards.keys()], uploadId })
          return deps.rescore([...shards.keys(), ...stale])
        },
      }
    },
  }
}

function profileIngest(kind: ProfileKind, profiles: ProfileIngestDeps, deps: IngestDeps): KindIngest {
  return {
    async parse(body, location) {
      const options = { fileName: location.name }
      const rows: unknown[] = []
      const keep = (row: unknown) => rows.push(row)
      const read =
        kind === 'customers'
          ? await readRows(
              parseUpload(body, customerContract(), options),
              (row) => row.customerId,
              {
                field: 'customer_id',
                what: 'a customer',
              },
              keep,
            )
          : await readRows(
              parseUpload(body, prospectContract(), options),
              (row) => row.prospectId,
              {
                field: 'prospect_id',
                what: 'a prospect',
              },
              keep,
            )
      if ('error' in read) return read
      return {
        ...read,
        async store({ sourceKey }) {
          const ingestedAt = deps.now().toISOString()
          await profiles.store.write(kind, sourceId(sourceKey), { sourceKey, ingestedAt }, rows)
          const scored = await profiles.rescoreProspects()
          return { customers: 0, prospects: scored.prospects, asOf: scored.asOf }
        },
      }
    },
  }
}

/**
 * Hands each valid row of an upload to `onRow` and gathers the rejections in line order. A row
 * whose id (`idOf`) repeats one of an earlier line is rejected: each id is kept once per file.
 */
async function readRows<Row>(
  batches: AsyncIterable<UploadBatch<Row>>,
  idOf: (row: Row) => string | undefined,
  id: { field: string; what: string },
  onRow: (row: Row) => void,
): Promise<{ rejections: RowRejection[]; rowsRead: number } | Extract<ParsedUpload, { error: unknown }>> {
  let accepted = 0
  const rejections: RowRejection[] = []
  const firstLineOfId = new Map<string, number>()
  try {
    for await (const batch of batches) {
      rejections.push(...batch.rejections)
      batch.rows.forEach((row, i) => {
        const line = batch.lines[i] ?? 0
        const key = idOf(row)
        if (key !== undefined) {
          const first = firstLineOfId.get(key)
          if (first !== undefined) {
            rejections.push({
              line,
              field: id.field,
              reason: `duplicate of line ${first}; ${id.what} is kept once`,
              value: key,
            })
            return
          }
          firstLineOfId.set(key, line)
        }
        accepted++
        onRow(row)
      })
    }
  } catch (error) {
    if (error instanceof InvalidUploadError) {
      return { error: { message: error.message, line: error.line, field: error.field } }
    }
    throw error
  }
  rejections.sort((a, b) => a.line - b.line)
  return { rejections, rowsRead: accepted + countRejectedRows(rejections) }
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
