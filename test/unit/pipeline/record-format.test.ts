import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { csvCell } from '../../../shared/csv.ts'
import { SCORE_FIELDS, type ScoreRecord } from '../../../shared/domain/score-record.ts'
import { customerTable } from '../../../shared/pipeline/customer-table.ts'
import { fitTable } from '../../../shared/pipeline/population.ts'
import { csvRecord, scoreLine } from '../../../shared/pipeline/record-format.ts'
import { scorePopulation } from '../../../shared/pipeline/score-population.ts'
import { parseScoringConfig } from '../../../shared/scoring-config.ts'
import { flatString } from '../../../shared/text.ts'
import { loadSample } from './cdnow-sample.ts'

/** Characters that need escaping or quoting somewhere, and some that need none but are not ASCII. */
const AWKWARD = [
  '"',
  '\\',
  '\u0000',
  '\b',
  '\t',
  '\n',
  '\f',
  '\r',
  '\u001f',
  '\u007f',
  ',',
  ';',
  ':',
  '=',
  '+',
  '-',
  '@',
  "'",
  ' ',
  'é',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  '\ufeff',
  '1e5',
  '.5',
]

const text = fc.oneof(
  fc.string({
    unit: fc.oneof(
      fc.constantFrom(...AWKWARD),
      fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c)),
    ),
  }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', 'C0001', '2025-12-31', 'Cannot lose them', '=HYPERLINK("x")', '-5', '+3.5e2'),
)

const number = fc.oneof(
  fc.double(),
  fc.constantFrom(-0, 0, 1e21, 1e-7, 123456789012345680000, 5e-324, -1.7976931348623157e308, 0.1 + 0.2),
  fc.integer(),
  fc.double({ min: -1e6, max: 1e6 }).map((v) => Math.round(v * 100) / 100),
)

const reason = fc.record({ code: text, text })

/** A record with every field in SCORE_FIELDS order, as Scorer.score builds it. */
const record: fc.Arbitrary<ScoreRecord> = recordWith(reason)

/** Text that JSON writes as it is: printable ASCII but the quote and the backslash. */
const plainText = fc.string({
  unit: fc
    .integer({ min: 32, max: 126 })
    .filter((c) => c !== 34 && c !== 92)
    .map((c) => String.fromCharCode(c)),
})

function recordWith(reason: fc.Arbitrary<{ code: string; text: string }>): fc.Arbitrary<ScoreRecord> {
  return fc
    .record({
      customerId: text,
      asOf: text,
      modelVersion: text,
      runId: text,
      firstPurchase: text,
      lastPurchase: text,
      x: number,
      tx: number,
      T: number,
      timeUnit: text,
      recency: number,
      frequency: number,
      monetary: number,
      totalSpend: number,
      totalMargin: number,
      historicValue: number,
      monthlySpend: fc.array(number, { maxLength: 14 }),
      quarterlySpend: fc.array(number, { maxLength: 6 }),
      expectedPurchases: number,
      pAlive: number,
      churnRisk: number,
      expectedSpend: number,
      clv: number,
      netValue: number,
      rfmScore: text,
      rfmSegment: text,
      tier: text,
      tierStrategy: text,
      quadrant: text,
      quadrantStrategy: text,
      clearOutRecommended: fc.constantFrom(true, false, null),
      pattern: text,
      decision: text,
      reasons: fc.array(reason, { maxLength: 9 }),
    })
    .map((r) => r as unknown as ScoreRecord)
}

/** The records of the CDNOW sample (2357 customers) scored as of 1998-06-30 under `config`. */
async function sampleRecords(config: Record<string, unknown>): Promise<ScoreRecord[]> {
  const store = await loadSample()
  const asOf = '1998-06-30'
  const parsed = parseScoringConfig(config)
  const table = customerTable(store, asOf, parsed)
  const model = fitTable(table, parsed, asOf, `run-${asOf}`)
  return [...scorePopulation(table, parsed, asOf, { runId: model.runId, model }).records]
}

/** The CSV row as the writer built it before (one csvCell per field, joined). */
function referenceCsv(record: ScoreRecord): string {
  return SCORE_FIELDS.map((field) => {
    const value = record[field]
    if (field === 'reasons') return record.reasons.map((r) => `${r.code}: ${r.text}`).join('; ')
    if (Array.isArray(value)) return value.join(' ')
    return value as string | number | boolean | null
  })
    .map(referenceCell)
    .join(',')
}

function referenceCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value !== 'string') return String(value)
  const safe =
    /^[=+\-@\t\r]/.test(value) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

describe('record lines', () => {
  it('the generated records have every field of a score record, in order', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(Object.keys(r)).toEqual(SCORE_FIELDS)
      }),
      { numRuns: 5 },
    )
  })

  it('csvRecord writes exactly the row of one csvCell per field', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(csvRecord(r)).toBe(referenceCsv(r))
      }),
      { numRuns: 2000 },
    )
  })

  it('csvCell quotes and guards text as before', () => {
    fc.assert(
      fc.property(fc.oneof(text, number, fc.boolean(), fc.constant(null)), (value) => {
        expect(csvCell(value)).toBe(referenceCell(value))
      }),
      { numRuns: 5000 },
    )
  })

  it('scoreLine writes exactly JSON.stringify of a record whose reasons are plain text, and leaves it as it was', () => {
    fc.assert(
      fc.property(recordWith(fc.record({ code: plainText, text: plainText })), (r) => {
        const before = structuredClone(r)
        expect(scoreLine(r)).toBe(JSON.stringify(r))
        expect(r).toEqual(before)
        expect(Object.keys(r)).toEqual(SCORE_FIELDS)
      }),
      { numRuns: 2000 },
    )
  })

  it('scoreLine writes a record that cannot be changed whole', () => {
    fc.assert(
      fc.property(recordWith(fc.record({ code: plainText, text: plainText })), (r) => {
        expect(scoreLine(Object.freeze(r))).toBe(JSON.stringify(r))
      }),
      { numRuns: 200 },
    )
  })

  it('every reason the scorer gives is printable ASCII that JSON leaves as it is, so scoreLine writes JSON.stringify of every record', async () => {
    // Configurations that reach every decision (stop, reduce, key customers not stopped), both time
    // units and both stability periods.
    const configs = [
      {},
      { marketingCostPerCustomer: 5, retentionCostPerYear: 3, marginRate: 0.3 },
      { marketingCostPerCustomer: 40, decision: { highChurnRisk: 0.2 } },
      { timeUnit: 'weeks', stabilityPeriod: 'quarter', lookbackMonths: 24 },
    ]
    const codes = new Set<string>()
    for (const config of configs) {
      for (const r of await sampleRecords(config)) {
        for (const { code, text } of r.reasons) {
          codes.add(code)
          expect(JSON.stringify(code)).toBe(`"${code}"`)
          expect(JSON.stringify(text)).toBe(`"${text}"`)
          expect(text).toMatch(/^[ -~]*$/)
        }
        expect(scoreLine(r)).toBe(JSON.stringify(r))
      }
    }
    for (const code of ['DECISION_STOP', 'DECISION_REDUCE', 'DECISION_MAINTAIN', 'DECISION_INVEST']) {
      expect(codes).toContain(code)
    }
  })

  it('flatString keeps every string as it is', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(flatString(`${t}${t}`)).toBe(`${t}${t}`)
      }),
      { numRuns: 2000 },
    )
  })
})
