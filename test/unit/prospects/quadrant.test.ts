import { describe, expect, it } from 'vitest'
import { DEFAULT_PROSPECT_CONFIG } from '../../../shared/prospects/config.ts'
import { buildLookalikeBase } from '../../../shared/prospects/lookalike.ts'
import { ProspectRowSchema } from '../../../shared/prospects/profile.ts'
import { contributionThreshold, prospectQuadrant } from '../../../shared/prospects/quadrant.ts'
import { ProspectRecordSchema } from '../../../shared/prospects/record.ts'
import { scoreProspects } from '../../../shared/prospects/score-prospects.ts'

const config = DEFAULT_PROSPECT_CONFIG
const mean = contributionThreshold(config, 200)

describe('prospect quadrants', () => {
  it('crosses contribution above the customer mean with intent from the high-intent line', () => {
    expect(prospectQuadrant(250, 0.6, mean, config).quadrant).toBe('PI')
    expect(prospectQuadrant(250, 0.49, mean, config).quadrant).toBe('PII')
    // A tie with the intent line is high; a tie with the customer mean is low.
    expect(prospectQuadrant(150, 0.5, mean, config).quadrant).toBe('PIII')
    expect(prospectQuadrant(200, 0.5, mean, config).quadrant).toBe('PIII')
    expect(prospectQuadrant(200, 0.1, mean, config).quadrant).toBe('PIV')
  })

  it('takes a configured contribution threshold inclusively, and a configured intent line', () => {
    const configured = { ...config, highContribution: 200, intent: { ...config.intent, highIntent: 0.8 } }
    const threshold = contributionThreshold(configured, 1_000)
    expect(threshold).toEqual({ value: 200, source: 'configured' })
    expect(prospectQuadrant(200, 0.8, threshold, configured).quadrant).toBe('PI')
    expect(prospectQuadrant(199.99, 0.79, threshold, configured).quadrant).toBe('PIV')
  })
})

describe('scoring prospects', () => {
  const base = buildLookalikeBase(
    [
      { customerId: 'c1', netValue: 500 },
      { customerId: 'c2', netValue: 700 },
      { customerId: 'c3', netValue: 300 },
      { customerId: 'c4', netValue: 100 },
      { customerId: 'c5', netValue: 100 },
      { customerId: 'c6', netValue: 100 },
    ],
    ['c1', 'c2', 'c3'].map((customerId) => ({ customerId, industry: 'software' })),
  )
  const lookalike = { ...config.lookalike, minCellCustomers: 3, shrinkage: 0 }
  const rows = [
    { prospectId: 'p1', industry: 'software', quoteRequested: true, lastContactDate: '2026-06-28' },
    { prospectId: 'p2', industry: 'software' },
    { prospectId: 'p3', region: 'north', meetingHeld: true, inquiries30d: 3, lastContactDate: '2026-06-29' },
    { prospectId: 'p4', region: 'north', visits30d: 1 },
    { prospectId: 'p5', industry: 'software', quoteRequested: true, convertedCustomerId: 'c1' },
  ].map((row) => ProspectRowSchema.parse(row))
  const { records, summary } = scoreProspects(rows, base, { ...config, lookalike }, '2026-06-30', 'r1')

  it('gives every prospect a valid record with its quadrant, strategy and reasons', () => {
    for (const record of records) expect(ProspectRecordSchema.parse(record)).toEqual(record)
    expect(records.map((r) => [r.prospectId, r.quadrant, r.quadrantStrategy])).toEqual([
      ['p1', 'PI', 'close now'],
      ['p2', 'PII', 'nurture'],
      ['p3', 'PIII', 'quick low-touch win'],
      ['p4', 'PIV', 'deprioritise'],
      ['p5', 'PII', 'nurture'],
    ])
    expect(records[0]).toMatchObject({
      expectedContribution: 500,
      lookalikeBasis: 'cell',
      lookalikeCustomers: 3,
    })
    expect(records[0]?.reasons.map((r) => r.code)).toEqual([
      'QUADRANT_PI',
      'LOOKALIKE_CELL',
      'INTENT_QUOTE_REQUESTED',
      'INTENT_RECENT_CONTACT',
    ])
    expect(records[3]?.reasons.map((r) => r.code)).toEqual([
      'QUADRANT_PIV',
      'LOOKALIKE_POPULATION',
      'INTENT_NO_RECENT_CONTACT',
    ])
    expect(records[4]?.reasons.map((r) => r.code)).toContain('CONVERTED')
  })

  it('counts open prospects by quadrant and reports the AUC of intent against conversions', () => {
    expect(summary).toMatchObject({ prospects: 5, open: 4, converted: 1 })
    expect(summary.quadrant.PI.prospects).toBe(1)
    expect(summary.quadrant.PII).toEqual({ prospects: 1, expectedContribution: 500 })
    expect(summary.contributionThreshold).toEqual({ value: 300, source: 'customer mean' })
    // The converter's undated quote (0.12) beats only p2 (0) and p4 (a visit, 0.04): 2 of 4 pairs.
    expect(summary.intentAuc).toBe(0.5)
  })
})

describe('prospect rows', () => {
  it('need at least one profile field and 90-day counts that include the 30-day ones', () => {
    expect(ProspectRowSchema.safeParse({ prospectId: 'p1', visits30d: 1 }).error?.issues[0]?.path).toEqual([
      'industry',
    ])
    expect(
      ProspectRowSchema.safeParse({ prospectId: 'p1', region: 'x', visits30d: 3, visits90d: 2 }).error
        ?.issues[0]?.path,
    ).toEqual(['visits90d'])
    expect(ProspectRowSchema.safeParse({ prospectId: 'p1', region: ' x ' }).data?.region).toBe('x')
  })
})
