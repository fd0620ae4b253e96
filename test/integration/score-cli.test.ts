import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const SAMPLE = join(ROOT, 'infra/local/sample/cdnow-transactions.csv')
const exec = promisify(execFile)

async function score(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await exec(process.execPath, ['scripts/score.ts', ...args], { cwd: ROOT })
    return { code: 0, stderr }
  } catch (error) {
    const failed = error as { code: number; stderr: string }
    return { code: failed.code, stderr: failed.stderr }
  }
}

/**
 * Runs the scorer on `input` and sends it `signal` as soon as `when` holds (polled); its exit code (null
 * when the signal ended it).
 */
async function stoppedWhile(
  input: string,
  out: string,
  when: () => boolean,
  signal: NodeJS.Signals,
): Promise<number | null> {
  const child = spawn(
    process.execPath,
    ['scripts/score.ts', '--input', input, '--as-of', '2025-12-31', '--out', out],
    { cwd: ROOT, stdio: 'ignore' },
  )
  const exited = once(child, 'exit')
  while (!when()) await sleep(2)
  child.kill(signal)
  const [code] = await exited
  return code as number | null
}

const dir = mkdtempSync(join(tmpdir(), 'score-cli-'))

describe('command-line scorer', () => {
  it('writes CSV with a header and reasons joined by "; ", and a report with the stable names', async () => {
    const out = join(dir, 'scores.csv')
    const report = join(dir, 'report.json')
    const { code, stderr } = await score([
      '--input',
      SAMPLE,
      '--as-of',
      '1998-06-30',
      '--out',
      out,
      '--report',
      report,
    ])
    expect(code).toBe(0)
    expect(stderr).toMatch(/fit: BG\/NBD r=/)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(2358)
    const header = lines[0]?.split(',') ?? []
    for (const field of [
      'customerId',
      'x',
      'tx',
      'T',
      'expectedPurchases',
      'pAlive',
      'clv',
      'netValue',
      'rfmScore',
    ]) {
      expect(header).toContain(field)
    }
    expect(lines[1]).toMatch(/DECISION_[A-Z]+: [^;]+; /)
    const json = JSON.parse(readFileSync(report, 'utf8'))
    expect(json).toMatchObject({ customers: 2357, converged: true })
    for (const key of ['r', 'alpha', 'a', 'b', 'logLikelihood']) expect(typeof json.bgnbd[key]).toBe('number')
    for (const key of ['p', 'q', 'v']) expect(typeof json.gammaGamma[key]).toBe('number')
  })

  it('scores the good rows and lists the bad ones beside the output', async () => {
    const input = join(dir, 'mixed.csv')
    writeFileSync(
      input,
      'customer_id,transaction_date,amount\na,2026-01-01,5\na,2026-02-01,7\nb,2026-01-15,x\n',
    )
    const out = join(dir, 'mixed.jsonl')
    const { code } = await score(['--input', input, '--as-of', '2026-03-01', '--out', out])
    expect(code).toBe(0)
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1)
    expect(readFileSync(`${out}.rejected.csv`, 'utf8')).toContain('4,amount,')
  })

  it('exits non-zero when no row is valid', async () => {
    const input = join(dir, 'bad.csv')
    writeFileSync(input, 'customer_id,transaction_date,amount\nb,someday,1\n')
    const out = join(dir, 'bad.jsonl')
    const { code, stderr } = await score(['--input', input, '--as-of', '2026-03-01', '--out', out])
    expect(code).toBe(1)
    expect(stderr).toContain('no valid row')
    expect(existsSync(out)).toBe(false)
  })

  it('leaves the previous output as it was when a run stops half-way, and replaces it once one completes', async () => {
    const input = join(dir, 'many.csv')
    await exec(
      process.execPath,
      ['scripts/generate.ts', '--customers', '60000', '--seed', '3', '--out', input],
      {
        cwd: ROOT,
      },
    )
    const out = join(dir, 'many.jsonl')
    const previous = 'the scores of the run before\n'
    writeFileSync(out, previous)
    const partialHasRecords = () => existsSync(`${out}.partial`) && statSync(`${out}.partial`).size > 0
    // Stopped once records are being written (about 100 MB in all), wherever they go.
    const killed = await stoppedWhile(
      input,
      out,
      () => readFileSync(out, 'utf8') !== previous || partialHasRecords(),
      'SIGKILL',
    )
    expect(killed).toBeNull()
    expect(readFileSync(out, 'utf8')).toBe(previous)
    // Killed, it cannot clean up: what it wrote stays under a name that does not look done.
    expect(existsSync(`${out}.partial`)).toBe(true)
    rmSync(`${out}.partial`)

    // Stopped with Ctrl-C, it also takes its partial file away.
    const interrupted = await stoppedWhile(
      input,
      out,
      () => partialHasRecords() && readFileSync(out, 'utf8') === previous,
      'SIGINT',
    )
    expect(interrupted).toBe(130)
    expect(existsSync(`${out}.partial`)).toBe(false)
    expect(readFileSync(out, 'utf8')).toBe(previous)

    const { code } = await score(['--input', input, '--as-of', '2025-12-31', '--out', out])
    expect(code).toBe(0)
    expect(
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
    ).toHaveLength(60000)
    expect(existsSync(`${out}.partial`)).toBe(false)
  })

  it('exits 2 with the usage on bad arguments and on a bad configuration', async () => {
    expect((await score(['--input', SAMPLE, '--out', join(dir, 'x.jsonl')])).code).toBe(2)
    // A day that does not exist (Date.parse would take it as 2 March).
    const noSuchDay = await score(['--input', SAMPLE, '--as-of', '1998-02-30', '--out', join(dir, 'x.jsonl')])
    expect(noSuchDay.code).toBe(2)
    expect(noSuchDay.stderr).toContain('--as-of 1998-02-30')
    expect(
      (await score(['--input', SAMPLE, '--as-of', '1998-06-30', '--out', join(dir, 'x.txt')])).code,
    ).toBe(2)
    const config = join(dir, 'config.json')
    writeFileSync(config, JSON.stringify({ timeUnit: 'years' }))
    const bad = await score([
      '--input',
      SAMPLE,
      '--as-of',
      '1998-06-30',
      '--out',
      join(dir, 'x.jsonl'),
      '--config',
      config,
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('timeUnit')
  })
})
