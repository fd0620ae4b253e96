/**
 * A streaming RFC 4180 record splitter over decoded text.
 *
 * Most lines of a transaction file hold no quote: their fields are reported as ranges of the decoded
 * text, found with `indexOf`, so that no string is cut for a field nobody reads. A record in which a
 * quote appears goes through the full state machine (quoted commas, `""`, line breaks inside quotes).
 * Records end at LF or CRLF; empty and whitespace-only lines are skipped. Each record is reported with
 * the 1-based physical line it starts on.
 */

export interface CsvRecordHandler {
  /**
   * Field `i` of the record is `source.slice(starts[i], ends[i])`, for `i < count`. The arrays are
   * reused for the next record.
   */
  record(source: string, starts: Int32Array, ends: Int32Array, count: number, line: number): void
  /** A record whose quoting is broken; the splitter resumes after the line the problem is on. */
  malformed(line: number, reason: string): void
}

/** Thrown when one record grows past the limit, which bounds memory whatever the input. */
export class RecordTooLongError extends Error {
  override readonly name = 'RecordTooLongError'
  readonly line: number

  constructor(line: number, limit: number, hint = '') {
    super(`the record starting on line ${line} is longer than ${limit} characters${hint}`)
    this.line = line
  }
}

const QUOTE = 34
const COMMA = 44
const LF = 10
const CR = 13

/** Marks "the record continues past the text seen so far". */
const NEED_MORE = -1

export const DEFAULT_MAX_RECORD_LENGTH = 1 << 20

export class CsvRecordSplitter {
  readonly #handler: CsvRecordHandler
  readonly #maxRecordLength: number
  #starts: Int32Array = new Int32Array(16)
  #ends: Int32Array = new Int32Array(16)
  #pending = ''
  /** Line on which #pending starts. */
  #line = 1
  /** Set by #quotedRecord: how many line breaks the record it read spans. */
  #lineBreaks = 0

  constructor(handler: CsvRecordHandler, maxRecordLength = DEFAULT_MAX_RECORD_LENGTH) {
    this.#handler = handler
    this.#maxRecordLength = maxRecordLength
  }

  push(text: string): void {
    const pending = this.#pending
    if (pending.length === 0) {
      this.#split(text, 0, false)
      return
    }
    // V8 searches a concatenation much slower than a flat string, so the unfinished record is completed
    // with the first line of `text` on its own, and the rest of `text` is split where it is.
    const firstBreak = text.indexOf('\n')
    if (firstBreak < 0) {
      // No record can end before a line break.
      this.#keep(pending + text)
      return
    }
    this.#pending = ''
    this.#split(pending + text.slice(0, firstBreak + 1), 0, false)
    const unfinished = this.#pending
    this.#pending = ''
    if (unfinished.length === 0) this.#split(text, firstBreak + 1, false)
    else this.#split(unfinished + text.slice(firstBreak + 1), 0, false)
  }

  /** Reads the last record when the text does not end with a line break. */
  end(): void {
    const pending = this.#pending
    this.#pending = ''
    if (pending.length > 0) this.#split(pending, 0, true)
  }

  /** Whether no record is left unfinished by the text pushed so far. */
  get atRecordEnd(): boolean {
    return this.#pending.length === 0
  }

  /**
   * Counts `lines` lines that were read without the splitter (each a whole record), between records:
   * the next text pushed starts that many lines further on.
   */
  skipLines(lines: number): void {
    if (this.#pending.length > 0) throw new Error('skipLines inside a record')
    this.#line += lines
  }

  /** The line the text after what was pushed starts on, and whether no record is left unfinished. */
  partEnd(): { readonly line: number; readonly atRecordEnd: boolean } {
    return { line: this.#line, atRecordEnd: this.#pending.length === 0 }
  }

  /** The line reached after the text pushed so far plus `text`, for locating a problem in `text`. */
  lineAfter(text: string): number {
    return (
      this.#line +
      countLineBreaks(this.#pending, 0, this.#pending.length) +
      countLineBreaks(text, 0, text.length)
    )
  }

  #split(text: string, from: number, atEnd: boolean): void {
    const handler = this.#handler
    const length = text.length
    let pos = from
    let line = this.#line
    // The next quote and comma at or after `pos` (or `length`): each is searched for once per text, which
    // keeps lines without them linear.
    let quote = nextIndex(text, '"', pos)
    let comma = nextIndex(text, ',', pos)
    while (pos < length) {
      let lineEnd = text.indexOf('\n', pos)
      if (lineEnd < 0) {
        if (!atEnd) break
        lineEnd = length
      }
      if (quote < lineEnd) {
        const next = this.#quotedRecord(text, pos, line, atEnd)
        if (next === NEED_MORE) break
        pos = next
        line += this.#lineBreaks
        quote = nextIndex(text, '"', pos)
        comma = nextIndex(text, ',', pos)
        continue
      }
      const end = lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd
      if (end > pos && (text.charCodeAt(pos) > 32 || text.slice(pos, end).trim() !== '')) {
        let starts = this.#starts
        let ends = this.#ends
        let count = 0
        let start = pos
        while (comma < end) {
          if (count + 1 === starts.length) {
            starts = this.#grow()
            ends = this.#ends
          }
          starts[count] = start
          ends[count] = comma
          count++
          start = comma + 1
          comma = nextIndex(text, ',', start)
        }
        starts[count] = start
        ends[count] = end
        handler.record(text, starts, ends, count + 1, line)
      }
      pos = lineEnd + 1
      line++
    }
    this.#line = line
    this.#keep(pos < length ? text.slice(pos) : '')
  }

  #keep(unfinished: string): void {
    if (unfinished.length > this.#maxRecordLength) {
      throw new RecordTooLongError(this.#line, this.#maxRecordLength, '; is a quote left unclosed?')
    }
    this.#pending = unfinished
  }

  #grow(): Int32Array {
    const starts = new Int32Array(this.#starts.length * 2)
    const ends = new Int32Array(this.#ends.length * 2)
    starts.set(this.#starts)
    ends.set(this.#ends)
    this.#starts = starts
    this.#ends = ends
    return starts
  }

  /**
   * Reads the record starting at `start` with the full state machine. Reports it (or its quoting problem)
   * and returns where the next record starts, or NEED_MORE when the record may continue past `text`.
   */
  #quotedRecord(text: string, start: number, line: number, atEnd: boolean): number {
    const length = text.length
    const fields: string[] = []
    let lineBreaks = 0
    let i = start
    for (;;) {
      if (i < length && text.charCodeAt(i) === QUOTE) {
        let value = ''
        let segment = ++i
        for (;;) {
          const close = text.indexOf('"', i)
          if (close < 0 || (close + 1 === length && !atEnd)) {
            if (!atEnd) return NEED_MORE
            this.#handler.malformed(line, 'a quoted field is never closed')
            return this.#finish(length, lineBreaks + countLineBreaks(text, i, length))
          }
          lineBreaks += countLineBreaks(text, i, close)
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += text.slice(segment, close + 1)
            i = close + 2
            segment = i
            continue
          }
          value += text.slice(segment, close)
          i = close + 1
          break
        }
        fields.push(value)
        if (i === length) {
          if (!atEnd) return NEED_MORE
          return this.#report(fields, line, length, lineBreaks)
        }
        const c = text.charCodeAt(i)
        if (c === COMMA) {
          i++
          continue
        }
        if (c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) {
          return this.#report(fields, line, c === LF ? i + 1 : i + 2, lineBreaks + 1)
        }
        if (c === CR && i + 1 === length) {
          if (!atEnd) return NEED_MORE
          return this.#report(fields, line, length, lineBreaks)
        }
        return this.#skipMalformed(
          text,
          i,
          line,
          lineBreaks,
          atEnd,
          'unexpected character after a closing quote',
        )
      }

      let j = i
      while (j < length) {
        const c = text.charCodeAt(j)
        if (c === COMMA || c === LF || c === QUOTE) break
        j++
      }
      if (j < length && text.charCodeAt(j) === QUOTE) {
        return this.#skipMalformed(text, j, line, lineBreaks, atEnd, 'a quote inside an unquoted field')
      }
      if (j === length && !atEnd) return NEED_MORE
      if (j < length && text.charCodeAt(j) === COMMA) {
        fields.push(text.slice(i, j))
        i = j + 1
        continue
      }
      fields.push(text.slice(i, j > i && text.charCodeAt(j - 1) === CR ? j - 1 : j))
      return j < length
        ? this.#report(fields, line, j + 1, lineBreaks + 1)
        : this.#report(fields, line, length, lineBreaks)
    }
  }

  /** Reports unescaped fields in the same shape as the fast path: ranges of their concatenation. */
  #report(fields: string[], line: number, next: number, lineBreaks: number): number {
    while (fields.length > this.#starts.length) this.#grow()
    const starts = this.#starts
    const ends = this.#ends
    let offset = 0
    fields.forEach((field, i) => {
      starts[i] = offset
      offset += field.length
      ends[i] = offset
    })
    this.#handler.record(fields.join(''), starts, ends, fields.length, line)
    return this.#finish(next, lineBreaks)
  }

  #skipMalformed(
    text: string,
    from: number,
    line: number,
    lineBreaks: number,
    atEnd: boolean,
    reason: string,
  ): number {
    const lineEnd = text.indexOf('\n', from)
    if (lineEnd < 0 && !atEnd) return NEED_MORE
    this.#handler.malformed(line, reason)
    return lineEnd < 0 ? this.#finish(text.length, lineBreaks) : this.#finish(lineEnd + 1, lineBreaks + 1)
  }

  #finish(next: number, lineBreaks: number): number {
    this.#lineBreaks = lineBreaks
    return next
  }
}

export function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++
  return count
}

function nextIndex(text: string, char: string, from: number): number {
  const at = text.indexOf(char, from)
  return at < 0 ? text.length : at
}
