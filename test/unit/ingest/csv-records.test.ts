import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CsvRecordSplitter, RecordTooLongError } from '../../../shared/ingest/csv-records.ts'

interface Split {
  records: { line: number; fields: string[] }[]
  malformed: { line: number; reason: string }[]
}

/** Runs the splitter over `pieces` of decoded text. */
function split(pieces: readonly string[], maxRecordLength?: number): Split {
  const result: Split = { records: [], malformed: [] }
  const splitter = new CsvRecordSplitter(
    {
      record: (source, starts, ends, count, line) => {
        const fields = Array.from({ length: count }, (_, i) => source.slice(starts[i], ends[i]))
        result.records.push({ line, fields })
      },
      malformed: (line, reason) => {
        result.malformed.push({ line, reason })
      },
    },
    maxRecordLength,
  )
  for (const piece of pieces) splitter.push(piece)
  splitter.end()
  return result
}

function cut(text: string, offsets: readonly number[]): string[] {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b)
  return [...sorted, text.length].map((end, i) => text.slice(i === 0 ? 0 : sorted[i - 1], end))
}

/** One field written as RFC 4180 text: quoted when it must be, and sometimes when it need not be. */
function encode(field: string, quote: boolean): string {
  return quote || /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field
}

const fieldText = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '😀'), maxLength: 8 }),
)

/** Records with the text that encodes them and the line each starts on. */
const documents = fc
  .record({
    records: fc.array(fc.array(fc.tuple(fieldText, fc.boolean()), { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 8,
    }),
    breaks: fc.array(fc.constantFrom('\n', '\r\n', '\n\n', '\r\n \r\n'), { minLength: 8, maxLength: 8 }),
    finalBreak: fc.boolean(),
  })
  .map(({ records, breaks, finalBreak }) => {
    let text = ''
    let line = 1
    const expected: Split['records'] = []
    records.forEach((record, i) => {
      // A record of one field that is empty or blank would read as a blank line: such a field is quoted.
      const lone = record.length === 1 && (record[0]?.[0] ?? '').trim() === ''
      const encoded = record.map(([field, quote]) => encode(field, quote || lone)).join(',')
      expected.push({ line, fields: record.map(([field]) => field) })
      const lineBreak = i < records.length - 1 || finalBreak ? (breaks[i] ?? '\n') : ''
      text += encoded + lineBreak
      line += (encoded.match(/\n/g)?.length ?? 0) + (lineBreak.match(/\n/g)?.length ?? 0)
    })
    return { text, expected }
  })

describe('CsvRecordSplitter', () => {
  it('reads back any records written as RFC 4180 text, with the line each starts on', () => {
    fc.assert(
      fc.property(documents, ({ text, expected }) => {
        expect(split([text])).toEqual({ records: expected, malformed: [] })
      }),
      { numRuns: 1000 },
    )
  })

  it('reads the same records wherever the text is cut into pieces', () => {
    const cases = documents.chain((document) =>
      fc.record({
        document: fc.constant(document),
        offsets: fc.array(fc.integer({ min: 0, max: document.text.length }), { maxLength: 10 }),
      }),
    )

    fc.assert(
      fc.property(cases, ({ document, offsets }) => {
        expect(split(cut(document.text, offsets))).toEqual(split([document.text]))
      }),
      { numRuns: 1000 },
    )
  })

  it('reports a record with a quote inside an unquoted field and resumes on the next line', () => {
    expect(split(['a,b"c,d\ne,f\n'])).toEqual({
      records: [{ line: 2, fields: ['e', 'f'] }],
      malformed: [{ line: 1, reason: 'a quote inside an unquoted field' }],
    })
  })

  it('reports a record with text after a closing quote, counting the lines of its quoted part', () => {
    expect(split(['"a\nb"c,d\ne\n'])).toEqual({
      records: [{ line: 3, fields: ['e'] }],
      malformed: [{ line: 1, reason: 'unexpected character after a closing quote' }],
    })
  })

  it('reports a quoted field still open at the end', () => {
    expect(split(['a\n"b,c\nd\n'])).toEqual({
      records: [{ line: 1, fields: ['a'] }],
      malformed: [{ line: 2, reason: 'a quoted field is never closed' }],
    })
  })

  it('keeps empty fields, including a last one', () => {
    expect(split([',a,,\n'])).toEqual({ records: [{ line: 1, fields: ['', 'a', '', ''] }], malformed: [] })
  })

  it('reads a record of many fields', () => {
    const fields = Array.from({ length: 100 }, (_, i) => `f${i}`)

    expect(split([`${fields.join(',')}\n"${fields.join('","')}"\n`]).records.map((r) => r.fields)).toEqual([
      fields,
      fields,
    ])
  })

  it('throws when one record grows past the limit', () => {
    expect(() => split(['a\n"b', 'c'.repeat(100)], 50)).toThrow(RecordTooLongError)
  })

  it('keeps lines without commas or quotes linear in time', () => {
    const text = 'x\n'.repeat(200_000)

    expect(split([text]).records).toHaveLength(200_000)
  })
})
