import { describe, expect, it } from 'vitest'
import { csvCell, csvLine } from '../../shared/csv.ts'

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines'])).toBe('"a,b","say ""hi""","two\nlines"')
  })

  it('neutralises text a spreadsheet would run as a formula', () => {
    expect(['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx'].map(csvCell)).toEqual([
      "'=1+1",
      "'+cmd",
      "'-2+3",
      "'@SUM(A1)",
      "'\tx",
    ])
  })

  it('leaves numbers, including negative ones, as numbers', () => {
    expect([-5, '-5.25', '+3', 0].map(csvCell)).toEqual(['-5', '-5.25', '+3', '0'])
  })
})
