/**
 * Worker thread that places the rows of the merged parts of a RowStore while the store's thread places
 * its own (`RowStore.groupedWith`, started by `groupOnTwoThreads`), then returns the memory of the rows
 * as they were added (those it placed, and those the store hands it) to the system, and ends.
 */
import { parentPort } from 'node:worker_threads'
import { type PlaceTask, placeRows, sourceBuffers } from './row-store.ts'

export type PlaceMessage =
  | { readonly type: 'place'; readonly task: PlaceTask }
  | { readonly type: 'release'; readonly buffers: readonly ArrayBuffer[] }

const port = parentPort
if (port === null) throw new Error('place-worker.ts runs as a worker thread')
port.on('message', (message: PlaceMessage) => {
  if (message.type === 'place') {
    try {
      placeRows(message.task)
      port.postMessage({ ok: true })
    } catch (error) {
      port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) })
    }
    release(sourceBuffers(message.task))
    return
  }
  release(message.buffers)
  port.close()
})

function release(buffers: readonly ArrayBuffer[]): void {
  for (const buffer of buffers) if (buffer.resizable) buffer.resize(0)
}
