import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shiftSampleDates } from '../../infra/local/sample.ts'
import type { ScoreRecord } from '../../shared/domain/score-record.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')
const today = new Date().toISOString().slice(0, 10)

let t: TestStack
let file: string

beforeAll(async () => {
  t = await startTestStack()
  const dir = mkdtempSync(join(tmpdir(), 'scoring-path-'))
  file = join(dir, 'cdnow.csv')
  const csv = shiftSampleDates(
    readFileSync(join(ROOT, 'infra/local/sample/cdnow-transactions.csv'), 'utf8'),
    today,
  )
  writeFileSync(file, csv)
  await t.upload('incoming/transactions/cdnow.csv', csv)
})

afterAll(async () => {
  await t?.close()
})

describe('one scoring path', () => {
  it('gives the same record through upload and lookup as the command-line scorer for the same input and day', async () => {
    const out = join(tmpdir(), `scores-${process.pid}.jsonl`)
    await run(process.execPath, ['scripts/score.ts', '--input', file, '--as-of', today, '--out', out], {
      cwd: ROOT,
    })
    const cli = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ScoreRecord)
    expect(cli).toHaveLength(2357)
    for (const expected of cli.filter((_, i) => i % 150 === 0)) {
      const { status, body } = await t.get(`/customers/${expected.customerId}`)
      expect(status).toBe(200)
      const { runId: _served, ...served } = body as ScoreRecord
      const { runId: _cli, ...fromCli } = expected
      expect(served).toEqual(fromCli)
    }
  })
})
