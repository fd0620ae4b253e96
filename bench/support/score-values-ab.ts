/**
 * The CLI's scoring loop (BlockScorer) over every customer of a file, with each customer's value
 * figures computed in the loop (as before the fit kept them) and read from the columns the fit computed,
 * alternated round by round; each round starts a fresh scorer, whose caches start empty as in a run.
 * Prints each way's median microseconds per customer and every round's.
 *
 *   node --max-semi-space-size=16 --single-threaded-gc bench/support/score-values-ab.ts [FILE] [ROUNDS]
 */
import { setFlagsFromString } from 'node:v8'
import { customerTable } from '../../shared/pipeline/customer-table.ts'
import { parseFile } from '../../shared/pipeline/parallel-parse.ts'
import { BlockScorer } from '../../shared/pipeline/parallel-score.ts'
import { customerValues, fitTable } from '../../shared/pipeline/population.ts'
import { parseScoringConfig } from '../../shared/scoring-config.ts'

setFlagsFromString('--json-stringify-fast-path')
const input = process.argv[2] ?? 'bench/tmp/transactions-200000.csv'
const rounds = Number(process.argv[3] ?? 9)
const asOf = '2025-12-31'
const { store } = await parseFile(input, { fileName: 'input.csv', timeZone: 'UTC' })
const config = parseScoringConfig({})
const table = customerTable(store, asOf, config)
const model = fitTable(table, config, asOf, `cli-${asOf}`)
const values = customerValues(table, config, model.bgnbd, model.gammaGamma)
const ids = Array.from({ length: table.size }, (_, i) => table.customerId(i))
const BLOCK = 2048
const times = { computed: [] as number[], read: [] as number[] }
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? (['computed', 'read'] as const) : (['read', 'computed'] as const)
  for (const mode of order) {
    const scorer = new BlockScorer({
      data: table.data,
      model,
      config,
      asOf,
      format: 'jsonl',
      values: mode === 'read' ? values : undefined,
    })
    const started = performance.now()
    for (let from = 0; from < ids.length; from += BLOCK) {
      const result = scorer.score(0, from, ids.slice(from, from + BLOCK))
      scorer.recycle(result.bytes.buffer as ArrayBuffer)
    }
    times[mode].push(((performance.now() - started) * 1000) / ids.length)
  }
}
for (const [mode, list] of Object.entries(times)) {
  const median = [...list].sort((a, b) => a - b)[list.length >> 1] ?? Number.NaN
  console.log(`${mode}: ${median.toFixed(2)} us/customer; rounds ${list.map((t) => t.toFixed(1)).join(' ')}`)
}
