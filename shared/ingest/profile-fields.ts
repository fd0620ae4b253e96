import type { z } from 'zod'
import {
  type CustomerMasterRow,
  CustomerMasterRowSchema,
  type ProspectRow,
  ProspectRowSchema,
} from '../prospects/profile.ts'
import type { UploadContract } from './parse-transactions.ts'
import { keepValue, parseDecimal, type RowSink } from './transaction-fields.ts'

/**
 * Upload contracts of the customer master file (incoming/customers/) and the prospects file
 * (incoming/prospects/): the same formats, header rules and per-line, per-field rejections as
 * transaction files. These files are small next to transactions, so each row is checked by its zod
 * schema (shared/prospects/profile.ts) after its cells are converted:
 * - text: spaces and tabs around a value are ignored; an empty value counts as absent.
 * - whole numbers: digits only (`0`, `12`); in JSON also numbers.
 * - yes/no: `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0` (any case); in JSON also booleans.
 * - decimals as in transaction files (`12.50`); dates `YYYY-MM-DD`.
 */

type CellKind = 'text' | 'id' | 'count' | 'flag' | 'decimal' | 'date'

interface ColumnSpec {
  /** Column name in CSV headers and JSON lines. */
  readonly column: string
  /** Property of the row schema. */
  readonly property: string
  readonly kind: CellKind
}

const column = (name: string, property: string, kind: CellKind): ColumnSpec => ({
  column: name,
  property,
  kind,
})

const PROFILE_COLUMNS = [
  column('industry', 'industry', 'text'),
  column('size_band', 'sizeBand', 'text'),
  column('region', 'region', 'text'),
]

export const CUSTOMER_COLUMNS: readonly ColumnSpec[] = [
  column('customer_id', 'customerId', 'id'),
  ...PROFILE_COLUMNS,
  column('acquisition_date', 'acquisitionDate', 'date'),
  column('acquisition_cost', 'acquisitionCost', 'decimal'),
]

export const PROSPECT_COLUMNS: readonly ColumnSpec[] = [
  column('prospect_id', 'prospectId', 'id'),
  ...PROFILE_COLUMNS,
  column('visits_30d', 'visits30d', 'count'),
  column('visits_90d', 'visits90d', 'count'),
  column('inquiries_30d', 'inquiries30d', 'count'),
  column('inquiries_90d', 'inquiries90d', 'count'),
  column('quote_requested', 'quoteRequested', 'flag'),
  column('meeting_held', 'meetingHeld', 'flag'),
  column('last_contact_date', 'lastContactDate', 'date'),
  column('converted_customer_id', 'convertedCustomerId', 'id'),
]

/** Where each column sits in a CSV record, in the order of the column list; -1 when absent. */
type Positions = readonly number[]

export const customerContract = (): UploadContract<CustomerMasterRow, Positions> =>
  schemaContract(CUSTOMER_COLUMNS, CustomerMasterRowSchema)

export const prospectContract = (): UploadContract<ProspectRow, Positions> =>
  schemaContract(PROSPECT_COLUMNS, ProspectRowSchema)

/** The id column of a contract's rows: the first column, always required. */
export const idColumn = (columns: readonly ColumnSpec[]): ColumnSpec => columns[0] as ColumnSpec

function schemaContract<Row>(
  specs: readonly ColumnSpec[],
  schema: z.ZodType<Row>,
): UploadContract<Row, Positions> {
  const byProperty = new Map(specs.map((spec) => [spec.property, spec]))
  return {
    columns: specs.map((spec) => spec.column),
    required: [idColumn(specs).column],
    columnsOf: (indexOf) => specs.map((spec) => indexOf(spec.column)),
    checker: (sink: RowSink<Row>) => {
      const check = (line: number, raw: (spec: ColumnSpec, i: number) => unknown) => {
        const object: Record<string, unknown> = {}
        const texts = new Map<string, string>()
        // Every bad field of the row is reported: cells that do not convert, then schema problems.
        const seen = new Set<string>()
        specs.forEach((spec, i) => {
          const value = raw(spec, i)
          if (value === undefined || value === null) return
          const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
          const cell = convert(spec.kind, value)
          if (cell === ABSENT) return
          texts.set(spec.column, text)
          if (cell === INVALID) {
            seen.add(spec.column)
            sink.reject({
              line,
              field: spec.column,
              reason: `${spec.column}: ${show(text)} ${EXPECTED[spec.kind]}`,
              value: keepValue(text),
            })
            return
          }
          object[spec.property] = cell
        })
        const result = schema.safeParse(object)
        if (result.success) {
          if (seen.size === 0) sink.accept(result.data, line)
          return
        }
        for (const issue of result.error.issues) {
          const spec = byProperty.get(String(issue.path[0] ?? '')) ?? idColumn(specs)
          if (seen.has(spec.column)) continue
          seen.add(spec.column)
          const text = texts.get(spec.column)
          sink.reject(
            text === undefined
              ? { line, field: spec.column, reason: missingReason(spec, issue.message) }
              : {
                  line,
                  field: spec.column,
                  reason: `${spec.column}: ${show(text)} ${issue.message}`,
                  value: keepValue(text),
                },
          )
        }
      }
      return {
        checkRecord(line, source, starts, ends, positions) {
          check(line, (_, i) => {
            const at = positions[i] ?? -1
            return at < 0 ? undefined : source.slice(starts[at], ends[at])
          })
        },
        checkObject(line, object) {
          check(line, (spec) => object[spec.column])
        },
      }
    },
  }
}

const ABSENT = Symbol('absent')
const INVALID = Symbol('invalid')

const EXPECTED: Record<CellKind, string> = {
  text: 'is not text',
  id: 'is not text',
  count: 'is not a whole number of zero or more',
  flag: 'is not yes or no (true, false, yes, no, y, n, 1, 0)',
  decimal: 'is not a decimal number',
  date: 'is not a date (YYYY-MM-DD)',
}

const YES = new Set(['true', 'yes', 'y', '1'])
const NO = new Set(['false', 'no', 'n', '0'])

function convert(kind: CellKind, raw: unknown): unknown {
  if (typeof raw === 'string') {
    const text = raw.replace(/^[ \t]+|[ \t]+$/g, '')
    if (text === '') return ABSENT
    switch (kind) {
      case 'text':
      case 'id':
      case 'date':
        return text
      case 'count':
        return /^\d{1,9}$/.test(text) ? Number(text) : INVALID
      case 'flag': {
        const lower = text.toLowerCase()
        return YES.has(lower) ? true : NO.has(lower) ? false : INVALID
      }
      case 'decimal': {
        const n = parseDecimal(text)
        return Number.isFinite(n) ? n : INVALID
      }
    }
  }
  if (typeof raw === 'number') {
    if (kind === 'id' && Number.isSafeInteger(raw)) return String(raw)
    if (kind === 'count' || kind === 'decimal') return Number.isFinite(raw) ? raw : INVALID
    if (kind === 'flag' && (raw === 0 || raw === 1)) return raw === 1
    return INVALID
  }
  if (typeof raw === 'boolean' && kind === 'flag') return raw
  return INVALID
}

function missingReason(spec: ColumnSpec, message: string): string {
  // Cross-field rules (a profile field or a count pair) are reported on their first column.
  return message.startsWith('Invalid input') ? `${spec.column} is missing` : `${spec.column}: ${message}`
}

function show(value: string): string {
  return `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`
}
