import type { Transaction } from '../domain/transaction.ts'

/** Rows of one customer as handed to the summariser; dates are shared strings, not copies. */
export interface StoredRow {
  readonly date: string
  readonly amount: number
  readonly margin?: number
}

const INITIAL_CAPACITY = 1 << 16

/**
 * Transactions of many customers in any order, held in typed columns (about 24 bytes a row plus the
 * customer ids) instead of one object per row, then handed out customer by customer. A repeated
 * transaction id is kept once across the whole store (first occurrence wins); ids are compared by a
 * 64-bit hash, so two different ids collide with odds of about n^2 / 2^65 (1e-7 for 10 million rows).
 */
export class RowStore {
  private readonly customerIndex = new Map<string, number>()
  private readonly customerIdList: string[] = []
  private readonly dateIndex = new Map<string, number>()
  private readonly dateList: string[] = []
  private readonly seenIds = new HashSet64()
  private customer = new Int32Array(INITIAL_CAPACITY)
  private day = new Int32Array(INITIAL_CAPACITY)
  private amount = new Float64Array(INITIAL_CAPACITY)
  private margin = new Float64Array(INITIAL_CAPACITY)
  private count = 0
  /** Rows dropped because their transaction id was seen before. */
  duplicates = 0

  get rows(): number {
    return this.count
  }

  get customers(): number {
    return this.customerIdList.length
  }

  add(row: Transaction): void {
    if (row.transactionId !== undefined && !this.seenIds.add(row.transactionId)) {
      this.duplicates++
      return
    }
    if (this.count === this.customer.length) this.grow()
    const i = this.count++
    this.customer[i] = intern(this.customerIndex, this.customerIdList, row.customerId)
    this.day[i] = intern(this.dateIndex, this.dateList, row.date)
    this.amount[i] = row.amount
    this.margin[i] = row.margin ?? Number.NaN
  }

  /**
   * Each customer's rows, customers in order of first appearance. A counting sort by customer
   * keeps this linear in the number of rows.
   */
  *byCustomer(): Generator<readonly [customerId: string, rows: StoredRow[]]> {
    const customers = this.customerIdList.length
    const start = new Int32Array(customers + 1)
    for (let i = 0; i < this.count; i++) {
      const slot = (this.customer[i] as number) + 1
      start[slot] = (start[slot] as number) + 1
    }
    for (let c = 0; c < customers; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number)
    const next = start.slice(0, customers)
    const order = new Int32Array(this.count)
    for (let i = 0; i < this.count; i++) {
      const c = this.customer[i] as number
      const at = next[c] as number
      order[at] = i
      next[c] = at + 1
    }
    for (let c = 0; c < customers; c++) {
      const rows: StoredRow[] = []
      for (let k = start[c] as number; k < (start[c + 1] as number); k++) {
        const i = order[k] as number
        const margin = this.margin[i] as number
        const date = this.dateList[this.day[i] as number] as string
        rows.push(
          Number.isNaN(margin)
            ? { date, amount: this.amount[i] as number }
            : { date, amount: this.amount[i] as number, margin },
        )
      }
      yield [this.customerIdList[c] as string, rows]
    }
  }

  private grow(): void {
    const size = this.customer.length * 2
    this.customer = resize(this.customer, size)
    this.day = resize(this.day, size)
    this.amount = resize(this.amount, size)
    this.margin = resize(this.margin, size)
  }
}

function intern(index: Map<string, number>, list: string[], value: string): number {
  let i = index.get(value)
  if (i === undefined) {
    i = list.length
    index.set(value, i)
    list.push(value)
  }
  return i
}

function resize<T extends Int32Array | Float64Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (size: number) => T)(size)
  bigger.set(array)
  return bigger
}

/** An open-addressing set of 64-bit string hashes (two 32-bit halves), for de-duplicating ids. */
class HashSet64 {
  private hi = new Int32Array(1 << 16)
  private lo = new Int32Array(1 << 16)
  private used = new Uint8Array(1 << 16)
  private size = 0

  /** False when the value was present already. */
  add(value: string): boolean {
    if ((this.size + 1) * 2 > this.used.length) this.rehash()
    const [h, l] = hash64(value)
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
