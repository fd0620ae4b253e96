/**
 * The CLI's scoring loop (BlockScorer: score, format and encode each customer) of two or more source
 * trees in one process, alternated round by round, so that the machine's drifting speed falls on all
 * of them alike. Each tree parses and fits the input with its own code first (not timed); a round scores
 * 15 blocks of 2,048 customers. Prints each tree's median microseconds per customer and every round's.
 *
 * The first tree runs without V8's JSON.stringify fast path (the code before the scorer turned it on),
 * the others with it; FIRST_FAST=1 turns it on for the first tree too.
 *
 *   node bench/support/score-loop-ab.ts [--rounds N] [--input FILE --as-of YYYY-MM-DD] TREE TREE...
 *
 * A tree is the root of a checkout (for example a `git worktree` of an older commit).
 */
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '41' },
    input: { type: 'string', default: 'bench/tmp/transactions-200000.csv' },
    'as-of': { type: 'string', default: '2025-12-31' },
  },
})
const BLOCK = 2048
const BLOCKS_PER_ROUND = 15

async function loopOf(tree: string): Promise<() => number> {
  const load = (path: string) => import(resolve(tree, 'shared', path))
  const { parseTransactions } = await load('ingest/parse-transactions.ts')
  const { customerTable } = await load('pipeline/customer-table.ts')
  const { fitTable } = await load('pipeline/population.ts')
  const { BlockScorer } = await load('pipeline/parallel-score.ts')
  const { RowStore } = await load('pipeline/row-store.ts')
  const { parseScoringConfig } = await load('scoring-config.ts')
  const asOf = values['as-of']
  const store = new RowStore()
  for await (const batch of parseTransactions(createReadStream(values.input), { fileName: values.input })) {
    store.addAll(batch.rows)
  }
  const config = parseScoringConfig({})
  const table = customerTable(store, asOf, config)
  const model = fitTable(table, config, asOf, `cli-${asOf}`)
  const scorer = new BlockScorer({ data: table.data, model, config, asOf, format: 'jsonl' })
  const ids: string[] = Array.from({ length: table.size }, (_, i) => table.customerId(i))
  let from = 0
  return () => {
    const started = performance.now()
    for (let b = 0; b < BLOCKS_PER_ROUND; b++) {
      if (from + BLOCK > ids.length) from = 0
      const result = scorer.score(b, from, ids.slice(from, from + BLOCK))
      scorer.recycle(result.bytes.buffer)
      from += BLOCK
    }
    return ((performance.now() - started) * 1000) / (BLOCKS_PER_ROUND * BLOCK)
  }
}

const loops = await Promise.all(positionals.map(loopOf))
const perRound: number[][] = loops.map(() => [])
for (let round = 0; round < Number(values.rounds); round++) {
  loops.forEach((loop, i) => {
    const fast = i > 0 || process.env.FIRST_FAST === '1'
    setFlagsFromString(fast ? '--json-stringify-fast-path' : '--no-json-stringify-fast-path')
    perRound[i]?.push(loop())
  })
}
positionals.forEach((tree, i) => {
  const times = perRound[i] ?? []
  const median = [...times].sort((a, b) => a - b)[times.length >> 1] ?? Number.NaN
  console.log(`${tree}: ${median.toFixed(2)} us/customer; rounds ${times.map((t) => t.toFixed(1)).join(' ')}`)
})
