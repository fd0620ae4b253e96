import type { LineWriter } from '../../../shared/pipeline/line-writer.ts'

/** `count` lines of uneven lengths, some with characters of two bytes in UTF-8. */
export function mixedLines(count: number): string[] {
  return Array.from({ length: count }, (_, k) => `line ${k} ${'é'.repeat(k % 7)}${'x'.repeat(k % 50)}`)
}

/** Writes the lines in order, waiting whenever the writer asks to, then ends it. */
export async function writeLines(writer: LineWriter, lines: readonly string[]): Promise<void> {
  for (const line of lines) {
    const wait = writer.line(line)
    if (wait) await wait
  }
  await writer.end()
}
