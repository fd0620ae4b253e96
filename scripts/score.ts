/**
 * `npm run score`: turns on Node's compile cache (in the system's temporary directory) before the
 * scorer's modules load, here and in the worker threads (which take it from the environment), so that
 * their TypeScript is stripped and compiled once, not on every run; turns on V8's JSON.stringify fast
 * path (a V8 flag, for the whole process, workers included) before any line is made; for a large CSV
 * input, starts the thread that reads its second half, which loads its code while this thread loads the
 * scorer's; then runs the scorer (score-cli.ts).
 */
import { statSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'

const cache = enableCompileCache()
if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= cache.directory
// The serializer of V8 13.8 and later, present in Node 24's V8 behind this flag: the same output, and
// a score record's fields (record-format.ts) in about four fifths of the time (3.7 against 4.6 us).
setFlagsFromString('--json-stringify-fast-path')

const { MIN_SPLIT_BYTES, StartedPartWorker } = await import('../shared/pipeline/part-worker.ts')
const early = splitsLater() ? new StartedPartWorker() : undefined
const { run } = await import('./score-cli.ts')
run(early)

/**
 * Whether the scorer will likely read the input on two threads: a CSV file (not gzipped) of
 * MIN_SPLIT_BYTES or more, unless --workers 0. The scorer decides; it ends the thread
 * when it does not use it.
 */
function splitsLater(): boolean {
  try {
    const { values } = parseArgs({
      options: { input: { type: 'string' }, workers: { type: 'string' } },
      strict: false,
    })
    const { input, workers } = values
    if (typeof input !== 'string' || workers === '0' || !input.toLowerCase().endsWith('.csv')) return false
    return statSync(input).size >= MIN_SPLIT_BYTES
  } catch {
    // Bad arguments or an unreadable input: the scorer says so.
    return false
  }
}
