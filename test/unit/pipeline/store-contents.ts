import type { RowRejection } from '../../../shared/ingest/parse-transactions.ts'
import type { RowStore } from '../../../shared/pipeline/row-store.ts'

/** Everything a parse leaves: grouped rows with their ids and dates, repeats dropped, rejections. */
export function storeContents(store: RowStore, rejections: readonly RowRejection[]) {
  return {
    rows: store.rows,
    customers: store.customers,
    duplicates: store.duplicates,
    byCustomer: [...store.byCustomer()],
    rejections,
  }
}
