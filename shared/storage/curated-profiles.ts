import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import { z } from 'zod'
import {
  type CustomerMasterRow,
  CustomerMasterRowSchema,
  type ProspectRow,
  ProspectRowSchema,
} from '../prospects/profile.ts'
import { PREFIXES } from '../resources.ts'
import type { ObjectStore } from './s3-object-store.ts'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

export type ProfileKind = 'customers' | 'prospects'

const HeaderSchema = z.object({ sourceKey: z.string(), ingestedAt: z.string() })

/**
 * Validated customer master rows and prospects, one gzip JSON-lines object per source key
 * (curated/customers/<source>.jsonl.gz, curated/prospects/<source>.jsonl.gz) whose first line names
 * the upload and when it was ingested. Names are deterministic, so a retried ingest overwrites, and a
 * new object under the same source key replaces the old one's rows. An id in several uploads keeps
 * the row of the latest ingested one.
 */
export interface CuratedProfiles {
  write(
    kind: ProfileKind,
    sourceId: string,
    upload: z.infer<typeof HeaderSchema>,
    rows: readonly unknown[],
  ): Promise<void>
  customers(): Promise<CustomerMasterRow[]>
  prospects(): Promise<ProspectRow[]>
}

export const curatedProfileKey = (kind: ProfileKind, sourceId: string): string =>
  `${PREFIXES.curated}${kind}/${sourceId}.jsonl.gz`

export function curatedProfiles(objects: ObjectStore): CuratedProfiles {
  async function readAll<Row>(kind: ProfileKind, schema: z.ZodType<Row>, idOf: (row: Row) => string) {
    const sources: { ingestedAt: string; key: string; rows: Row[] }[] = []
    for (const key of await objects.list(`${PREFIXES.curated}${kind}/`)) {
      const body = await objects.readAll(key)
      if (!body) continue
      const [header = '{}', ...lines] = (await gunzipAsync(body)).toString('utf8').split('\n')
      const { ingestedAt } = HeaderSchema.parse(JSON.parse(header))
      const rows = lines.filter((line) => line.length > 0).map((line) => schema.parse(JSON.parse(line)))
      sources.push({ ingestedAt, key, rows })
    }
    sources.sort((a, b) =>
      a.ingestedAt === b.ingestedAt ? cmp(a.key, b.key) : cmp(a.ingestedAt, b.ingestedAt),
    )
    const byId = new Map<string, Row>()
    for (const source of sources) for (const row of source.rows) byId.set(idOf(row), row)
    return [...byId.values()].sort((a, b) => cmp(idOf(a), idOf(b)))
  }
  return {
    async write(kind, sourceId, upload, rows) {
      const text = [JSON.stringify(upload), ...rows.map((row) => JSON.stringify(row))].join('\n')
      await objects.write(curatedProfileKey(kind, sourceId), await gzipAsync(text), 'application/gzip')
    },
    customers: () => readAll('customers', CustomerMasterRowSchema, (row) => row.customerId),
    prospects: () => readAll('prospects', ProspectRowSchema, (row) => row.prospectId),
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
