/**
 * The thread that reads the second part of a large file (parallel-parse.ts), in a module of its own
 * with no import but Node's: the command-line scorer starts it first thing, so that it loads its code
 * while the main thread loads the scorer's.
 */
import { Worker } from 'node:worker_threads'
import type { PartReader, PartResult } from './parallel-parse.ts'

/** Files from this size on are split (parallel-parse.ts), when a PartReader is given. */
export const MIN_SPLIT_BYTES = 16e6

/**
 * A part reader's thread started now, before it is known whether the file will be split: `read` uses
 * it for one part; `cancel` ends it if it was not used (it would keep the process alive).
 */
export class StartedPartWorker {
  private readonly worker = new Worker(new URL('./parse-worker.ts', import.meta.url))
  /** How the thread failed or ended before it was given a part, if it did. */
  private failure: Error | undefined
  private used = false

  constructor() {
    this.worker.once('error', (error) => {
      this.failure ??= error
    })
    this.worker.once('exit', (code) => {
      this.failure ??= new Error(`the file reader thread stopped (exit code ${code})`)
    })
  }

  /**
   * Reads one part; the thread is ended once it has replied, so that the memory it used is handed back
   * at once instead of lingering in a longer-lived worker's heap.
   */
  readonly read: PartReader = (task) => {
    if (this.used) return Promise.reject(new Error('a started part reader reads one part'))
    this.used = true
    if (this.failure) return Promise.reject(this.failure)
    const { worker } = this
    return new Promise<PartResult>((resolve, reject) => {
      const done = (settle: () => void) => {
        settle()
        void worker.terminate()
      }
      worker.once('message', (reply: { ok: true; result: PartResult } | { ok: false; message: string }) =>
        done(() => (reply.ok ? resolve(reply.result) : reject(new Error(reply.message)))),
      )
      worker.once('error', (error) => done(() => reject(error)))
      worker.once('exit', (code) => reject(new Error(`the file reader thread stopped (exit code ${code})`)))
      worker.postMessage(task)
    })
  }

  cancel(): void {
    if (this.used) return
    this.used = true
    void this.worker.terminate()
  }
}
