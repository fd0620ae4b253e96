import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { LineWriter } from '../../../shared/pipeline/line-writer.ts'
import { mixedLines, writeLines } from './text-lines.ts'

function collect(size: number, highWaterMark = 16) {
  const stream = new PassThrough({ highWaterMark })
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { writer: new LineWriter(stream, size), text: () => Buffer.concat(chunks).toString('utf8') }
}

describe('the line writer', () => {
  it('writes every line in order, in UTF-8, whatever the buffer size and line lengths', async () => {
    const lines = ['', 'a', 'déjà vu', '顧客 1', '😀 emoji', 'x'.repeat(100), 'é'.repeat(40), 'short']
    for (const size of [1, 8, 64, 1 << 16]) {
      const { writer, text } = collect(size)
      for (const line of lines) {
        const wait = writer.line(line)
        if (wait) await wait
      }
      await writer.end()
      expect(text()).toBe(lines.map((line) => `${line}\n`).join(''))
    }
  })

  it('keeps lines and pre-encoded bytes in order', async () => {
    const { writer, text } = collect(32)
    await writer.line('one')
    await writer.bytes(Buffer.from('two\nthree\n'))
    await writer.line('four')
    await writer.end()
    expect(text()).toBe('one\ntwo\nthree\nfour\n')
  })

  it('writes a file intact while it fills again the buffers the file is done with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'line-writer-'))
    try {
      const file = join(dir, 'out.txt')
      // Small buffers and a small stream buffer: many flushes, each buffer filled again once written.
      const lines = mixedLines(5000)
      await writeLines(new LineWriter(createWriteStream(file, { highWaterMark: 64 }), 100), lines)
      expect(readFileSync(file, 'utf8')).toBe(lines.map((line) => `${line}\n`).join(''))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
