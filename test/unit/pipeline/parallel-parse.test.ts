import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type ParsedFile,
  parseFile,
  partWorker,
  splitPoint,
} from '../../../shared/pipeline/parallel-parse.ts'
import { StartedPartWorker } from '../../../shared/pipeline/part-worker.ts'
import { storeContents } from './store-contents.ts'

const dir = mkdtempSync(join(tmpdir(), 'parallel-parse-'))

function write(name: string, lines: readonly string[]): string {
  const path = join(dir, name)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

const contents = (parsed: ParsedFile) => storeContents(parsed.store, parsed.rejections)

/** A file of `rows` transaction lines read on one thread and on two. */
async function readBoth(name: string, rows: number) {
  const path = write(name, transactionLines(rows))
  const options = { fileName: name, timeZone: 'UTC', minSplitBytes: 0 }
  return { path, one: await parseFile(path, options), two: await parseFile(path, options, partWorker) }
}

/** Rows of many customers, in date order, with the kinds of rows the split has to carry over. */
function transactionLines(rows: number): string[] {
  const lines = ['customer_id,transaction_date,amount,transaction_id,margin']
  for (let i = 0; i < rows; i++) {
    const day = String(1 + Math.floor((28 * i) / rows)).padStart(2, '0')
    const customer = `C${(i * 7919) % 997}`
    const amount = ((i * 37) % 500) / 4 - (i % 41 === 0 ? 200 : 0)
    // Every 13th row repeats a transaction id of a row far before it (often in the other half).
    const id = i % 13 === 0 && i > 0 ? `t${Math.floor(i / 3)}` : `t${i}`
    const margin = i % 5 === 0 ? '' : (amount * 0.3).toFixed(2)
    lines.push(`${customer},2026-02-${day},${amount},${id},${margin}`)
    if (i % 97 === 0) lines.push(`${customer},2026-02-31,1,u${i},`)
    if (i % 89 === 0) lines.push(`${customer},2026-02-${day}`)
  }
  // A customer whose only row, in the second half, repeats an id of the first half: never a customer.
  lines.push('ONLY-A-REPEAT,2026-02-28,5,t1,')
  return lines
}

// Each case reads its file on one and on two threads (starting a worker thread): seconds on a busy machine.
describe('reading a file on two threads', { timeout: 60_000 }, () => {
  it('gives the same rows, customer order, dropped repeats and rejections (with their lines) as one thread', async () => {
    const { path, one, two } = await readBoth('rows.csv', 20_000)
    expect(one.threads).toBe(1)
    expect(two.threads).toBe(2)
    expect(one.rejections.length).toBeGreaterThan(100)
    expect(one.store.duplicates).toBeGreaterThan(100)
    // Rejections on both sides of the split.
    const split = splitPoint(path, 'rows.csv', 0)
    expect(split).toBeDefined()
    expect(contents(two)).toEqual(contents(one))
    expect(two.store.grouped().customerIds).not.toContain('ONLY-A-REPEAT')
  })

  it('reads the second part on a thread started before, once, and not after it was cancelled', async () => {
    const path = write('started.csv', transactionLines(5_000))
    const options = { fileName: 'started.csv', timeZone: 'UTC', minSplitBytes: 0 }
    const one = await parseFile(path, options)
    const started = new StartedPartWorker()
    const two = await parseFile(path, options, started.read)
    expect(two.threads).toBe(2)
    expect(contents(two)).toEqual(contents(one))
    // A thread reads one part: asked again, the file is read on this thread.
    const again = await parseFile(path, options, started.read)
    expect(again.threads).toBe(1)
    expect(contents(again)).toEqual(contents(one))
    const cancelled = new StartedPartWorker()
    cancelled.cancel()
    const after = await parseFile(path, options, cancelled.read)
    expect(after.threads).toBe(1)
    expect(contents(after)).toEqual(contents(one))
  })

  it('reads the file again on one thread when a quoted field runs across the split', async () => {
    const lines = transactionLines(4_000)
    const rows = lines.slice(1)
    const header = 'customer_id,transaction_date,amount,transaction_id,margin,note'
    const note = `"${Array.from({ length: 4_000 }, (_, i) => `note line ${i}`).join('\n')}"`
    const middle = Math.floor(rows.length / 2)
    const withNote = [
      header,
      ...rows.slice(0, middle).map((line) => `${line},`),
      `C1,2026-02-14,10,note-row,3,${note}`,
      ...rows.slice(middle).map((line) => `${line},`),
    ]
    const path = write('quoted.csv', withNote)
    // The middle of the file falls inside the quoted note.
    const split = splitPoint(path, 'quoted.csv', 0)
    const text = withNote.join('\n')
    const noteStart = text.indexOf('"note line 0')
    expect(split?.from).toBeGreaterThan(noteStart)
    expect(split?.from).toBeLessThan(noteStart + note.length)
    const options = { fileName: 'quoted.csv', timeZone: 'UTC', minSplitBytes: 0 }
    const one = await parseFile(path, options)
    const two = await parseFile(path, options, partWorker)
    expect(two.threads).toBe(1)
    expect(contents(two)).toEqual(contents(one))
  })

  it('tells once when a CPU is free: after its own part when split, else before reading', async () => {
    /** The bytes read here before and after the call, and the number of calls. */
    async function cpuFree(path: string, fileName: string, minSplitBytes?: number) {
      const seen = { before: 0, after: 0, calls: 0 }
      const parsed = await parseFile(
        path,
        {
          fileName,
          timeZone: 'UTC',
          minSplitBytes,
          onBytes: (bytes) => {
            if (seen.calls === 0) seen.before += bytes
            else seen.after += bytes
          },
          onCpuFree: () => {
            seen.calls++
          },
        },
        partWorker,
      )
      return { ...seen, threads: parsed.threads }
    }
    const split = await cpuFree(write('free.csv', transactionLines(4_000)), 'free.csv', 0)
    expect(split).toMatchObject({ threads: 2, calls: 1, after: 0 })
    expect(split.before).toBeGreaterThan(0)
    const small = await cpuFree(write('free-small.csv', transactionLines(100)), 'free-small.csv')
    expect(small).toMatchObject({ threads: 1, calls: 1, before: 0 })
    expect(small.after).toBeGreaterThan(0)
    // A quoted field across the split: read again on this thread, still one call.
    const [header, ...rows] = transactionLines(2_000)
    const quoted = [
      `${header},note`,
      ...rows.slice(0, 1_000).map((line) => `${line},`),
      `C1,2026-02-14,10,q,3,"${'x\n'.repeat(20_000)}"`,
      ...rows.slice(1_000).map((line) => `${line},`),
    ]
    const again = await cpuFree(write('free-quoted.csv', quoted), 'free-quoted.csv', 0)
    expect(again).toMatchObject({ threads: 1, calls: 1 })
  })

  it('reads gzipped, JSON-lines and small files on one thread', async () => {
    const path = write('rows.jsonl', ['{"customer_id":"a","transaction_date":"2026-01-01","amount":1}'])
    expect(splitPoint(path, 'rows.jsonl', 0)).toBeUndefined()
    expect(splitPoint(path, 'rows.csv.gz', 0)).toBeUndefined()
    const small = write('small.csv', transactionLines(100))
    expect(splitPoint(small, 'small.csv')).toBeUndefined()
    expect((await parseFile(small, { fileName: 'small.csv', timeZone: 'UTC' }, partWorker)).threads).toBe(1)
  })
})
