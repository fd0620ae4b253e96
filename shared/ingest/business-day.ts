/**
 * Turns the `transaction_date` of an upload into the business day it belongs to.
 *
 * Accepted forms (the same grammar as zod's `z.iso.date()` and `z.iso.datetime({ offset: true, local: true })`,
 * except that a space may separate date and time, as RFC 3339 allows):
 * - `YYYY-MM-DD`: taken as is;
 * - `YYYY-MM-DDTHH:MM[:SS[.fff]]` without offset: local time in the business zone, so its date part;
 * - `YYYY-MM-DDTHH:MM:SS[.fff]Z` or `...±HH:MM`: an instant, converted to the business zone first.
 *
 * This runs once per row of multi-million-row files, so it parses by character codes and caches the
 * zone's UTC offset per hour instead of calling Intl for every row.
 */

/** The business day of `text.slice(start, end)`, or undefined when that is not an accepted date. */
export type BusinessDayResolver = (text: string, start: number, end: number) => string | undefined

const SECONDS_PER_DAY = 86_400
const DIGIT_0 = 48
const DASH = 45
const PLUS = 43
const COLON = 58
const DOT = 46
const UPPER_T = 84
const UPPER_Z = 90
const SPACE = 32

/** Intl handles years 1 to 9999 without eras; offsets outside that range are taken from its edges. */
const FIRST_INTL_SECOND = daysFromCivil(1, 1, 1) * SECONDS_PER_DAY
const LAST_INTL_SECOND = daysFromCivil(10_000, 1, 1) * SECONDS_PER_DAY - 1
const OFFSET_CACHE_LIMIT = 100_000
/** Day strings of the years 1900 to 2099 are cached, 12 * 31 slots a year. */
const FIRST_CACHED_YEAR = 1900
const CACHED_SLOTS = 200 * 372

const resolvers = new Map<string, BusinessDayResolver>()

/**
 * The business day (`YYYY-MM-DD`) of a date or date-time in `timeZone`, or undefined when the value is not
 * an accepted date. Throws a RangeError when `timeZone` is not an IANA time zone.
 */
export function toBusinessDay(value: string, timeZone: string): string | undefined {
  return businessDayResolver(timeZone)(value, 0, value.length)
}

/** The resolver of a zone, created once per zone. Throws a RangeError for an unknown zone. */
export function businessDayResolver(timeZone: string): BusinessDayResolver {
  let resolve = resolvers.get(timeZone)
  if (!resolve) {
    resolve = createResolver(timeZone)
    resolvers.set(timeZone, resolve)
  }
  return resolve
}

const dayStrings = new Array<string | undefined>(CACHED_SLOTS).fill(undefined)

/**
 * The string of a day, shared between rows instead of cut from each: the days of the years 1900 to 2099
 * are looked up by index in a dense array, which is much cheaper than a Map. The caller has checked the
 * date (year 0 to 9999, month 1 to 12, day within the month).
 */
export function dayString(year: number, month: number, day: number): string {
  const slot = (year - FIRST_CACHED_YEAR) * 372 + (month - 1) * 31 + (day - 1)
  let text = slot >= 0 && slot < CACHED_SLOTS ? dayStrings[slot] : undefined
  if (text === undefined) {
    text = `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`
    if (slot >= 0 && slot < CACHED_SLOTS) dayStrings[slot] = text
  }
  return text
}

/** A resolver bound to one zone, with its own cache of UTC offsets. */
function createResolver(timeZone: string): BusinessDayResolver {
  const offsetAt = zoneOffset(timeZone)

  return (text, start, end) => {
    const length = end - start
    if (length < 10) return undefined
    const year =
      digit(text, start) * 1000 +
      digit(text, start + 1) * 100 +
      digit(text, start + 2) * 10 +
      digit(text, start + 3)
    const month = digit(text, start + 5) * 10 + digit(text, start + 6)
    const day = digit(text, start + 8) * 10 + digit(text, start + 9)
    if (text.charCodeAt(start + 4) !== DASH || text.charCodeAt(start + 7) !== DASH) return undefined
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
    if (length === 10) return dayString(year, month, day)

    const separator = text.charCodeAt(start + 10)
    if ((separator !== UPPER_T && separator !== SPACE) || length < 16) return undefined
    const hour = digits(text, start + 11, 2)
    const minute = digits(text, start + 14, 2)
    if (text.charCodeAt(start + 13) !== COLON || hour < 0 || hour > 23 || minute < 0 || minute > 59)
      return undefined

    let i = start + 16
    let second = -1
    if (i < end && text.charCodeAt(i) === COLON) {
      second = digits(text, i + 1, 2)
      if (second < 0 || second > 59 || i + 3 > end) return undefined
      i += 3
      if (i < end && text.charCodeAt(i) === DOT) {
        const fractionStart = ++i
        while (i < end && isDigit(text.charCodeAt(i))) i++
        if (i === fractionStart) return undefined
      }
    }
    if (i === end) return dayString(year, month, day)

    // RFC 3339: a time with an offset carries seconds. Fractions never move a day boundary, which
    // falls on a whole second in every zone, so they are ignored.
    if (second < 0) return undefined
    let offsetSeconds: number
    const sign = text.charCodeAt(i)
    if (sign === UPPER_Z && i + 1 === end) {
      offsetSeconds = 0
    } else if ((sign === PLUS || sign === DASH) && i + 6 === end && text.charCodeAt(i + 3) === COLON) {
      const offsetHour = digits(text, i + 1, 2)
      const offsetMinute = digits(text, i + 4, 2)
      if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return undefined
      offsetSeconds = (sign === DASH ? -1 : 1) * (offsetHour * 3600 + offsetMinute * 60)
    } else {
      return undefined
    }

    const instant =
      daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offsetSeconds
    const local = civilFromDays(Math.floor((instant + offsetAt(instant)) / SECONDS_PER_DAY))
    if (local.year < 0 || local.year > 9999) return undefined
    return dayString(local.year, local.month, local.day)
  }
}

/** The zone's UTC offset in seconds at an instant (epoch seconds), cached per hour without a transition. */
function zoneOffset(timeZone: string): (instant: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  const resolved = format.resolvedOptions().timeZone
  if (resolved === 'UTC' || resolved === 'Etc/UTC' || resolved === 'Etc/GMT' || resolved === 'GMT')
    return () => 0

  const exact = (instant: number): number => {
    const at = Math.min(Math.max(instant, FIRST_INTL_SECOND), LAST_INTL_SECOND)
    let year = 0
    let month = 0
    let day = 0
    let hour = 0
    let minute = 0
    let second = 0
    for (const part of format.formatToParts(at * 1000)) {
      const n = Number(part.value)
      if (part.type === 'year') year = n
      else if (part.type === 'month') month = n
      else if (part.type === 'day') day = n
      else if (part.type === 'hour') hour = n
      else if (part.type === 'minute') minute = n
      else if (part.type === 'second') second = n
    }
    return daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - at
  }

  // NaN marks an hour that contains a transition: those instants are resolved exactly.
  const byHour = new Map<number, number>()
  return (instant) => {
    const hourIndex = Math.floor(instant / 3600)
    let offset = byHour.get(hourIndex)
    if (offset === undefined) {
      const start = exact(hourIndex * 3600)
      offset = start === exact(hourIndex * 3600 + 3599) ? start : Number.NaN
      if (byHour.size >= OFFSET_CACHE_LIMIT) byHour.clear()
      byHour.set(hourIndex, offset)
    }
    return Number.isNaN(offset) ? exact(instant) : offset
  }
}

/**
 * The digit at `index`, or a large negative number when it is none, so that any sum or product of digits
 * with a non-digit among them is negative.
 */
function digit(text: string, index: number): number {
  const d = text.charCodeAt(index) - DIGIT_0
  return d >= 0 && d <= 9 ? d : -1e6
}

/** The number written by `count` digits at `start`, or -1. Callers keep the digits inside their field. */
function digits(value: string, start: number, count: number): number {
  let n = 0
  for (let i = start; i < start + count; i++) {
    const c = value.charCodeAt(i)
    if (!isDigit(c)) return -1
    n = n * 10 + c - DIGIT_0
  }
  return n
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/** The proleptic Gregorian date of a day number (H. Hinnant's civil_from_days). */
function civilFromDays(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const month = mp < 10 ? mp + 3 : mp - 9
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * mp + 2) / 5) + 1,
  }
}
