/**
 * The same text as one flat string. A string made by concatenation stays a tree of its parts in V8,
 * even once it was flattened for a read: every later use walks the parts again (encoding a line that
 * holds it, for one), and V8's JSON.stringify fast path does not take it. For strings made once and
 * used for many records.
 */
export function flatString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string
}
