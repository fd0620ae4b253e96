import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import { parseTransactions } from '../../../shared/ingest/parse-transactions.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'

/** The sample the local stack scores: the CDNOW transactions (2,357 customers), as-of 1998-06-30. */
const CDNOW_SAMPLE = join(import.meta.dirname, '../../../infra/local/sample/cdnow-transactions.csv')

/** The sample's rows, as an upload's parse reads them. */
export async function loadRows(): Promise<Transaction[]> {
  const rows: Transaction[] = []
  for await (const batch of parseTransactions(createReadStream(CDNOW_SAMPLE), { fileName: 'cdnow.csv' })) {
    rows.push(...batch.rows)
  }
  return rows
}

export function storeOf(rows: readonly Transaction[]): RowStore {
  const store = new RowStore()
  store.addAll(rows)
  return store
}

/** The sample's rows in a RowStore. */
export async function loadSample(): Promise<RowStore> {
  return storeOf(await loadRows())
}
