import { endianness } from 'node:os'
import type { ScoringConfig } from '../scoring-config.ts'
import type { CustomerTable } from './customer-table.ts'
import { type FitColumns, fitTable, type PopulationModel } from './population.ts'

/**
 * The fit input of one shard: for each customer, only what the population fit reads (the figures of
 * `FitColumns` and the customer id, which orders equal net values at the tier boundaries and picks
 * the fit sample), in typed columns instead of a JSON line with spend series. The nightly Summarise
 * step writes one per shard beside the summaries; Fit reads these alone, so its memory grows by
 * about 80 bytes per customer rather than by every customer's summary object.
 *
 * Layout (little-endian), gzip-compressed as a whole:
 *   bytes 0-3 "CSF1", 4-7 customers n (uint32), 8-11 id bytes m (uint32), 12-15 zero;
 *   the columns of FIT_COLUMNS in that order, n float64 values each;
 *   n + 1 uint32 offsets into the ids; the ids, UTF-8, one after another (m bytes).
 */
export const FIT_COLUMNS = [
  'x',
  'tx',
  'T',
  'zbar',
  'occasions',
  'averageSpend',
  'recencyDays',
  'contribution',
] as const satisfies readonly Exclude<keyof FitColumns, 'size'>[]

type FitColumnName = (typeof FIT_COLUMNS)[number]

/** The table the population fit reads: the fit's columns, and the customer ids for ties and the sample. */
export type FitTable = FitColumns & Pick<CustomerTable, 'customerId' | 'uniqueIds'>

/** One shard's fit input as decoded: the columns, and the ids as UTF-8 bytes with their offsets. */
export interface FitInput extends Record<FitColumnName, Float64Array> {
  readonly size: number
  readonly idBytes: Uint8Array
  /** Customer i's id is bytes idOffsets[i] to idOffsets[i + 1] - 1 of idBytes. */
  readonly idOffsets: Uint32Array
}

export class InvalidFitInputError extends Error {
  override readonly name = 'InvalidFitInputError'
}

const MAGIC = 0x31465343 // "CSF1" read as a little-endian uint32
const HEADER_BYTES = 16
const COLUMN_COUNT = FIT_COLUMNS.length

if (endianness() !== 'LE') throw new Error('the fit input format is little-endian; this host is not')

/**
 * The fit input of a table's customers. Values are stored as the shard's JSON summaries hold them
 * (which the old path and the Score step read): -0 as 0, and a figure that is not finite as 0, so the
 * fit sees exactly the numbers the scorer does.
 */
export function encodeFitInput(table: FitColumns & Pick<CustomerTable, 'customerId'>): Uint8Array {
  const n = table.size
  const ids = Buffer.from(Array.from({ length: n }, (_, i) => table.customerId(i)).join(''), 'utf8')
  const offsets = new Uint32Array(n + 1)
  for (let i = 0, at = 0; i < n; i++) {
    at += Buffer.byteLength(table.customerId(i), 'utf8')
    offsets[i + 1] = at
  }
  const columnsStart = HEADER_BYTES
  const offsetsStart = columnsStart + 8 * n * COLUMN_COUNT
  const idsStart = offsetsStart + 4 * (n + 1)
  const out = new Uint8Array(idsStart + ids.length)
  const header = new Uint32Array(out.buffer, 0, 4)
  header[0] = MAGIC
  header[1] = n
  header[2] = ids.length
  FIT_COLUMNS.forEach((name, c) => {
    const target = new Float64Array(out.buffer, columnsStart + 8 * n * c, n)
    const source = table[name]
    for (let i = 0; i < n; i++) {
      const v = source[i] as number
      target[i] = v === 0 || !Number.isFinite(v) ? 0 : v
    }
  })
  new Uint32Array(out.buffer, offsetsStart, n + 1).set(offsets)
  out.set(ids, idsStart)
  return out
}

/** Reads a fit input written by `encodeFitInput`; `source` names it in errors. */
export function decodeFitInput(bytes: Uint8Array, source: string): FitInput {
  // Typed views need aligned offsets; a Buffer from a pool may start anywhere.
  const data = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes)
  if (data.length < HEADER_BYTES) throw new InvalidFitInputError(`${source}: not a fit input (too short)`)
  const header = new Uint32Array(data.buffer, data.byteOffset, 4)
  if (header[0] !== MAGIC) throw new InvalidFitInputError(`${source}: not a fit input (bad magic number)`)
  const n = header[1] as number
  const idLength = header[2] as number
  const offsetsStart = HEADER_BYTES + 8 * n * COLUMN_COUNT
  const idsStart = offsetsStart + 4 * (n + 1)
  if (data.length !== idsStart + idLength) {
    throw new InvalidFitInputError(
      `${source}: ${data.length} bytes, but its header says ${n} customers with ${idLength} bytes of ids (${idsStart + idLength} bytes)`,
    )
  }
  const columns = Object.fromEntries(
    FIT_COLUMNS.map((name, c) => [
      name,
      new Float64Array(data.buffer, data.byteOffset + HEADER_BYTES + 8 * n * c, n),
    ]),
  ) as Record<FitColumnName, Float64Array>
  const idOffsets = new Uint32Array(data.buffer, data.byteOffset + offsetsStart, n + 1)
  if (idOffsets[n] !== idLength)
    throw new InvalidFitInputError(`${source}: the id offsets do not match the ids`)
  return { ...columns, size: n, idOffsets, idBytes: data.subarray(idsStart) }
}

/** How the fit was sampled: `customers` of `population` customers (share = customers / population). */
export interface FitSample {
  readonly customers: number
  readonly population: number
  readonly share: number
  /** The configured ceiling the sample was drawn for. */
  readonly limit: number
}

/**
 * Gathers the shards' fit inputs, in the order added, into one FitTable. Up to `limit` customers
 * every customer is kept, so the table holds the same customers in the same order as the summaries
 * do. Beyond it, the table keeps a deterministic sample: the `limit` customers with the smallest
 * hash of their id (bottom-k sampling; customers sharing the k-th hash are all kept), whichever order
 * the shards come in, so a re-run draws the same sample. Memory stays within about 1.25 x `limit`
 * customers however many there are.
 */
export class FitTableBuilder {
  private readonly limit: number
  private capacity = 0
  private size = 0
  private seen = 0
  private columns = allocate(0)
  private idBytes: Uint8Array = new Uint8Array(0)
  private idEnd = new Uint32Array(0)
  private hashes = new Uint32Array(0)
  /** Customers with a hash above this are not in the sample (2^32: no sampling yet). */
  private cut = 2 ** 32

  constructor(limit = Number.POSITIVE_INFINITY) {
    if (!(limit >= 1)) throw new RangeError(`the fit sample limit must be at least 1, got ${limit}`)
    this.limit = limit
  }

  add(input: FitInput): void {
    const sampling = Number.isFinite(this.limit)
    for (let i = 0; i < input.size; i++) {
      this.seen++
      const from = input.idOffsets[i] as number
      const to = input.idOffsets[i + 1] as number
      const hash = sampling ? idHash(input.idBytes, from, to) : 0
      if (hash > this.cut) continue
      if (this.size === this.capacity) this.grow(to - from)
      const n = this.size
      for (const name of FIT_COLUMNS) this.columns[name][n] = input[name][i] as number
      const idStart = n === 0 ? 0 : (this.idEnd[n - 1] as number)
      if (idStart + (to - from) > this.idBytes.length) this.idBytes = growBytes(this.idBytes, to - from)
      this.idBytes.set(input.idBytes.subarray(from, to), idStart)
      this.idEnd[n] = idStart + (to - from)
      if (sampling) this.hashes[n] = hash
      this.size++
      if (sampling && this.size >= 1.25 * this.limit) this.prune()
    }
  }

  /** The customers gathered, and how they were sampled (undefined when every customer is kept). Once. */
  build(): { readonly table: FitTable; readonly sample: FitSample | undefined } {
    if (this.size > this.limit) this.prune()
    const n = this.size
    // Columns well below their capacity (after growing, or a sample pruned from 1.25 x the limit) are
    // copied to their size one at a time, so the unused tail is not held through the fit.
    const exact = (column: Float64Array) =>
      column.length > 1.05 * n ? column.slice(0, n) : column.subarray(0, n)
    for (const name of FIT_COLUMNS) this.columns[name] = exact(this.columns[name])
    this.hashes = new Uint32Array(0)
    const idLength = n === 0 ? 0 : (this.idEnd[n - 1] as number)
    if (this.idBytes.length > 1.05 * idLength) this.idBytes = this.idBytes.slice(0, idLength)
    if (this.idEnd.length > 1.05 * n) this.idEnd = this.idEnd.slice(0, n)
    const columns = Object.fromEntries(FIT_COLUMNS.map((name) => [name, this.columns[name]])) as Record<
      FitColumnName,
      Float64Array
    >
    const { idBytes, idEnd } = this
    const decoder = new TextDecoder()
    const table: FitTable = {
      ...columns,
      size: n,
      // Shards partition the customers by id and a shard's table has each id once.
      uniqueIds: true,
      customerId: (i) => decoder.decode(idBytes.subarray(i === 0 ? 0 : idEnd[i - 1], idEnd[i])),
    }
    const sample =
      this.seen > n
        ? { customers: n, population: this.seen, share: n / this.seen, limit: this.limit }
        : undefined
    return { table, sample }
  }

  /** Keeps the `limit` smallest hashes (and any equal to the largest of them), in their order. */
  private prune(): void {
    const n = this.size
    const sorted = this.hashes.slice(0, n).sort()
    this.cut = sorted[Math.min(this.limit, n) - 1] as number
    let kept = 0
    let idStart = 0
    let keptBytes = 0
    for (let i = 0; i < n; i++) {
      const idEnd = this.idEnd[i] as number
      if ((this.hashes[i] as number) <= this.cut) {
        for (const name of FIT_COLUMNS) this.columns[name][kept] = this.columns[name][i] as number
        this.idBytes.copyWithin(keptBytes, idStart, idEnd)
        keptBytes += idEnd - idStart
        this.idEnd[kept] = keptBytes
        this.hashes[kept] = this.hashes[i] as number
        kept++
      }
      idStart = idEnd
    }
    this.size = kept
  }

  private grow(idLength: number): void {
    const capacity = Math.max(1024, Math.min(2 * this.capacity, Math.ceil(1.25 * this.limit) + 1))
    const columns = allocate(capacity)
    for (const name of FIT_COLUMNS) columns[name].set(this.columns[name].subarray(0, this.size))
    this.columns = columns
    const idEnd = new Uint32Array(capacity)
    idEnd.set(this.idEnd.subarray(0, this.size))
    this.idEnd = idEnd
    if (Number.isFinite(this.limit)) {
      const hashes = new Uint32Array(capacity)
      hashes.set(this.hashes.subarray(0, this.size))
      this.hashes = hashes
    }
    if (this.idBytes.length === 0) this.idBytes = new Uint8Array(Math.max(16 * capacity, idLength))
    this.capacity = capacity
  }
}

function allocate(size: number): Record<FitColumnName, Float64Array> {
  return Object.fromEntries(FIT_COLUMNS.map((name) => [name, new Float64Array(size)])) as Record<
    FitColumnName,
    Float64Array
  >
}

function growBytes(bytes: Uint8Array, needed: number): Uint8Array {
  const grown = new Uint8Array(Math.max(2 * bytes.length, bytes.length + needed))
  grown.set(bytes)
  return grown
}

/**
 * MurmurHash3 (x86, 32-bit, seed 0x5eed) of an id's UTF-8 bytes: the sample's order. Unrelated to the
 * shard hash (FNV-1a), so that a sample takes its share of every shard.
 */
export function idHash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x5eed
  let i = from
  for (; i + 4 <= to; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, 0x1b873593)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const rest = to - i
  if (rest > 0) {
    let k = bytes[i] as number
    if (rest > 1) k |= (bytes[i + 1] as number) << 8
    if (rest > 2) k |= (bytes[i + 2] as number) << 16
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, 0x1b873593)
  }
  h ^= to - from
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The population model of the gathered customers. On a sample, the parameters and cut-offs are the
 * sample's (its quantiles estimate the population's), the Pareto shares are the sample's estimates,
 * and the counts and the total positive value are scaled up to the whole population; `sample` says
 * how many customers the fit saw.
 */
export function fitGathered(
  gathered: ReturnType<FitTableBuilder['build']>,
  config: ScoringConfig,
  asOf: string,
  runId: string,
): PopulationModel {
  const { table, sample } = gathered
  const model = fitTable(table, config, asOf, runId)
  if (!sample) return model
  return {
    ...model,
    customers: sample.population,
    pareto: {
      ...model.pareto,
      customers: sample.population,
      totalPositiveValue: model.pareto.totalPositiveValue / sample.share,
    },
    sample,
  }
}
