import { describe, expect, it } from 'vitest'
import { addDays, isDay } from '../../shared/domain/dates.ts'

describe('calendar days', () => {
  it('takes real YYYY-MM-DD days only, leap days included', () => {
    for (const day of ['2024-02-29', '2000-02-29', '2025-12-31', '1998-06-30']) expect(isDay(day)).toBe(true)
    for (const text of [
      '2025-02-29',
      '1900-02-29',
      '2025-02-30',
      '2025-04-31',
      '2025-13-01',
      '2025-1-01',
      '20250101',
      '',
    ])
      expect(isDay(text)).toBe(false)
  })

  it('agrees with the day arithmetic across a year of days', () => {
    for (let k = 0; k < 366; k++) expect(isDay(addDays('2024-01-01', k))).toBe(true)
  })
})
