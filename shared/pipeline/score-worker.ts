/**
 * Worker thread of a ScorePool (parallel-score.ts): runs the tasks it is sent (summarising a range of
 * customers, a part of the population fit), then, given a table's shared data once, scores the blocks
 * of customers it is sent and replies with their output lines and report figures.
 */
import { parentPort } from 'node:worker_threads'
import { BlockScorer, runTask, type WorkerMessage, type WorkerReply } from './parallel-score.ts'

const port = parentPort
if (port === null) throw new Error('score-worker.ts runs as a worker thread')
let scorer: BlockScorer | undefined
port.on('message', (message: WorkerMessage) => {
  const id = message.type === 'task' ? message.id : undefined
  try {
    switch (message.type) {
      case 'task':
        reply({ type: 'finished', id: message.id, result: runTask(message.task) })
        return
      case 'init':
        scorer = new BlockScorer(message.init)
        return
      case 'recycle':
        scorer?.recycle(message.buffer)
        return
      case 'release':
        for (const buffer of message.buffers) buffer.resize(0)
        return
      case 'block': {
        if (scorer === undefined) throw new Error('a block before init')
        const result = scorer.score(message.block, message.from, message.ids)
        reply({ type: 'done', result }, [
          result.bytes.buffer as ArrayBuffer,
          result.netValue.buffer as ArrayBuffer,
          result.codes.buffer as ArrayBuffer,
        ])
        return
      }
    }
  } catch (error) {
    reply({ type: 'failed', id, error })
  }
})

function reply(message: WorkerReply, transfer?: ArrayBuffer[]): void {
  port?.postMessage(message, transfer)
}
