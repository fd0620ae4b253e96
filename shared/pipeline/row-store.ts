import type { Transaction } from '../domain/transaction.ts'
import type { PlainRowSink, PlainRows } from '../ingest/plain-lines.ts'

/** Rows of one customer as handed to the summariser; dates are shared strings, not copies. */
export interface StoredRow {
  readonly date: string
  readonly amount: number
  readonly margin?: number
}

/**
 * Every stored row grouped by customer, in typed columns on shared memory (worker threads read them
 * without a copy): customer `c` (in order of first appearance) owns rows `start[c]` to
 * `start[c + 1] - 1`, in the order they were added. Dates are indexes into `dates`; a margin of NaN
 * means the row carries none (`margin` is absent when no row does).
 */
export interface GroupedRows {
  readonly customers: number
  readonly customerIds: readonly string[]
  readonly dates: readonly string[]
  readonly start: Int32Array
  readonly date: Int32Array
  readonly amount: Float64Array
  readonly margin: Float64Array | undefined
}

/**
 * The rows a store took from one part of a file, as `RowStore.part` hands them to the store of the
 * parts before (`RowStore.merge`): typed columns that move between threads without a copy, numbered by
 * the part's own customer and date ids, with the hashes of the rows' transaction ids (`idHash[2 i]`,
 * `[2 i + 1]`; `hasId[i]` 0 for a row without one), since an id may repeat one of an earlier part.
 */
export interface StorePart {
  readonly rows: number
  /**
   * The part's customer ids in order of first appearance, as UTF-8 joined by line breaks (which no id
   * holds): one buffer crosses threads many times faster than an array of a million short strings, and
   * the store it is merged into makes strings only of ids new to it.
   */
  readonly customerIds: Uint8Array
  readonly dates: readonly string[]
  readonly customer: Int32Array
  readonly date: Int32Array
  readonly amount: Float64Array
  readonly margin: Float64Array | undefined
  readonly hasId: Uint8Array | undefined
  readonly idHash: Int32Array | undefined
  /** Rows dropped within the part because their transaction id was seen before in it. */
  readonly duplicates: number
}

/** Rows whose customer id slots are loaded ahead, in `addAll`. */
const BATCH = 256

/**
 * Transactions of many customers in any order, held in typed columns (16 bytes a row, 12 once grouped,
 * plus the customer ids) instead of one object per row, then handed out customer by customer. A repeated
 * transaction id is kept once across the whole store (first occurrence wins); ids are compared by a
 * 64-bit hash, so two different ids collide with odds of about n^2 / 2^65 (1e-7 for 10 million rows).
 *
 * Grouping by customer (`grouped`, `byCustomer`) is a counting sort, linear in the number of rows; it
 * moves the rows into customer order once and keeps them so (rows added later are merged in on the
 * next grouping), and hands the memory of the ungrouped copy back at once, so the store holds two
 * copies of its rows only while it groups them.
 */
export class RowStore implements PlainRowSink {
  private readonly customerIds: StringIndex
  private readonly dateIds = new StringIndex()
  private readonly seenIds = new HashSet64()
  /** Rows added since the last grouping, in order, and after them the parts merged since. */
  private readonly pending = new PendingRows()
  private merged: MergedPart[] = []
  private groupedRows: GroupedRows | undefined
  private lastDate: string | undefined
  private lastDateId = 0
  private readonly batchKeys = new Int32Array(3 * BATCH)
  /** Sum of the slots touched ahead of lookups, kept so that the loads are not optimised away. */
  private touched = 0
  /** Rows dropped because their transaction id was seen before. */
  duplicates = 0
  /** For `part`: the transaction id hashes of the rows added, when asked for. */
  private readonly idHashes: IdHashes | undefined

  /**
   * `keepIdHashes` for a store of one part of a file, which `part` then hands over. `expectedCustomers`,
   * when known, sizes the customer index for that many from the start (it still grows beyond).
   */
  constructor(options: { readonly keepIdHashes?: boolean; readonly expectedCustomers?: number } = {}) {
    this.idHashes = options.keepIdHashes ? new IdHashes() : undefined
    this.customerIds = new StringIndex(options.expectedCustomers)
  }

  get rows(): number {
    let rows = (this.groupedRows?.amount.length ?? 0) + this.pending.count
    for (const part of this.merged) rows += part.kept
    return rows
  }

  get customers(): number {
    return this.customerIds.size
  }

  add(row: Transaction): void {
    this.settle()
    keyOf(row.customerId, SCRATCH_KEY, 0)
    this.addKeyed(row, SCRATCH_KEY, 0)
  }

  private addKeyed(row: Transaction, keys: Int32Array, at: number): void {
    if (row.transactionId !== undefined && !this.seenIds.add(row.transactionId)) {
      this.duplicates++
      return
    }
    const pending = this.pending
    if (pending.count === pending.capacity) pending.grow()
    const i = pending.count++
    this.idHashes?.set(i, row.transactionId)
    pending.customer[i] = this.customerIds.internKey(row.customerId, keys, at)
    pending.date[i] = this.dateId(row.date)
    pending.amount[i] = row.amount
    if (row.margin !== undefined) pending.setMargin(i, row.margin)
  }

  /**
   * Adds rows read from a file's bytes (plain-lines.ts) exactly as `addAll` adds the same rows as
   * transactions: a customer id's string is made only when it is new to the store.
   */
  addPlainRows(rows: PlainRows): void {
    this.settle()
    const keys = this.batchKeys
    const { source, idStart, idEnd, txStart, txEnd, date, amount, margin } = rows
    const hash = SCRATCH_HASH
    for (let from = 0; from < rows.count; from += BATCH) {
      const count = Math.min(BATCH, rows.count - from)
      for (let k = 0; k < count; k++) {
        keyOfBytes(source, idStart[from + k] as number, idEnd[from + k] as number, keys, 3 * k)
      }
      this.touched += this.customerIds.touch(keys, count)
      for (let k = 0; k < count; k++) {
        const r = from + k
        const tx = txStart[r] as number
        if (tx >= 0) {
          hash64Bytes(source, tx, txEnd[r] as number, hash)
          if (!this.seenIds.insertHash(hash[0] as number, hash[1] as number)) {
            this.duplicates++
            continue
          }
        }
        const pending = this.pending
        if (pending.count === pending.capacity) pending.grow()
        const i = pending.count++
        if (this.idHashes !== undefined) {
          if (tx >= 0) this.idHashes.setHash(i, hash[0] as number, hash[1] as number)
          else this.idHashes.set(i, undefined)
        }
        pending.customer[i] = this.customerIds.internAt(
          keys,
          3 * k,
          undefined,
          source,
          idStart[r] as number,
          idEnd[r] as number,
        )
        pending.date[i] = this.dateId(date[r] as string)
        pending.amount[i] = amount[r] as number
        const m = margin[r] as number
        if (!Number.isNaN(m)) pending.setMargin(i, m)
      }
    }
  }

  /**
   * `add` for each row. Faster for large batches: the customer ids' slots are looked up for a few hundred
   * rows at a time before the rows are added, so that the lookups' cache misses overlap.
   */
  addAll(rows: readonly Transaction[]): void {
    this.settle()
    const keys = this.batchKeys
    for (let from = 0; from < rows.length; from += BATCH) {
      const count = Math.min(BATCH, rows.length - from)
      for (let k = 0; k < count; k++) keyOf((rows[from + k] as Transaction).customerId, keys, 3 * k)
      this.touched += this.customerIds.touch(keys, count)
      for (let k = 0; k < count; k++) this.addKeyed(rows[from + k] as Transaction, keys, 3 * k)
    }
  }

  /**
   * The rows added so far as a part for `merge` into the store of the parts before; the store is not
   * used after. Its columns are views of the store's own buffers (not copies), which may be transferred
   * to another thread.
   */
  part(): StorePart {
    if (this.groupedRows !== undefined || this.merged.length > 0) throw new Error('part() of a grouped store')
    const { pending } = this
    const rows = pending.count
    const columns = pending.detach()
    return {
      rows,
      // A buffer of its own (Buffer.from may hand out a slice of a shared pool), to be transferred.
      customerIds: new TextEncoder().encode(this.customerIds.values.join('\n')),
      dates: this.dateIds.values,
      ...columns,
      hasId: this.idHashes?.hasId(rows),
      idHash: this.idHashes?.hashes(rows),
      duplicates: this.duplicates,
    }
  }

  /**
   * Adds the rows of a part of the file that follows the rows added so far, exactly as adding them row
   * by row would: customers and dates numbered in order of first appearance across both, and a row whose
   * transaction id was seen in the rows before dropped (the part dropped its own repeats already). The
   * store takes the part's columns over: their ids are renumbered in place, and the rows are only copied
   * when they are grouped (or when rows are added after them).
   */
  merge(part: StorePart): void {
    const { hasId, idHash, customer, date } = part
    const ids = part.customerIds
    // Local customer i is ids[idStart[i]..idStart[i + 1] - 1), line break excluded.
    const idStart = [0]
    let ascii = true
    for (let at = 0; at < ids.length; at++) {
      const byte = ids[at] as number
      if (byte === LINE_BREAK) idStart.push(at + 1)
      else if (byte > 127) ascii = false
    }
    if (ids.length > 0) idStart.push(ids.length + 1)
    const customerOf = new Int32Array(idStart.length - 1).fill(-1)
    // Without transaction ids no row of the part is dropped here, so each of its customers is met first
    // at its first row, in the order of their local numbers: they are interned in that order at once,
    // in batches whose lookups overlap.
    if (hasId === undefined && ascii) this.customerIds.internAll(ids, idStart, customerOf)
    const dateOf = Int32Array.from(part.dates, (date) => this.dateIds.intern(date))
    // Rows of each store customer in this part (the store has at most this many customers after it).
    const counts = new Int32Array(this.customerIds.size + customerOf.length)
    let kept = 0
    for (let k = 0; k < part.rows; k++) {
      if (hasId?.[k] === 1 && idHash !== undefined) {
        if (!this.seenIds.insertHash(idHash[2 * k] as number, idHash[2 * k + 1] as number)) {
          this.duplicates++
          customer[k] = DROPPED
          continue
        }
      }
      const local = customer[k] as number
      let c = customerOf[local] as number
      if (c < 0) {
        c = this.customerIds.internBytes(ids, idStart[local] as number, (idStart[local + 1] as number) - 1)
        customerOf[local] = c
      }
      customer[k] = c
      counts[c] = (counts[c] as number) + 1
      date[k] = dateOf[date[k] as number] as number
      kept++
    }
    this.merged.push({
      count: part.rows,
      kept,
      customer,
      date,
      amount: part.amount,
      margin: part.margin,
      counts: counts.subarray(0, this.customerIds.size),
    })
    this.duplicates += part.duplicates
    this.lastDate = undefined
  }

  /**
   * All rows grouped by customer; the result stays valid (and is reused) until the next `add`. The
   * memory of the rows as added is returned to the system, by `release` if given (see PendingRows.clear).
   */
  grouped(release?: (buffers: ArrayBuffer[]) => void): GroupedRows {
    if (this.groupedRows !== undefined && this.pending.count === 0 && this.merged.length === 0)
      return this.groupedRows
    this.groupedRows = this.regroup().grouped
    this.releaseSources(release)
    return this.groupedRows
  }

  /**
   * `grouped`, with the rows of the last part merged put in place by `scatter` meanwhile (on another
   * thread: the columns it is given are its to transfer, and to release once done). The same result.
   */
  async groupedBeside(
    scatter: (task: ScatterTask) => Promise<void>,
    release?: (buffers: ArrayBuffer[]) => void,
  ): Promise<GroupedRows> {
    // Without rows here besides the part's, or without a part, the grouping is as quick on one thread.
    if (this.pending.count + (this.groupedRows?.amount.length ?? 0) === 0 || this.merged.length === 0)
      return this.grouped(release)
    const { grouped, remote } = this.regroup(scatter)
    // The last part's columns are the scatter's now.
    if (remote !== undefined) this.merged.pop()
    try {
      await remote
    } finally {
      this.groupedRows = grouped
      this.releaseSources(release)
    }
    return grouped
  }

  private releaseSources(release: ((buffers: ArrayBuffer[]) => void) | undefined): void {
    const buffers = this.merged.flatMap((source) =>
      [source.customer, source.date, source.amount, source.margin]
        .map((column) => column?.buffer)
        .filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer && buffer.resizable),
    )
    this.merged = []
    this.pending.clear(release === undefined ? undefined : (own) => release([...own, ...buffers]))
    if (release === undefined) for (const buffer of buffers) buffer.resize(0)
  }

  /** Copies merged parts into the pending rows, so that rows added next come after them. */
  private settle(): void {
    if (this.merged.length === 0) return
    const pending = this.pending
    for (const source of this.merged) {
      const { customer, date, amount, margin } = source
      for (let k = 0; k < source.count; k++) {
        const c = customer[k] as number
        if (c === DROPPED) continue
        if (pending.count === pending.capacity) pending.grow()
        const i = pending.count++
        pending.customer[i] = c
        pending.date[i] = date[k] as number
        pending.amount[i] = amount[k] as number
        const m = margin === undefined ? Number.NaN : (margin[k] as number)
        if (!Number.isNaN(m)) pending.setMargin(i, m)
      }
    }
    this.merged = []
  }

  /** Each customer's rows, customers in order of first appearance, rows in the order they were added. */
  *byCustomer(): Generator<readonly [customerId: string, rows: StoredRow[]]> {
    const { customers, customerIds, dates, start, date, amount, margin } = this.grouped()
    for (let c = 0; c < customers; c++) {
      const rows: StoredRow[] = []
      for (let k = start[c] as number; k < (start[c + 1] as number); k++) {
        const m = margin === undefined ? Number.NaN : (margin[k] as number)
        const d = dates[date[k] as number] as string
        const a = amount[k] as number
        rows.push(Number.isNaN(m) ? { date: d, amount: a } : { date: d, amount: a, margin: m })
      }
      yield [customerIds[c] as string, rows]
    }
  }

  private dateId(date: string): number {
    // Exports are mostly in date order: the previous row's date is the likely one.
    if (date !== this.lastDate) {
      this.lastDate = date
      this.lastDateId = this.dateIds.intern(date)
    }
    return this.lastDateId
  }

  /**
   * Counting sort of the grouped rows (kept first for each customer), the pending rows and the merged
   * parts, in that order. Given `scatter`, the last merged part's rows are put in place by it, at the
   * end of each customer's rows, while the others are here.
   */
  private regroup(scatter?: (task: ScatterTask) => Promise<void>): {
    grouped: GroupedRows
    remote?: Promise<void>
  } {
    const previous = this.groupedRows
    const sources = [this.pending.rowSource(), ...this.merged]
    const customers = this.customerIds.size
    const start = sharedInt32(customers + 1)
    if (previous !== undefined) {
      for (let c = 0; c < previous.customers; c++) {
        start[c + 1] = (previous.start[c + 1] as number) - (previous.start[c] as number)
      }
    }
    for (const source of sources) {
      const { customer, count, counts } = source
      if (counts !== undefined) {
        for (let c = 0; c < counts.length; c++)
          start[c + 1] = (start[c + 1] as number) + (counts[c] as number)
        continue
      }
      for (let i = 0; i < count; i++) {
        const c = customer[i] as number
        if (c !== DROPPED) start[c + 1] = (start[c + 1] as number) + 1
      }
    }
    for (let c = 0; c < customers; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number)
    const total = start[customers] as number
    const next = start.slice(0, customers)
    const date = sharedInt32(total)
    const amount = new Float64Array(new SharedArrayBuffer(8 * total))
    const hasMargin = previous?.margin !== undefined || sources.some((source) => source.margin !== undefined)
    const margin = hasMargin ? new Float64Array(new SharedArrayBuffer(8 * total)) : undefined
    let remote: Promise<void> | undefined
    const last = sources.at(-1) as RowSource
    // Only a merged part knows its counts.
    if (scatter !== undefined && last.counts !== undefined) {
      sources.pop()
      // The last part's rows of a customer end its rows.
      const lastNext = sharedInt32(customers)
      const { counts } = last
      for (let c = 0; c < customers; c++) {
        lastNext[c] = (start[c + 1] as number) - (c < counts.length ? (counts[c] as number) : 0)
      }
      remote = scatter({ source: last, next: lastNext, date, amount, margin })
    }
    try {
      if (previous !== undefined) {
        for (let c = 0; c < previous.customers; c++) {
          const from = previous.start[c] as number
          const to = previous.start[c + 1] as number
          const at = next[c] as number
          date.set(previous.date.subarray(from, to), at)
          amount.set(previous.amount.subarray(from, to), at)
          if (margin !== undefined) {
            if (previous.margin === undefined) margin.fill(Number.NaN, at, at + to - from)
            else margin.set(previous.margin.subarray(from, to), at)
          }
          next[c] = at + to - from
        }
      }
      for (const source of sources) scatterRows({ source, next, date, amount, margin })
    } catch (error) {
      remote?.catch(() => undefined)
      throw error
    }
    const grouped = {
      customers,
      customerIds: this.customerIds.values,
      dates: this.dateIds.values,
      start,
      date,
      amount,
      margin,
    }
    return remote === undefined ? { grouped } : { grouped, remote }
  }
}

/**
 * Rows of a source to put in place in grouped columns: row i of customer c goes to `next[c]`, which
 * then moves on. `source`'s columns are views on buffers of their own, which may move to another thread.
 */
export interface ScatterTask {
  readonly source: RowSource
  readonly next: Int32Array
  readonly date: Int32Array
  readonly amount: Float64Array
  readonly margin: Float64Array | undefined
}

/** The buffers of a scatter task's source, to transfer with it. */
export function scatterBuffers(task: ScatterTask): ArrayBuffer[] {
  const { customer, date, amount, margin } = task.source
  return [customer, date, amount, margin]
    .map((column) => column?.buffer)
    .filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer)
}

/** Puts a source's rows in place (see ScatterTask), DROPPED rows skipped. */
export function scatterRows(task: ScatterTask): void {
  const { source, next, date, amount, margin } = task
  const { customer, count } = source
  const sourceDate = source.date
  const sourceAmount = source.amount
  const sourceMargin = source.margin
  for (let i = 0; i < count; i++) {
    const c = customer[i] as number
    if (c === DROPPED) continue
    const at = next[c] as number
    next[c] = at + 1
    date[at] = sourceDate[i] as number
    amount[at] = sourceAmount[i] as number
    if (margin !== undefined)
      margin[at] = sourceMargin === undefined ? Number.NaN : (sourceMargin[i] as number)
  }
}

/** Rows in columns, `count` of them: the pending rows or a merged part (DROPPED customers skipped). */
export interface RowSource {
  readonly count: number
  readonly customer: Int32Array
  readonly date: Int32Array
  readonly amount: Float64Array
  readonly margin: Float64Array | undefined
  /** Rows of each customer (numbered by the store), where known: then no pass is needed to count them. */
  readonly counts?: Int32Array
}

/** A merged part's rows, renumbered in place: `kept` of its `count` rows are not DROPPED. */
interface MergedPart extends RowSource {
  readonly kept: number
  readonly counts: Int32Array
}

/** The customer of a merged row dropped as a repeat of an earlier transaction id. */
const DROPPED = -1

/**
 * Rows added since the last grouping, in columns on resizable ArrayBuffers: they grow in place (no copy,
 * no slack beyond the last doubling) and hand their memory back as soon as they are cleared, without
 * waiting for the garbage collector.
 */
class PendingRows {
  count = 0
  capacity = 0
  customer = new Int32Array(0)
  date = new Int32Array(0)
  amount = new Float64Array(0)
  /** NaN where a row carries no margin; undefined until a row does. */
  margin: Float64Array | undefined
  private maxRows = INITIAL_MAX_ROWS
  private customerBuffer = resizable(4, this.maxRows)
  private dateBuffer = resizable(4, this.maxRows)
  private amountBuffer = resizable(8, this.maxRows)
  private marginBuffer: ArrayBuffer | undefined

  grow(): void {
    const capacity = Math.max(MIN_ROWS, 2 * this.capacity)
    if (capacity > this.maxRows) this.reserve(4 * this.maxRows)
    const previous = this.capacity
    this.capacity = capacity
    this.customerBuffer.resize(4 * capacity)
    this.dateBuffer.resize(4 * capacity)
    this.amountBuffer.resize(8 * capacity)
    this.marginBuffer?.resize(8 * capacity)
    this.views()
    this.margin?.fill(Number.NaN, previous)
  }

  setMargin(i: number, margin: number): void {
    if (this.marginBuffer === undefined) {
      this.marginBuffer = resizable(8, this.maxRows)
      this.marginBuffer.resize(8 * this.capacity)
      this.views()
      this.margin?.fill(Number.NaN)
    }
    ;(this.margin as Float64Array)[i] = margin
  }

  /** The rows as a RowSource (views of the columns, valid until they change). */
  rowSource(): RowSource {
    return {
      count: this.count,
      customer: this.customer,
      date: this.date,
      amount: this.amount,
      margin: this.margin,
    }
  }

  /**
   * Hands the columns over as views of exactly `count` rows on their own buffers, and starts afresh on
   * new buffers.
   */
  detach(): Pick<StorePart, 'customer' | 'date' | 'amount' | 'margin'> {
    const rows = this.count
    const columns = {
      customer: new Int32Array(this.customerBuffer, 0, rows),
      date: new Int32Array(this.dateBuffer, 0, rows),
      amount: new Float64Array(this.amountBuffer, 0, rows),
      margin: this.marginBuffer === undefined ? undefined : new Float64Array(this.marginBuffer, 0, rows),
    }
    this.renew()
    return columns
  }

  /**
   * Empties the columns and returns their memory to the system: here, or, given `release`, wherever it
   * takes the buffers to (returning a few hundred megabytes takes the kernel a noticeable while).
   */
  clear(release?: (buffers: ArrayBuffer[]) => void): void {
    const buffers = [this.customerBuffer, this.dateBuffer, this.amountBuffer]
    if (this.marginBuffer !== undefined) buffers.push(this.marginBuffer)
    if (release === undefined) for (const buffer of buffers) buffer.resize(0)
    else release(buffers)
    this.renew()
  }

  /** Starts afresh, empty, on new buffers (address space only, until rows are added). */
  private renew(): void {
    this.customerBuffer = resizable(4, this.maxRows)
    this.dateBuffer = resizable(4, this.maxRows)
    this.amountBuffer = resizable(8, this.maxRows)
    this.marginBuffer = undefined
    this.count = 0
    this.capacity = 0
    this.views()
  }

  /** Moves the columns to buffers that may grow to `maxRows`, for inputs beyond the first reservation. */
  private reserve(maxRows: number): void {
    const move = (from: ArrayBuffer, bytes: number) => {
      const to = resizable(bytes, maxRows)
      to.resize(from.byteLength)
      new Uint8Array(to).set(new Uint8Array(from))
      from.resize(0)
      return to
    }
    this.maxRows = maxRows
    this.customerBuffer = move(this.customerBuffer, 4)
    this.dateBuffer = move(this.dateBuffer, 4)
    this.amountBuffer = move(this.amountBuffer, 8)
    if (this.marginBuffer !== undefined) this.marginBuffer = move(this.marginBuffer, 8)
  }

  private views(): void {
    this.customer = new Int32Array(this.customerBuffer, 0, this.capacity)
    this.date = new Int32Array(this.dateBuffer, 0, this.capacity)
    this.amount = new Float64Array(this.amountBuffer, 0, this.capacity)
    this.margin =
      this.marginBuffer === undefined ? undefined : new Float64Array(this.marginBuffer, 0, this.capacity)
  }
}

/** Rows of the first reservation of address space (not memory): 128 MB for a column of doubles. */
const INITIAL_MAX_ROWS = 1 << 24
const MIN_ROWS = 1 << 12

function resizable(bytesPerRow: number, maxRows: number): ArrayBuffer {
  return new ArrayBuffer(0, { maxByteLength: bytesPerRow * maxRows })
}

/** Grouped rows live on shared memory, so that worker threads can read them without a copy. */
function sharedInt32(size: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * size))
}

/**
 * Strings numbered 0, 1, 2, ... in order of first appearance, in an open-addressing table. At a million
 * keys a lookup is bound by memory latency (a Map takes several times longer), so each slot holds the
 * key itself where it is short: 16 bytes = the number + 1 (0 when empty) and 12 bytes of key (the length
 * and up to 11 Latin-1 code units). A longer key is held as a marker with its length and a 32-bit hash,
 * and compared in full only when those match. `keys` and `touch` let a caller compute the keys of a
 * batch and load their slots before interning them, so that the cache misses overlap.
 */
class StringIndex {
  readonly values: string[] = []
  /** Sum of the slots `internAll` loaded ahead, kept so that the loads are not optimised away. */
  touched = 0
  /** 4 words a slot: number + 1, then the three key words. */
  private table: Int32Array
  private mask: number

  /**
   * Room for `expected` strings before the first growth. Each growth copies every slot into a table
   * twice the size, on fresh memory: at a million customers, the growths of one thread took 0.2-0.3 s
   * of reading a 281 MB file.
   */
  constructor(expected = 0) {
    let slots = 1 << 10
    while (slots < 2 * expected && slots < MAX_PRESIZED_SLOTS) slots *= 2
    this.table = new Int32Array(4 * slots)
    this.mask = slots - 1
  }

  get size(): number {
    return this.values.length
  }

  intern(value: string): number {
    keyOf(value, SCRATCH_KEY, 0)
    return this.internKey(value, SCRATCH_KEY, 0)
  }

  /**
   * Interns the ASCII ids `source[starts[i]..starts[i + 1] - 1)` (each followed by one separator byte)
   * in order, into `out[i]`, in batches whose first slots are loaded ahead.
   */
  internAll(source: Uint8Array, starts: readonly number[], out: Int32Array): void {
    const keys = BATCH_KEYS
    for (let from = 0; from < out.length; from += BATCH) {
      const count = Math.min(BATCH, out.length - from)
      for (let k = 0; k < count; k++) {
        const i = from + k
        keyOfBytes(source, starts[i] as number, (starts[i + 1] as number) - 1, keys, 3 * k)
      }
      this.touched += this.touch(keys, count)
      for (let k = 0; k < count; k++) {
        const i = from + k
        out[i] = this.internAt(
          keys,
          3 * k,
          undefined,
          source,
          starts[i] as number,
          (starts[i + 1] as number) - 1,
        )
      }
    }
  }

  /** Interns the string of the UTF-8 bytes `source[from..to)`, made only when it is new. */
  internBytes(source: Uint8Array, from: number, to: number): number {
    for (let i = from; i < to; i++) {
      if ((source[i] as number) > 127) return this.intern(UTF8.decode(source.subarray(from, to)))
    }
    keyOfBytes(source, from, to, SCRATCH_KEY, 0)
    return this.internAt(SCRATCH_KEY, 0, undefined, source, from, to)
  }

  /** Loads the first slot of each key (3 words at `keys[3 k]`), so that `internKey` then hits the cache. */
  touch(keys: Int32Array, count: number): number {
    const { table, mask } = this
    let sum = 0
    for (let k = 0; k < count * 3; k += 3) {
      sum += table[
        (mix(keys[k] as number, keys[k + 1] as number, keys[k + 2] as number) & mask) << 2
      ] as number
    }
    return sum
  }

  /** Interns `value` whose key words `keyOf` wrote at `keys[at]`. */
  internKey(value: string, keys: Int32Array, at: number): number {
    return this.internAt(keys, at, value, NO_BYTES, 0, 0)
  }

  /**
   * Interns the key whose words are at `keys[at]`: `value`, or, when that is undefined, the ASCII bytes
   * `source[from..to)` (whose words `keyOfBytes` wrote), made a string only when it is new.
   */
  internAt(
    keys: Int32Array,
    at: number,
    value: string | undefined,
    source: Uint8Array,
    from: number,
    to: number,
  ): number {
    const k0 = keys[at] as number
    const k1 = keys[at + 1] as number
    const k2 = keys[at + 2] as number
    const { table, mask } = this
    let slot = mix(k0, k1, k2) & mask
    for (;;) {
      const i = slot << 2
      const entry = table[i] as number
      if (entry === 0) break
      if (
        table[i + 1] === k0 &&
        table[i + 2] === k1 &&
        table[i + 3] === k2 &&
        ((k0 & 0xff) !== LONG_KEY ||
          (value === undefined
            ? sameText(this.values[entry - 1] as string, source, from, to)
            : this.values[entry - 1] === value))
      ) {
        return entry - 1
      }
      slot = (slot + 1) & mask
    }
    const id = this.values.length
    this.values.push(value ?? asciiText(source, from, to))
    const i = slot << 2
    table[i] = id + 1
    table[i + 1] = k0
    table[i + 2] = k1
    table[i + 3] = k2
    if (this.values.length * 2 > mask + 1) this.grow()
    return id
  }

  private grow(): void {
    const old = this.table
    this.table = new Int32Array(old.length * 2)
    this.mask = (this.mask << 1) | 1
    const { table, mask } = this
    for (let i = 0; i < old.length; i += 4) {
      if (old[i] === 0) continue
      const k0 = old[i + 1] as number
      const k1 = old[i + 2] as number
      const k2 = old[i + 3] as number
      let slot = mix(k0, k1, k2) & mask
      while (table[slot << 2] !== 0) slot = (slot + 1) & mask
      const at = slot << 2
      table[at] = old[i] as number
      table[at + 1] = k0
      table[at + 2] = k1
      table[at + 3] = k2
    }
  }
}

/** The most slots a table is given before it is filled (64 MB): beyond, it grows as it fills. */
const MAX_PRESIZED_SLOTS = 1 << 22
const SCRATCH_KEY = new Int32Array(3)
const SCRATCH_HASH = new Int32Array(2)
const BATCH_KEYS = new Int32Array(3 * BATCH)
const NO_BYTES = new Uint8Array(0)
const ASCII = new TextDecoder('latin1')
const UTF8 = new TextDecoder()
const LINE_BREAK = 10

/** `keyOf` of the string of the ASCII bytes `source[from..to)`. */
function keyOfBytes(source: Uint8Array, from: number, to: number, keys: Int32Array, at: number): void {
  const length = to - from
  if (length <= 11) {
    let k0 = length
    let k1 = 0
    let k2 = 0
    for (let p = 1; p <= length; p++) {
      const c = source[from + p - 1] as number
      if (p < 4) k0 |= c << (p * 8)
      else if (p < 8) k1 |= c << ((p - 4) * 8)
      else k2 |= c << ((p - 8) * 8)
    }
    keys[at] = k0
    keys[at + 1] = k1
    keys[at + 2] = k2
    return
  }
  let h = 0x811c9dc5
  for (let i = from; i < to; i++) h = Math.imul(h ^ (source[i] as number), 0x01000193)
  keys[at] = LONG_KEY | (length << 8)
  keys[at + 1] = h | 0
  keys[at + 2] = 0
}

function sameText(text: string, source: Uint8Array, from: number, to: number): boolean {
  if (text.length !== to - from) return false
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== source[from + i]) return false
  return true
}

/**
 * A short id is built a character at a time (faster than the decoder). From 13 characters on, V8 would
 * keep that as a tree of parts, which JSON.stringify's fast path does not take: the decoder makes it.
 */
function asciiText(source: Uint8Array, from: number, to: number): string {
  if (to - from > 12) return ASCII.decode(source.subarray(from, to))
  let text = ''
  for (let i = from; i < to; i++) text += String.fromCharCode(source[i] as number)
  return text
}

/**
 * Writes the 3 key words of `value` at `keys[at]`: the length and Latin-1 code units packed into bytes,
 * or, for a longer key or other code units, a marker with the length, and a 32-bit hash.
 */
function keyOf(value: string, keys: Int32Array, at: number): void {
  const length = value.length
  if (length <= 11) {
    let k0 = length
    let k1 = 0
    let k2 = 0
    let latin1 = true
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i)
      if (c > 0xff) {
        latin1 = false
        break
      }
      const p = i + 1
      if (p < 4) k0 |= c << (p * 8)
      else if (p < 8) k1 |= c << ((p - 4) * 8)
      else k2 |= c << ((p - 8) * 8)
    }
    if (latin1) {
      keys[at] = k0
      keys[at + 1] = k1
      keys[at + 2] = k2
      return
    }
  }
  keys[at] = LONG_KEY | (length << 8)
  keys[at + 1] = hash32(value)
  keys[at + 2] = 0
}

/** Marker in the low byte of the first word of a key held by length and hash (a short key has 11 at most). */
const LONG_KEY = 0xff

function mix(k0: number, k1: number, k2: number): number {
  let h = Math.imul(k0 ^ (k0 >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ k1 ^ (h >>> 13), 0xc2b2ae35)
  h = Math.imul(h ^ k2 ^ (h >>> 16), 0x85ebca6b)
  return h ^ (h >>> 13)
}

/** FNV-1a of the UTF-16 code units. */
function hash32(value: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193)
  return h | 0
}

/** An open-addressing set of 64-bit string hashes (two 32-bit halves), for de-duplicating ids. */
class HashSet64 {
  private hi = new Int32Array(1 << 16)
  private lo = new Int32Array(1 << 16)
  private used = new Uint8Array(1 << 16)
  private size = 0

  /** False when the value was present already. */
  add(value: string): boolean {
    const [h, l] = hash64(value)
    return this.insertHash(h, l)
  }

  /** `add` of a value whose hash64 is (h, l). */
  insertHash(h: number, l: number): boolean {
    if ((this.size + 1) * 2 > this.used.length) this.rehash()
    return this.insert(h, l)
  }

  private insert(h: number, l: number): boolean {
    const mask = this.used.length - 1
    let slot = (l ^ Math.imul(h, 0x9e3779b1)) & mask
    while (this.used[slot]) {
      if (this.hi[slot] === h && this.lo[slot] === l) return false
      slot = (slot + 1) & mask
    }
    this.used[slot] = 1
    this.hi[slot] = h
    this.lo[slot] = l
    this.size++
    return true
  }

  private rehash(): void {
    const { hi, lo, used } = this
    this.hi = new Int32Array(used.length * 2)
    this.lo = new Int32Array(used.length * 2)
    this.used = new Uint8Array(used.length * 2)
    this.size = 0
    for (let i = 0; i < used.length; i++) if (used[i]) this.insert(hi[i] as number, lo[i] as number)
  }
}

/** The transaction id hashes of a part's rows, in growing columns (only while a row has an id). */
class IdHashes {
  private flags = new Uint8Array(0)
  private words = new Int32Array(0)

  set(i: number, transactionId: string | undefined): void {
    if (transactionId === undefined) {
      if (this.flags.length > 0) this.reserve(i)
      return
    }
    const [h, l] = hash64(transactionId)
    this.setHash(i, h, l)
  }

  /** `set` of a row whose transaction id has the hash64 (h, l). */
  setHash(i: number, h: number, l: number): void {
    this.reserve(i)
    this.flags[i] = 1
    this.words[2 * i] = h
    this.words[2 * i + 1] = l
  }

  private reserve(i: number): void {
    if (i >= this.flags.length) {
      const size = Math.max(MIN_ROWS, 2 * i)
      const flags = new Uint8Array(size)
      flags.set(this.flags)
      const words = new Int32Array(2 * size)
      words.set(this.words)
      this.flags = flags
      this.words = words
    }
  }

  hasId(rows: number): Uint8Array | undefined {
    if (this.flags.length === 0) return undefined
    const flags = new Uint8Array(rows)
    flags.set(this.flags.subarray(0, Math.min(rows, this.flags.length)))
    return flags
  }

  hashes(rows: number): Int32Array | undefined {
    if (this.flags.length === 0) return undefined
    const words = new Int32Array(2 * rows)
    words.set(this.words.subarray(0, Math.min(2 * rows, this.words.length)))
    return words
  }
}

/** `hash64` of the string of the ASCII bytes `source[from..to)`, into `out[0]`, `out[1]`. */
function hash64Bytes(source: Uint8Array, from: number, to: number, out: Int32Array): void {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ (to - from)
  for (let i = from; i < to; i++) {
    const c = source[i] as number
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  out[0] = h1 | 0
  out[1] = h2 | 0
}

/** Two independent 32-bit FNV-1a style hashes of the string's UTF-16 code units. */
function hash64(value: string): [number, number] {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ value.length
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  return [h1 | 0, h2 | 0]
}
