/**
 * Prospect scoring settings (the `prospects` section of the scoring configuration) and their
 * defaults. The README lists them.
 */

export interface IntentWeights {
  /** Per website visit. */
  readonly visit: number
  /** Per inquiry (call, form, e-mail asking about the offer). */
  readonly inquiry: number
  /** A quote was requested. */
  readonly quoteRequested: number
  /** A meeting was held. */
  readonly meetingHeld: number
}

export interface ProspectConfig {
  readonly intent: {
    readonly weights: IntentWeights
    /** A signal this many days old counts half as much as one of today. */
    readonly halfLifeDays: number
    /** From this intent (0-1) on, intent is high. */
    readonly highIntent: number
  }
  readonly lookalike: {
    /** Cells with fewer customers are skipped (the estimate falls back to a broader cell). */
    readonly minCellCustomers: number
    /** Pseudo-customers of the broader estimate added to every cell mean (credibility weight k). */
    readonly shrinkage: number
    /** Fields dropped one by one, first to last, on the way from the full profile to the population. */
    readonly dropOrder: readonly ('industry' | 'sizeBand' | 'region')[]
  }
  /**
   * From this expected contribution on, contribution is high. Absent: strictly above the mean net
   * value of the customer base, so "high" means a better look-alike than the average customer.
   */
  readonly highContribution?: number | undefined
}

export const DEFAULT_PROSPECT_CONFIG: ProspectConfig = {
  intent: {
    // A quote request or a meeting alone makes a prospect warm (1 - e^-1 = 0.63 when fresh); a
    // visit is a weak signal, an inquiry a moderate one.
    weights: { visit: 0.05, inquiry: 0.3, quoteRequested: 1, meetingHeld: 0.8 },
    halfLifeDays: 30,
    highIntent: 0.5,
  },
  lookalike: {
    minCellCustomers: 5,
    shrinkage: 10,
    // The region says least about value, the industry most.
    dropOrder: ['region', 'sizeBand', 'industry'],
  },
}
