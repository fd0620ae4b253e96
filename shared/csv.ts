/**
 * One CSV cell (RFC 4180 quoting). Text that a spreadsheet would run as a formula (starting with
 * = + - @, tab or carriage return) is prefixed with an apostrophe; numbers stay numbers.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value !== 'string') return String(value)
  // Most cells start with none of those characters and hold nothing to quote: they stay as they are.
  if (!FORMULA_START.has(value.charCodeAt(0)) && !QUOTE.test(value)) return value
  const safe = /^[=+\-@\t\r]/.test(value) && !NUMBER.test(value) ? `'${value}` : value
  return QUOTE.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

const FORMULA_START = new Set([...'=+-@\t\r'].map((c) => c.charCodeAt(0)))
const QUOTE = /[",\r\n]/

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return values.map(csvCell).join(',')
}
