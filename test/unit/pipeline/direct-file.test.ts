import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DirectFileStream } from '../../../shared/pipeline/direct-file.ts'
import { LineWriter } from '../../../shared/pipeline/line-writer.ts'
import { mixedLines, writeLines } from './text-lines.ts'

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>()
  return { ...actual, open: vi.fn(actual.open) }
})

const STAGE = 4096 * 3

/** Bytes that differ at every offset, so that a block written at the wrong place shows. */
function pattern(length: number, seed = 0): Buffer {
  const bytes = Buffer.allocUnsafe(length)
  for (let k = 0; k < length; k++) bytes[k] = (k * 31 + seed * 7 + (k >> 8)) & 255
  return bytes
}

/** Writes `chunks` in order, waiting for 'drain' when asked to. */
async function writeAll(stream: DirectFileStream, chunks: readonly Uint8Array[]): Promise<void> {
  const failed = new Promise<never>((_, reject) => stream.once('error', reject))
  for (const chunk of chunks) {
    if (!stream.write(chunk))
      await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), failed])
  }
  await Promise.race([
    new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    ),
    failed,
  ])
}

/** Whether this directory's file system takes O_DIRECT writes. */
function directWorks(dir: string): boolean {
  if (typeof constants.O_DIRECT !== 'number') return false
  try {
    closeSync(openSync(join(dir, 'probe'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT))
    return true
  } catch {
    return false
  }
}

/** Makes `open` hand out files whose writes fail with `code`: all of them, or those opened with O_DIRECT. */
async function failWrites(code: string, message: string, which: 'all' | 'direct'): Promise<void> {
  const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')
  vi.mocked(fsPromises.open).mockImplementation(async (path, flags, mode) => {
    const handle = await actual.open(path, flags, mode)
    const direct = typeof flags === 'number' && (flags & (constants.O_DIRECT ?? 0)) !== 0
    if (which === 'all' || direct) {
      handle.write = (async () => {
        throw Object.assign(new Error(`${code}: ${message}, write`), { code })
      }) as typeof handle.write
    }
    return handle
  })
}

describe('the direct file stream', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'direct-file-'))
  })
  afterEach(() => {
    vi.mocked(fsPromises.open).mockReset()
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes every byte in order, for files that end on a stage, a block or anywhere', async () => {
    const direct = directWorks(dir)
    for (const length of [0, 1, 4095, 4096, 4097, STAGE - 1, STAGE, STAGE + 1, 2 * STAGE, 7 * STAGE + 4099]) {
      const file = join(dir, `out-${length}.bin`)
      const bytes = pattern(length, length)
      // Chunks of uneven sizes, across stage boundaries.
      const chunks: Buffer[] = []
      for (let at = 0, k = 0; at < length; k++) {
        const size = Math.min(length - at, [1, 700, 4096, 5000, STAGE + 3][k % 5] as number)
        chunks.push(bytes.subarray(at, at + size))
        at += size
      }
      const stream = new DirectFileStream(file, { stageBytes: STAGE })
      await writeAll(stream, chunks)
      expect(readFileSync(file).equals(bytes)).toBe(true)
      // Where the file system allows it, the blocks went around the page cache.
      expect(stream.direct).toBe(direct)
    }
  })

  it('replaces a longer file that was there', async () => {
    const file = join(dir, 'out.bin')
    writeFileSync(file, pattern(5 * STAGE, 1))
    const bytes = pattern(STAGE + 10, 2)
    await writeAll(new DirectFileStream(file, { stageBytes: STAGE }), [bytes])
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('writes through the page cache when asked to, with the same result', async () => {
    const file = join(dir, 'out.bin')
    const bytes = pattern(3 * STAGE + 123, 3)
    const stream = new DirectFileStream(file, { stageBytes: STAGE, direct: false })
    await writeAll(stream, [bytes.subarray(0, 100), bytes.subarray(100)])
    expect(stream.direct).toBe(false)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('falls back to the page cache where the file system refuses direct I/O at open', async () => {
    const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')
    vi.mocked(fsPromises.open).mockImplementation(async (path, flags, mode) => {
      if (typeof flags === 'number' && (flags & (constants.O_DIRECT ?? 0)) !== 0) {
        throw Object.assign(new Error('EINVAL: invalid argument, open'), { code: 'EINVAL' })
      }
      return actual.open(path, flags, mode)
    })
    const file = join(dir, 'out.bin')
    const bytes = pattern(2 * STAGE + 5, 4)
    const stream = new DirectFileStream(file, { stageBytes: STAGE })
    await writeAll(stream, [bytes])
    expect(stream.direct).toBe(false)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('falls back to the page cache, losing nothing, where direct writes are refused after the open', async () => {
    // A file system that takes the flag at open and refuses the writes.
    await failWrites('EINVAL', 'invalid argument', 'direct')
    const file = join(dir, 'out.bin')
    const bytes = pattern(4 * STAGE + 77, 5)
    const stream = new DirectFileStream(file, { stageBytes: STAGE })
    await writeAll(stream, [bytes.subarray(0, STAGE + 1), bytes.subarray(STAGE + 1)])
    expect(stream.direct).toBe(false)
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('reports a write that fails for another reason', async () => {
    await failWrites('ENOSPC', 'no space left on device', 'all')
    const stream = new DirectFileStream(join(dir, 'out.bin'), { stageBytes: STAGE })
    await expect(writeAll(stream, [pattern(3 * STAGE, 6)])).rejects.toThrow(/ENOSPC/)
  })

  it('fails a line writer that waits on it when a write fails', async () => {
    await failWrites('EIO', 'i/o error', 'all')
    const writer = new LineWriter(new DirectFileStream(join(dir, 'out.txt'), { stageBytes: STAGE }), 4096)
    const write = async () => {
      for (let k = 0; k < 100_000; k++) {
        const wait = writer.line(`line ${k}`)
        if (wait) await wait
      }
      await writer.end()
    }
    await expect(write()).rejects.toThrow(/EIO/)
  })

  it('lets a line writer fill its buffers again as soon as each is copied', async () => {
    const file = join(dir, 'out.txt')
    const lines = mixedLines(5000)
    await writeLines(new LineWriter(new DirectFileStream(file, { stageBytes: STAGE }), 100), lines)
    expect(readFileSync(file, 'utf8')).toBe(lines.map((line) => `${line}\n`).join(''))
  })

  it('takes only staging areas of whole blocks', () => {
    expect(() => new DirectFileStream(join(dir, 'x'), { stageBytes: 1000 })).toThrow(/multiple of 4096/)
  })
})
