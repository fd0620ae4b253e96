import { WriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { DirectFileStream } from './direct-file.ts'

/** Written buffers kept for reuse, at most. */
const SPARE_BUFFERS = 4

/**
 * Writes lines to a stream through a byte buffer: each line is encoded straight into the buffer, and
 * the stream gets a few large writes. Building one big string and writing it makes V8 flatten and copy
 * the string first, which for a million records costs more than producing them.
 */
export class LineWriter {
  private readonly out: Writable
  /** A file stream is done with a chunk when it calls back; another may keep it (a PassThrough does). */
  private readonly callsBackWhenDone: boolean
  private readonly size: number
  private buffer: Buffer
  private used = 0
  /** Buffers written out, to be filled again. */
  private readonly spare: Buffer[] = []
  /** The stream's error, thrown to the next caller (the stream takes no more). */
  private error: Error | undefined

  /** `size` bytes a write; the stream's own buffer (its highWaterMark) decides how many are in flight. */
  constructor(out: Writable, size = 1 << 22) {
    this.out = out
    this.callsBackWhenDone = out instanceof WriteStream || out instanceof DirectFileStream
    this.size = size
    this.buffer = Buffer.allocUnsafe(size)
    out.on('error', (error) => {
      this.error ??= error
    })
  }

  /** Appends `text` and a line break; when the stream asks to wait, returns a promise of its 'drain'. */
  line(text: string): Promise<void> | undefined {
    if (this.error) throw this.error
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.used + 3 * text.length + 1 > this.buffer.length) {
      const wait = this.flush()
      if (3 * text.length + 1 > this.buffer.length) {
        const written = this.out.write(`${text}\n`)
        return written ? wait : (wait ?? this.drain())
      }
      this.used += this.buffer.write(text, this.used, 'utf8')
      this.buffer[this.used++] = 10
      return wait
    }
    this.used += this.buffer.write(text, this.used, 'utf8')
    this.buffer[this.used++] = 10
    return undefined
  }

  /**
   * Appends bytes that already hold whole lines (encoded elsewhere, e.g. in a worker thread). For a file
   * stream, `done` is called once the bytes are in the file, so that their memory can be reused; other
   * streams may hold on to a chunk, so then it is never called.
   */
  bytes(chunk: Uint8Array, done?: () => void): Promise<void> | undefined {
    if (this.error) throw this.error
    const wait = this.flush()
    const accepted = this.out.write(chunk, this.callsBackWhenDone ? done : undefined)
    return accepted ? wait : (wait ?? this.drain())
  }

  /** Writes what is buffered, ends the stream and resolves when it is closed. */
  async end(): Promise<void> {
    if (this.error) throw this.error
    const wait = this.flush()
    if (wait) await wait
    await new Promise<void>((resolve, reject) =>
      this.out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    )
  }

  private flush(): Promise<void> | undefined {
    if (this.used === 0) return undefined
    const full = this.buffer.subarray(0, this.used)
    const done = this.buffer
    // Fresh memory costs a page fault per 4 KiB: a buffer the file is done with is filled again.
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(this.size)
    this.used = 0
    const written = this.out.write(
      full,
      this.callsBackWhenDone
        ? (error?: Error | null) => {
            if (!error && this.spare.length < SPARE_BUFFERS) this.spare.push(done)
          }
        : undefined,
    )
    return written ? undefined : this.drain()
  }

  /** Resolves on the stream's 'drain', rejects if it fails first. */
  private drain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        this.out.off('drain', settle)
        this.out.off('error', settle)
        if (error) reject(error)
        else resolve()
      }
      this.out.on('drain', settle)
      this.out.on('error', settle)
    })
  }
}
