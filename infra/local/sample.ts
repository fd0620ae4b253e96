import { addDays, daysBetween } from '../../shared/domain/dates.ts'

/**
 * Moves every transaction_date of the sample CSV by the same number of days so that its last day
 * is the day before `today`: the scores then look like those of a live business.
 */
export function shiftSampleDates(csv: string, today: string): string {
  return shiftColumn(csv, 'transaction_date', sampleShiftDays(csv, today))
}

/** The days the transaction sample's dates move so that its last day is the day before `today`. */
export function sampleShiftDays(transactionsCsv: string, today: string): number {
  const lines = transactionsCsv.split('\n')
  const column = columnIndex(lines[0] ?? '', 'transaction_date')
  let last = ''
  for (const line of lines.slice(1)) {
    const day = line.split(',')[column]
    if (day && day > last) last = day
  }
  return daysBetween(last, addDays(today, -1))
}

/** Moves every non-empty date of one column of a simple CSV (no quoted commas) by `days`. */
export function shiftColumn(csv: string, name: string, days: number): string {
  const lines = csv.split('\n')
  const column = columnIndex(lines[0] ?? '', name)
  return lines
    .map((line, i) => {
      if (i === 0 || line.length === 0) return line
      const cells = line.split(',')
      const day = cells[column]
      if (day) cells[column] = addDays(day, days)
      return cells.join(',')
    })
    .join('\n')
}

function columnIndex(header: string, name: string): number {
  const column = header.split(',').indexOf(name)
  if (column < 0) throw new Error(`sample has no ${name} column`)
  return column
}
