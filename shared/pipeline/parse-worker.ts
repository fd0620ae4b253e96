/**
 * Worker thread that reads the second part of a file (parallel-parse.ts): it is sent one PartTask,
 * replies with the part's rows (their columns transferred, not copied) and is then ended, which hands
 * its whole heap back at once.
 */
import { parentPort } from 'node:worker_threads'
import { type PartTask, parsePart, partBuffers } from './parallel-parse.ts'

const port = parentPort
if (port === null) throw new Error('parse-worker.ts runs as a worker thread')
port.once('message', (task: PartTask) => {
  parsePart(task).then(
    (result) => port.postMessage({ ok: true, result }, partBuffers(result)),
    (error: unknown) =>
      port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  )
})
