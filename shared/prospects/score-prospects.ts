/**
 * Scores prospects against a customer base: look-alike expected contribution, intent, quadrant and
 * reason codes per prospect, and a summary (counts by quadrant, AUC of intent against conversions).
 * Pure: the as-of day, the run id and the customer base are inputs.
 */
import { auc } from './auc.ts'
import type { ProspectConfig } from './config.ts'
import { intentOf } from './intent.ts'
import { estimateContribution, type LookalikeBase } from './lookalike.ts'
import type { ProspectRow } from './profile.ts'
import {
  contributionThreshold,
  PROSPECT_QUADRANTS,
  PROSPECT_STRATEGY,
  type ProspectQuadrant,
  prospectQuadrant,
} from './quadrant.ts'
import { PROSPECT_MODEL_VERSION, type ProspectRecord } from './record.ts'

/** Every prospect reason code with its meaning; codes are stable, texts may be reworded. */
export const PROSPECT_REASON_CODES = {
  QUADRANT_PI: 'high expected contribution, high intent: close now',
  QUADRANT_PII: 'high expected contribution, low intent: nurture',
  QUADRANT_PIII: 'low expected contribution, high intent: quick low-touch win',
  QUADRANT_PIV: 'low expected contribution, low intent: deprioritise',
  LOOKALIKE_CELL: 'expected contribution from customers sharing the full profile',
  LOOKALIKE_BROADER: 'too few customers share the full profile: estimated from a broader cell',
  LOOKALIKE_POPULATION: 'no cell of the profile has enough customers: the mean of all customers',
  LOOKALIKE_NO_CUSTOMERS: 'no scored customer yet: the expected contribution is 0',
  INTENT_QUOTE_REQUESTED: 'a quote was requested',
  INTENT_MEETING_HELD: 'a meeting was held',
  INTENT_RECENT_CONTACT: 'contacted within the intent half-life',
  INTENT_NO_RECENT_CONTACT: 'no contact in the last 90 days, or no contact date',
  CONVERTED: 'the prospect became a customer; kept to judge the intent weights (AUC)',
} as const

export type ProspectReasonCode = keyof typeof PROSPECT_REASON_CODES

export interface ProspectSummary {
  readonly prospects: number
  /** Prospects not yet converted: the ones counted by quadrant. */
  readonly open: number
  readonly converted: number
  readonly quadrant: Record<ProspectQuadrant, { prospects: number; expectedContribution: number }>
  /** How well intent ranks converted prospects above the others; null without both kinds. */
  readonly intentAuc: number | null
  readonly contributionThreshold: { value: number; source: 'configured' | 'customer mean' }
  readonly customerBase: { customers: number; meanNetValue: number; meanAcquisitionCost: number | null }
}

export interface ScoredProspects {
  readonly records: ProspectRecord[]
  readonly summary: ProspectSummary
}

export function scoreProspects(
  rows: readonly ProspectRow[],
  base: LookalikeBase,
  config: ProspectConfig,
  asOf: string,
  runId: string | null,
): ScoredProspects {
  const threshold = contributionThreshold(config, base.populationMean)
  const records = rows.map((row) => scoreOne(row, base, threshold, config, asOf, runId))
  const quadrant = Object.fromEntries(
    PROSPECT_QUADRANTS.map((q) => [q, { prospects: 0, expectedContribution: 0 }]),
  ) as ProspectSummary['quadrant']
  let converted = 0
  for (const record of records) {
    if (record.convertedCustomerId !== null) {
      converted++
      continue
    }
    quadrant[record.quadrant].prospects++
    quadrant[record.quadrant].expectedContribution += record.expectedContribution
  }
  for (const figures of Object.values(quadrant)) {
    figures.expectedContribution = round(figures.expectedContribution, 2)
  }
  const intentAuc = auc(records.map((r) => ({ score: r.intent, positive: r.convertedCustomerId !== null })))
  return {
    records,
    summary: {
      prospects: records.length,
      open: records.length - converted,
      converted,
      quadrant,
      intentAuc: intentAuc === null ? null : round(intentAuc, 4),
      contributionThreshold: { value: round(threshold.value, 2), source: threshold.source },
      customerBase: {
        customers: base.populationCustomers,
        meanNetValue: round(base.populationMean, 2),
        meanAcquisitionCost:
          base.populationAcquisitionCost === null ? null : round(base.populationAcquisitionCost, 2),
      },
    },
  }
}

function scoreOne(
  row: ProspectRow,
  base: LookalikeBase,
  threshold: ReturnType<typeof contributionThreshold>,
  config: ProspectConfig,
  asOf: string,
  runId: string | null,
): ProspectRecord {
  const lookalike = estimateContribution(base, row, config.lookalike)
  const intent = intentOf(row, asOf, config.intent)
  const q = prospectQuadrant(lookalike.expectedContribution, intent.intent, threshold, config)
  const expected = round(lookalike.expectedContribution, 2)
  const cell = Object.entries(lookalike.cell)
    .map(([field, value]) => `${field}=${value}`)
    .join('; ')
  const reasons: ProspectRecord['reasons'] = []
  const add = (code: ProspectReasonCode, text: string) => reasons.push({ code, text })
  add(
    `QUADRANT_${q.quadrant}`,
    `expected contribution ${money(expected)} is ${q.highContribution ? 'high' : 'low'} (${
      threshold.source === 'configured' ? 'threshold' : 'customer mean'
    } ${money(threshold.value)}), intent ${intent.intent.toFixed(2)} is ${
      q.highIntent ? 'high' : 'low'
    } (from ${config.intent.highIntent}): ${PROSPECT_STRATEGY[q.quadrant]}`,
  )
  if (lookalike.basis === 'cell') {
    add('LOOKALIKE_CELL', `${lookalike.customers} customers share ${cell}`)
  } else if (lookalike.basis === 'broader') {
    add('LOOKALIKE_BROADER', `estimated from ${lookalike.customers} customers with ${cell}`)
  } else if (lookalike.basis === 'population') {
    add('LOOKALIKE_POPULATION', `mean of all ${lookalike.customers} customers`)
  } else {
    add('LOOKALIKE_NO_CUSTOMERS', PROSPECT_REASON_CODES.LOOKALIKE_NO_CUSTOMERS)
  }
  if (row.quoteRequested) add('INTENT_QUOTE_REQUESTED', PROSPECT_REASON_CODES.INTENT_QUOTE_REQUESTED)
  if (row.meetingHeld) add('INTENT_MEETING_HELD', PROSPECT_REASON_CODES.INTENT_MEETING_HELD)
  const days = intent.daysSinceContact
  if (days !== null && days <= config.intent.halfLifeDays) {
    add('INTENT_RECENT_CONTACT', `last contact ${days} days ago`)
  } else if (days === null || days > 90) {
    add('INTENT_NO_RECENT_CONTACT', days === null ? 'no contact date' : `last contact ${days} days ago`)
  }
  if (row.convertedCustomerId !== undefined) {
    add('CONVERTED', `became customer ${row.convertedCustomerId}`)
  }
  return {
    prospectId: row.prospectId,
    asOf,
    modelVersion: PROSPECT_MODEL_VERSION,
    runId,
    industry: row.industry ?? null,
    sizeBand: row.sizeBand ?? null,
    region: row.region ?? null,
    expectedContribution: expected,
    lookalikeBasis: lookalike.basis,
    lookalikeCell: cell,
    lookalikeCustomers: lookalike.customers,
    lookalikeAcquisitionCost: lookalike.acquisitionCost === null ? null : round(lookalike.acquisitionCost, 2),
    intent: round(intent.intent, 4),
    visits30d: row.visits30d ?? 0,
    visits90d: row.visits90d ?? row.visits30d ?? 0,
    inquiries30d: row.inquiries30d ?? 0,
    inquiries90d: row.inquiries90d ?? row.inquiries30d ?? 0,
    quoteRequested: row.quoteRequested ?? false,
    meetingHeld: row.meetingHeld ?? false,
    lastContactDate: row.lastContactDate ?? null,
    daysSinceContact: days,
    quadrant: q.quadrant,
    quadrantStrategy: PROSPECT_STRATEGY[q.quadrant],
    convertedCustomerId: row.convertedCustomerId ?? null,
    reasons,
  }
}

function money(value: number): string {
  return value.toFixed(2)
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
