import { addDays, daysBetween } from '../../shared/domain/dates.ts'

/**
 * Moves every transaction_date of the sample CSV by the same number of days so that its last day
 * is the day before `today`: the scores then look like those of a live business.
 */
export function shiftSampleDates(csv: string, today: string): string {
  const lines = csv.split('\n')
  const header = (lines[0] ?? '').split(',')
  const column = header.indexOf('transaction_date')
  if (column < 0) throw new Error('sample has no transaction_date column')
  let last = ''
  for (const line of lines.slice(1)) {
    const day = line.split(',')[column]
    if (day && day > last) last = day
  }
  const shift = daysBetween(last, addDays(today, -1))
  return lines
    .map((line, i) => {
      if (i === 0 || line.length === 0) return line
      const cells = line.split(',')
      const day = cells[column]
      if (day) cells[column] = addDays(day, shift)
      return cells.join(',')
    })
    .join('\n')
}
