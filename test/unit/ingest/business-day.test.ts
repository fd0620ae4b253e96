import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toBusinessDay } from '../../../shared/ingest/business-day.ts'

describe('toBusinessDay: accepted forms', () => {
  it('keeps a plain date as it is', () => {
    expect(toBusinessDay('2026-03-01', 'America/New_York')).toBe('2026-03-01')
  })

  it('accepts 29 February in leap years only', () => {
    expect(
      ['2024-02-29', '2000-02-29', '2026-02-29', '1900-02-29'].map((d) => toBusinessDay(d, 'UTC')),
    ).toEqual(['2024-02-29', '2000-02-29', undefined, undefined])
  })

  it('takes the date part of a date-time without offset, as local time of the zone', () => {
    expect(toBusinessDay('2026-03-01T23:59:59.999', 'Pacific/Kiritimati')).toBe('2026-03-01')
  })

  it('takes the date part of a local time that daylight saving time skips', () => {
    expect(toBusinessDay('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08')
  })

  it('accepts a space between date and time', () => {
    expect(toBusinessDay('2026-03-01 23:30:00-05:00', 'UTC')).toBe('2026-03-02')
  })

  it('reads fractions of a second of any length', () => {
    expect(toBusinessDay('2026-03-01T23:59:59.999999999Z', 'UTC')).toBe('2026-03-01')
  })
})

describe('toBusinessDay: offsets and zones', () => {
  it('moves a late evening time with a western offset to the next day in UTC', () => {
    expect(toBusinessDay('2026-03-01T23:30:00-05:00', 'UTC')).toBe('2026-03-02')
  })

  it('keeps that time on its own day in New York', () => {
    expect(toBusinessDay('2026-03-01T23:30:00-05:00', 'America/New_York')).toBe('2026-03-01')
  })

  it('moves an early morning time with an eastern offset to the previous day in UTC', () => {
    expect(toBusinessDay('2026-03-02T00:30:00+09:00', 'UTC')).toBe('2026-03-01')
  })

  it('reads Z as UTC', () => {
    expect(toBusinessDay('2026-03-01T04:59:59Z', 'America/New_York')).toBe('2026-02-28')
  })

  it('starts the New York day at 05:00 UTC in winter', () => {
    expect([
      toBusinessDay('2026-01-15T04:59:59Z', 'America/New_York'),
      toBusinessDay('2026-01-15T05:00:00Z', 'America/New_York'),
    ]).toEqual(['2026-01-14', '2026-01-15'])
  })

  it('starts the New York day at 04:00 UTC in summer', () => {
    expect([
      toBusinessDay('2026-07-15T03:59:59Z', 'America/New_York'),
      toBusinessDay('2026-07-15T04:00:00Z', 'America/New_York'),
    ]).toEqual(['2026-07-14', '2026-07-15'])
  })

  it('keeps the day of the spring-forward change, which has 23 hours', () => {
    // 2026-03-08 in New York runs from 05:00 UTC (EST) to 04:00 UTC the next day (EDT).
    expect([
      toBusinessDay('2026-03-08T04:59:59Z', 'America/New_York'),
      toBusinessDay('2026-03-08T05:00:00Z', 'America/New_York'),
      toBusinessDay('2026-03-09T03:59:59Z', 'America/New_York'),
      toBusinessDay('2026-03-09T04:00:00Z', 'America/New_York'),
    ]).toEqual(['2026-03-07', '2026-03-08', '2026-03-08', '2026-03-09'])
  })

  it('keeps the day of the fall-back change, which has 25 hours', () => {
    // 2026-11-01 in New York runs from 04:00 UTC (EDT) to 05:00 UTC the next day (EST).
    expect([
      toBusinessDay('2026-11-01T03:59:59Z', 'America/New_York'),
      toBusinessDay('2026-11-01T04:00:00Z', 'America/New_York'),
      toBusinessDay('2026-11-02T04:59:59Z', 'America/New_York'),
      toBusinessDay('2026-11-02T05:00:00Z', 'America/New_York'),
    ]).toEqual(['2026-10-31', '2026-11-01', '2026-11-01', '2026-11-02'])
  })

  it('follows a zone whose offset is not a whole number of hours', () => {
    // Nepal is UTC+05:45, so its day starts at 18:15 UTC.
    expect([
      toBusinessDay('2026-03-01T18:14:59Z', 'Asia/Kathmandu'),
      toBusinessDay('2026-03-01T18:15:00Z', 'Asia/Kathmandu'),
    ]).toEqual(['2026-03-01', '2026-03-02'])
  })

  it('follows an offset change in the middle of a UTC hour', () => {
    // Nepal moved from UTC+05:30 to UTC+05:45 at local midnight of 1986-01-01, 18:30 UTC.
    expect([
      toBusinessDay('1985-12-31T18:29:59Z', 'Asia/Kathmandu'),
      toBusinessDay('1985-12-31T18:30:00Z', 'Asia/Kathmandu'),
    ]).toEqual(['1985-12-31', '1986-01-01'])
  })

  it('skips a day that a zone left out', () => {
    // Samoa moved from UTC-10 to UTC+14 after 2011-12-29: 30 December 2011 never happened in Apia.
    expect([
      toBusinessDay('2011-12-30T09:59:59Z', 'Pacific/Apia'),
      toBusinessDay('2011-12-30T10:00:00Z', 'Pacific/Apia'),
    ]).toEqual(['2011-12-29', '2011-12-31'])
  })

  it('agrees with Intl for any instant, offset and zone', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Berlin',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Pacific/Apia',
    ]
    const instants = fc.integer({ min: Date.UTC(1970, 0, 1) / 1000, max: Date.UTC(2100, 0, 1) / 1000 })
    const offsets = fc.integer({ min: -12 * 4, max: 14 * 4 }).map((quarters) => quarters * 15)

    fc.assert(
      fc.property(instants, offsets, fc.constantFrom(...zones), (seconds, offsetMinutes, zone) => {
        const text = withOffset(seconds, offsetMinutes)
        const expected = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(seconds * 1000)

        expect(toBusinessDay(text, zone)).toBe(expected)
      }),
    )
  })
})

describe('toBusinessDay: refused values', () => {
  it.each([
    ['an empty value', ''],
    ['a day-month-year date', '01/03/2026'],
    ['a date without zero padding', '2026-3-1'],
    ['month 13', '2026-13-01'],
    ['31 April', '2026-04-31'],
    ['hour 24', '2026-03-01T24:00:00'],
    ['minute 60', '2026-03-01T23:60'],
    ['second 60', '2026-03-01T23:59:60Z'],
    ['an offset of 24 hours', '2026-03-01T10:00:00+24:00'],
    ['an offset without colon', '2026-03-01T10:00:00+0100'],
    ['an offset without seconds in the time', '2026-03-01T23:30-05:00'],
    ['a lowercase z', '2026-03-01T10:00:00z'],
    ['a time without minutes', '2026-03-01T10'],
    ['a fraction without digits', '2026-03-01T10:00:00.Z'],
    ['text after the date', '2026-03-01x'],
    ['text after the offset', '2026-03-01T10:00:00Zx'],
    ['a week date', '2026-W09-7'],
  ])('refuses %s', (_, value) => {
    expect(toBusinessDay(value, 'UTC')).toBeUndefined()
  })

  it('refuses an instant that falls outside the years 0000 to 9999 in the zone', () => {
    expect([
      toBusinessDay('0000-01-01T00:30:00+01:00', 'UTC'),
      toBusinessDay('9999-12-31T23:00:00-05:00', 'UTC'),
    ]).toEqual([undefined, undefined])
  })

  it('throws a RangeError for an unknown time zone', () => {
    expect(() => toBusinessDay('2026-03-01', 'Mars/Olympus')).toThrow(RangeError)
  })
})

/** `YYYY-MM-DDTHH:MM:SS±HH:MM` of an instant, written in the given offset. */
function withOffset(seconds: number, offsetMinutes: number): string {
  const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}
