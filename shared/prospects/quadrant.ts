/**
 * Prospect quadrants, from expected contribution (look-alike) and purchase intent.
 *
 * | quadrant | contribution | intent | strategy |
 * |----------|--------------|--------|----------|
 * | PI       | high         | high   | close now |
 * | PII      | high         | low    | nurture |
 * | PIII     | low          | high   | quick low-touch win |
 * | PIV      | low          | low    | deprioritise |
 *
 * Intent is high from `intent.highIntent` (default 0.5) on. Contribution is high from
 * `highContribution` on when it is configured; otherwise when the expected contribution is strictly
 * above the mean net value of the customer base (a prospect that looks like the average customer,
 * or that fell back to the population, is low).
 */
import type { ProspectConfig } from './config.ts'

export type ProspectQuadrant = 'PI' | 'PII' | 'PIII' | 'PIV'

export const PROSPECT_QUADRANTS = ['PI', 'PII', 'PIII', 'PIV'] as const satisfies readonly ProspectQuadrant[]

export const PROSPECT_STRATEGY = {
  PI: 'close now',
  PII: 'nurture',
  PIII: 'quick low-touch win',
  PIV: 'deprioritise',
} as const satisfies Record<ProspectQuadrant, string>

export interface ProspectQuadrantResult {
  readonly quadrant: ProspectQuadrant
  readonly highContribution: boolean
  readonly highIntent: boolean
  /** The contribution threshold applied, and whether it is the configured one or the mean. */
  readonly threshold: { readonly value: number; readonly source: 'configured' | 'customer mean' }
}

export function contributionThreshold(
  config: ProspectConfig,
  populationMean: number,
): ProspectQuadrantResult['threshold'] {
  return config.highContribution === undefined
    ? { value: populationMean, source: 'customer mean' }
    : { value: config.highContribution, source: 'configured' }
}

export function prospectQuadrant(
  expectedContribution: number,
  intent: number,
  threshold: ProspectQuadrantResult['threshold'],
  config: ProspectConfig,
): ProspectQuadrantResult {
  const highContribution =
    threshold.source === 'configured'
      ? expectedContribution >= threshold.value
      : expectedContribution > threshold.value
  const highIntent = intent >= config.intent.highIntent
  const quadrant: ProspectQuadrant = highContribution
    ? highIntent
      ? 'PI'
      : 'PII'
    : highIntent
      ? 'PIII'
      : 'PIV'
  return { quadrant, highContribution, highIntent, threshold }
}
