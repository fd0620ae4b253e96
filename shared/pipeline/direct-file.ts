import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { Writable } from 'node:stream'

/** The part of WebAssembly's JavaScript API used here (the project's TypeScript libraries leave it out). */
declare const WebAssembly: {
  readonly Memory: new (descriptor: { readonly initial: number }) => { readonly buffer: ArrayBuffer }
}

/** Bytes of each of the two staging areas; a multiple of ALIGN. */
const STAGE_BYTES = 8 << 20
/** Direct I/O wants buffers, lengths and file offsets on a multiple of the device's block size. */
const ALIGN = 4096
/** WebAssembly memory comes in pages of 64 KiB, and starts on a page of the operating system. */
const WASM_PAGE = 65536

export interface DirectFileOptions {
  /** Try direct I/O (default: where the platform has O_DIRECT); false writes through the page cache. */
  readonly direct?: boolean
  /** Bytes of each staging area, a multiple of 4096 (default 8 MiB). */
  readonly stageBytes?: number
}

/** How each staging area stands: being filled, or being written at a file offset. */
interface Stage {
  readonly bytes: Uint8Array
  /** Resolves once its last write is done (at once if it has none in flight). */
  written: Promise<void>
}

/**
 * A file output stream that writes around the page cache where it can (O_DIRECT, on Linux). Writing a
 * large file through the cache makes the kernel take a fresh page of memory for every 4 KiB of it,
 * which on a virtual machine costs more than producing the bytes; with direct I/O the bytes go from
 * two reused staging areas to the device, while the next ones are produced.
 *
 * Chunks are copied into the staging areas, which sit in WebAssembly memory because that starts on a
 * page boundary, as direct I/O requires. Every write but the file's tail is a whole staging area, at an
 * aligned offset; the tail, of any length, is written through the page cache. Where the file system
 * refuses direct I/O (tmpfs, some network file systems), the stream writes through the cache instead,
 * with the same result.
 *
 * A chunk's callback fires once it is copied, so its memory can be filled again at once.
 */
export class DirectFileStream extends Writable {
  readonly path: string
  private readonly stageBytes: number
  private readonly tryDirect: boolean
  private readonly stages: [Stage, Stage]
  /** The file opened with O_DIRECT. */
  private directFile: FileHandle | undefined
  /** Whether writes go to `directFile` (until the file system refuses one). */
  private directWrites = false
  /** The file through the page cache: for the tail, or for everything once direct I/O is refused. */
  private plainFile: Promise<FileHandle> | undefined
  private current = 0
  private filled = 0
  /** File offset of the current stage's first byte. */
  private position = 0
  private failure: Error | undefined

  constructor(path: string, options: DirectFileOptions = {}) {
    const stageBytes = options.stageBytes ?? STAGE_BYTES
    if (!(Number.isInteger(stageBytes) && stageBytes > 0 && stageBytes % ALIGN === 0)) {
      throw new RangeError(`stageBytes ${stageBytes}: expected a positive multiple of ${ALIGN}`)
    }
    super({ highWaterMark: 2 * stageBytes })
    this.path = path
    this.stageBytes = stageBytes
    this.tryDirect = (options.direct ?? true) && typeof constants.O_DIRECT === 'number'
    const memory = new WebAssembly.Memory({ initial: Math.ceil((2 * stageBytes) / WASM_PAGE) })
    const stage = (at: number): Stage => ({
      bytes: new Uint8Array(memory.buffer, at, stageBytes),
      written: Promise.resolve(),
    })
    this.stages = [stage(0), stage(stageBytes)]
  }

  /** Whether the bytes went around the page cache (known once the stream is finished). */
  get direct(): boolean {
    return this.directWrites
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.openFile().then(() => callback(), callback)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.append(chunk).then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(() => callback(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeFiles().then(
      () => callback(error),
      (closing: Error) => callback(error ?? closing),
    )
  }

  private async openFile(): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC
    if (this.tryDirect) {
      try {
        this.directFile = await open(this.path, flags | (constants.O_DIRECT as number), 0o666)
        this.directWrites = true
        return
      } catch (error) {
        // EINVAL: the file system does not do direct I/O.
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error
      }
    }
    this.plainFile = open(this.path, flags, 0o666)
    await this.plainFile
  }

  private async append(chunk: Uint8Array): Promise<void> {
    let from = 0
    while (from < chunk.length) {
      const stage = this.stages[this.current] as Stage
      const count = Math.min(chunk.length - from, this.stageBytes - this.filled)
      stage.bytes.set(chunk.subarray(from, from + count), this.filled)
      this.filled += count
      from += count
      if (this.filled === this.stageBytes) {
        const at = this.position
        stage.written = this.writeAt(stage.bytes, at).catch((error: Error) => {
          this.failure ??= error
        })
        this.position += this.stageBytes
        this.filled = 0
        this.current = 1 - this.current
        // The other area may still be on its way to the file.
        await (this.stages[this.current] as Stage).written
        if (this.failure) throw this.failure
      }
    }
  }

  /** Writes whole blocks at an aligned position: directly while the file system takes it. */
  private async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    if (this.directWrites) {
      try {
        await writeFully(this.directFile as FileHandle, bytes, position)
        return
      } catch (error) {
        // Some file systems open with O_DIRECT but refuse the writes: from here on through the page
        // cache, starting again with these bytes.
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error
        this.directWrites = false
      }
    }
    await writeFully(await this.plain(), bytes, position)
  }

  private async finish(): Promise<void> {
    await Promise.all(this.stages.map((stage) => stage.written))
    if (this.failure) throw this.failure
    const stage = this.stages[this.current] as Stage
    const aligned = this.filled - (this.filled % ALIGN)
    await this.writeAt(stage.bytes.subarray(0, aligned), this.position)
    if (this.filled > aligned) {
      // The tail, of any length, through the page cache.
      const tail = stage.bytes.subarray(aligned, this.filled)
      await writeFully(await this.plain(), tail, this.position + aligned)
    }
    await this.closeFiles()
  }

  /** The file through the page cache, opened when first needed. */
  private plain(): Promise<FileHandle> {
    this.plainFile ??= open(this.path, constants.O_WRONLY)
    return this.plainFile
  }

  private async closeFiles(): Promise<void> {
    const files = [this.directFile, this.plainFile === undefined ? undefined : await this.plainFile]
    this.directFile = undefined
    this.plainFile = undefined
    await Promise.all(files.map((file) => file?.close()))
  }
}

/** Writes all of `bytes` at `position`, over as many writes as the file takes. */
async function writeFully(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.length) {
    done += (await file.write(bytes, done, bytes.length - done, position + done)).bytesWritten
  }
}
