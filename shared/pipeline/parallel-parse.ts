import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import {
  formatFromKey,
  type PartEnd,
  type RowRejection,
  readTransactions,
} from '../ingest/parse-transactions.ts'
import { MIN_SPLIT_BYTES, StartedPartWorker } from './part-worker.ts'
import { RowStore, type StorePart } from './row-store.ts'

/**
 * Reading a large CSV file on two threads: the first half here, the second half on a worker thread,
 * each streamed from disk into its own RowStore, then merged in file order. The result is exactly that
 * of reading the file from start to end on one thread (rows, customer order, dropped repeats of a
 * transaction id, rejections and their lines): the second half is only used when the first half ended
 * where a record ends (no quoted field runs across the split) and the worker read it without a
 * file-level problem; otherwise the file is read again from the start on this thread.
 */

export interface ParseFileOptions {
  readonly fileName: string
  readonly timeZone: string
  /**
   * Called as the file is read, for progress: with the length of each piece read on this thread, scaled
   * up to the whole file when the other thread reads part of it (both go at about the same speed).
   */
  readonly onBytes?: ((bytes: number) => void) | undefined
  /** Smaller files are read on one thread; default MIN_SPLIT_BYTES. */
  readonly minSplitBytes?: number | undefined
  /**
   * Called once, when a CPU is left for other work (such as starting more worker threads): at the start
   * when the file is read on this thread alone, else once this thread has read its part (the other
   * thread may still be reading, and the parts are merged here).
   */
  readonly onCpuFree?: (() => void) | undefined
}

export interface ParsedFile {
  readonly store: RowStore
  readonly rejections: RowRejection[]
  /** 2 when the file was read on two threads, 1 when on this one. */
  readonly threads: 1 | 2
}

/** What a worker needs to read the second part of a file: its header line and the part's start. */
export interface PartTask {
  readonly path: string
  readonly fileName: string
  readonly timeZone: string
  /** The header is bytes 0 to headerEnd - 1 (its line break included). */
  readonly headerEnd: number
  /** The part starts at this byte, the start of a line, and runs to the end of the file. */
  readonly from: number
  /** The customers the part is expected to hold (RowStore's `expectedCustomers`). */
  readonly expectedCustomers?: number
}

export interface PartResult {
  readonly part: StorePart
  /** Lines counted from 1 at the header, as if the part followed the header directly. */
  readonly rejections: RowRejection[]
}

/** Reads a part of a file, on another thread. */
export type PartReader = (task: PartTask) => Promise<PartResult>

/** Reads the part on a worker thread of its own, started for it (see StartedPartWorker.read). */
export const partWorker: PartReader = (task) => new StartedPartWorker().read(task)

/**
 * The customers a split file's bytes are expected to hold, to size the customer index (RowStore): one
 * for every 256 bytes, about ten transactions of three columns. A file of more customers grows the
 * index as it fills; one of fewer leaves part of it empty, which makes its lookups slower where the
 * index would otherwise have fitted the CPU's caches (measured: +40 % on interning 5M rows of 100,000
 * customers, -20 % on 5M rows of 1M customers).
 */
const BYTES_PER_CUSTOMER = 256

function customersIn(bytes: number): number {
  return Math.floor(bytes / BYTES_PER_CUSTOMER)
}

const READ_HIGH_WATER_MARK = 1 << 20
const PROBE_BYTES = 1 << 16
const LF = 10
const QUOTE = 34

/** Reads the whole file into a RowStore: split over two threads when `reader` is given and it can be. */
export async function parseFile(
  path: string,
  options: ParseFileOptions,
  reader?: PartReader,
): Promise<ParsedFile> {
  let cpuFree = options.onCpuFree
  const freeCpu = () => {
    cpuFree?.()
    cpuFree = undefined
  }
  const split = reader === undefined ? undefined : splitPoint(path, options.fileName, options.minSplitBytes)
  if (reader !== undefined && split !== undefined) {
    const second = reader({
      path,
      fileName: options.fileName,
      timeZone: options.timeZone,
      headerEnd: split.headerEnd,
      from: split.from,
      expectedCustomers: customersIn(split.size - split.from),
    })
    // A failure of the second part only means reading the file on this thread.
    const settled = second.then(
      (result) => result,
      () => undefined,
    )
    // This store ends up holding the customers of the whole file, the part's those of its part.
    const first: ParsedFile = {
      store: new RowStore({ expectedCustomers: customersIn(split.size) }),
      rejections: [],
      threads: 2,
    }
    let end: PartEnd | undefined
    const { onBytes } = options
    const scale = split.size / split.from
    await parseInto(first, fileChunks(path, 0, split.from), {
      ...options,
      onBytes: onBytes === undefined ? undefined : (bytes) => onBytes(bytes * scale),
      onPartEnd: (partEnd) => {
        end = partEnd
      },
    })
    freeCpu()
    const rest = await settled
    if (end?.atRecordEnd && rest !== undefined) {
      first.store.merge(rest.part)
      // The part's line 2 is the line the first part ended on.
      const offset = end.line - 2
      for (const rejection of rest.rejections)
        first.rejections.push({ ...rejection, line: rejection.line + offset })
      return first
    }
  }
  const whole: ParsedFile = { store: new RowStore(), rejections: [], threads: 1 }
  freeCpu()
  const input = isGzip(path)
    ? createReadStream(path, { highWaterMark: READ_HIGH_WATER_MARK })
    : fileChunks(path, 0, Number.POSITIVE_INFINITY)
  await parseInto(whole, input, options)
  return whole
}

/** Reads the part of a file a PartTask names (in a worker thread). */
export async function parsePart(task: PartTask): Promise<PartResult> {
  const result: ParsedFile = {
    store: new RowStore({ keepIdHashes: true, expectedCustomers: task.expectedCustomers }),
    rejections: [],
    threads: 1,
  }
  const { path, headerEnd, from } = task
  async function* bytes(): AsyncGenerator<Uint8Array> {
    yield readBytes(path, 0, headerEnd)
    yield* fileChunks(path, from, Number.POSITIVE_INFINITY)
  }
  await parseInto(result, bytes(), { fileName: task.fileName, timeZone: task.timeZone })
  return { part: result.store.part(), rejections: result.rejections }
}

/** The buffers of a part's columns, to transfer them to another thread. */
export function partBuffers(result: PartResult): ArrayBuffer[] {
  const { customerIds, customer, date, amount, margin, hasId, idHash } = result.part
  return [customerIds, customer, date, amount, margin, hasId, idHash]
    .filter((column) => column !== undefined)
    .map((column) => column.buffer as ArrayBuffer)
}

async function parseInto(
  target: ParsedFile,
  input: AsyncIterable<Uint8Array>,
  options: ParseFileOptions & { readonly onPartEnd?: (end: PartEnd) => void },
): Promise<void> {
  const { onBytes } = options
  const counted =
    onBytes === undefined
      ? input
      : (async function* () {
          for await (const chunk of input) {
            onBytes(chunk.length)
            yield chunk
          }
        })()
  const { store, rejections } = target
  await readTransactions(
    counted,
    { fileName: options.fileName, timeZone: options.timeZone, onPartEnd: options.onPartEnd },
    {
      add: (row) => store.add(row),
      addPlainRows: (rows) => store.addPlainRows(rows),
      reject: (rejection) => rejections.push(rejection),
    },
  )
}

/**
 * Where a file can be split: a CSV file (not gzipped) of MIN_SPLIT_BYTES or more, whose header line
 * holds no quote, at the start of the first line after the middle. Undefined when it cannot.
 */
export function splitPoint(
  path: string,
  fileName: string,
  minBytes = MIN_SPLIT_BYTES,
): { headerEnd: number; from: number; size: number } | undefined {
  if (formatFromKey(fileName) !== 'csv' || fileName.toLowerCase().endsWith('.gz')) return undefined
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(PROBE_BYTES)
    const headLength = readSync(fd, head, 0, PROBE_BYTES, 0)
    if (headLength < 2 || (head[0] === 0x1f && head[1] === 0x8b)) return undefined
    const headerBreak = head.subarray(0, headLength).indexOf(LF)
    if (headerBreak < 0 || head.subarray(0, headerBreak).includes(QUOTE)) return undefined
    const size = fstatSync(fd).size
    if (size < minBytes) return undefined
    const middle = Math.floor(size / 2)
    const probe = Buffer.alloc(PROBE_BYTES)
    const probeLength = readSync(fd, probe, 0, PROBE_BYTES, middle)
    const lineBreak = probe.subarray(0, probeLength).indexOf(LF)
    if (lineBreak < 0) return undefined
    const from = middle + lineBreak + 1
    if (from <= headerBreak + 1 || from >= size) return undefined
    return { headerEnd: headerBreak + 1, from, size }
  } finally {
    closeSync(fd)
  }
}

/**
 * Bytes `from` to `to - 1` of a file (or to its end) in pieces read into one buffer, used again for
 * each piece: for readers that are done with a piece before they ask for the next, as readTransactions
 * is with a file that is not gzipped. A few hundred megabytes of fresh buffers would cost page faults
 * and garbage collection.
 */
async function* fileChunks(path: string, from: number, to: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(READ_HIGH_WATER_MARK)
    for (let position = from; position < to; ) {
      const length = Math.min(buffer.length, to - position)
      const { bytesRead } = await handle.read(buffer, 0, length, position)
      if (bytesRead === 0) break
      position += bytesRead
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
}

function isGzip(path: string): boolean {
  const head = readBytes(path, 0, 2)
  return head[0] === 0x1f && head[1] === 0x8b
}

function readBytes(path: string, from: number, to: number): Uint8Array {
  const fd = openSync(path, 'r')
  try {
    const bytes = Buffer.alloc(to - from)
    let read = 0
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, from + read)
      if (n === 0) break
      read += n
    }
    return bytes.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}
