import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import { shardLabel } from '../domain/shard.ts'
import { type Transaction, TransactionSchema } from '../domain/transaction.ts'
import { PREFIXES } from '../resources.ts'
import type { ObjectStore } from './s3-object-store.ts'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

const TRANSACTIONS = `${PREFIXES.curated}transactions/`

/**
 * Validated transactions, one gzip JSON-lines object per (shard, source key). Object names are
 * deterministic, so a retried ingest overwrites instead of duplicating, and a new object under the
 * same source key replaces the old one's rows.
 */
export interface CuratedTransactions {
  write(shard: number, sourceId: string, rows: readonly Transaction[]): Promise<void>
  remove(shard: number, sourceIds: readonly string[]): Promise<void>
  /** Every row of a shard, in object-key order, then file order (the order duplicates are resolved in). */
  read(shard: number): Promise<Transaction[]>
}

export const curatedKey = (shard: number, sourceId: string): string =>
  `${TRANSACTIONS}${shardLabel(shard)}/${sourceId}.jsonl.gz`

export function curatedTransactions(objects: ObjectStore): CuratedTransactions {
  return {
    async write(shard, sourceId, rows) {
      const text = rows.map((row) => JSON.stringify(row)).join('\n')
      await objects.write(curatedKey(shard, sourceId), await gzipAsync(text), 'application/gzip')
    },
    async remove(shard, sourceIds) {
      await objects.remove(sourceIds.map((id) => curatedKey(shard, id)))
    },
    async read(shard) {
      const rows: Transaction[] = []
      for (const key of await objects.list(`${TRANSACTIONS}${shardLabel(shard)}/`)) {
        const body = await objects.readAll(key)
        if (!body) continue
        const text = (await gunzipAsync(body)).toString('utf8')
        for (const line of text.split('\n')) {
          if (line.length > 0) rows.push(TransactionSchema.parse(JSON.parse(line)))
        }
      }
      return rows
    },
  }
}
