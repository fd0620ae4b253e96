/**
 * RFM scores from population cut-offs, and the RFM segment map.
 *
 * R is days since the last purchase (more recent scores higher), F the number of purchase
 * occasions, M the mean occasion value. Each dimension is split into `bins` groups (quintiles by
 * default) of the population; score 1 is the worst group and `bins` the best.
 *
 * Cut-off rule (values, not ranks, so equal values always score the same):
 * - Sort the population from worst to best (F and M ascending, R descending, i.e. oldest first).
 *   Cut-off k (k = 1 .. bins - 1) is the value at position ceil(k n / bins) in that order (1-based):
 *   the last value of group k when there are no ties.
 * - A customer's score is 1 + the number of cut-offs they are strictly better than
 *   (F, M: value > cut-off; R: days < cut-off).
 * - Without ties every group holds n / bins customers (differing by at most one when n is not a
 *   multiple of bins). A value tied across a cut-off keeps the lowest score its group spans: ties
 *   never lift a score. With heavy ties some scores are unused: when 60% of customers have F = 1,
 *   cut-offs 1 to 3 are all 1, those customers score F = 1 and nobody scores 2 or 3.
 * - The cut-offs depend only on the multiset of values, never on the input order.
 */
import { orderStatistics } from './stats.ts'

export type RfmValues = {
  /** Days since the last purchase occasion. */
  readonly recency: number
  /** Purchase occasions. */
  readonly frequency: number
  /** Mean occasion value. */
  readonly monetary: number
}

/** The population as columns, for large runs (typed arrays or plain arrays of equal length). */
export type RfmColumns = {
  readonly recency: ArrayLike<number>
  readonly frequency: ArrayLike<number>
  readonly monetary: ArrayLike<number>
}

export type RfmConfig = {
  /** Number of score groups per dimension, 1 to 9 (one digit per dimension in the cell). */
  readonly bins: number
}

export const DEFAULT_RFM_CONFIG: RfmConfig = {
  /** Quintiles: the classic RFM scale, and the one the segment map is defined on. */
  bins: 5,
}

/** Small and serialisable: it travels in the run record and scores any customer later. */
export type RfmCutoffs = {
  readonly bins: number
  /** Days, descending: a customer with fewer days than cut-off k scores above k. */
  readonly recency: readonly number[]
  /** Occasions, ascending: a customer with more occasions than cut-off k scores above k. */
  readonly frequency: readonly number[]
  /** Mean occasion value, ascending: a customer spending more than cut-off k scores above k. */
  readonly monetary: readonly number[]
}

export type RfmScores = {
  readonly r: number
  readonly f: number
  readonly m: number
  /** The three scores as digits, R first, e.g. '545'. */
  readonly cell: string
}

export function rfmCutoffs(
  population: readonly RfmValues[] | RfmColumns,
  bins: number = DEFAULT_RFM_CONFIG.bins,
): RfmCutoffs {
  if (!Number.isInteger(bins) || bins < 1 || bins > 9)
    throw new RangeError('bins must be an integer from 1 to 9')
  const columns = isRows(population) ? toColumns(population) : population
  const n = columns.recency.length
  if (columns.frequency.length !== n || columns.monetary.length !== n) {
    throw new RangeError('recency, frequency and monetary columns must have the same length')
  }
  // Cut-off k is at 0-based position ceil(k n / bins) - 1 of the worst-to-best order: k n is an integer,
  // so the quotient is exact whenever it is whole and ceil cannot overshoot. Recency runs from the
  // most days to the fewest, the other dimensions from the least to the most.
  const positions = (descending: boolean) =>
    Array.from({ length: bins - 1 }, (_, j) => {
      const at = Math.ceil(((j + 1) * n) / bins) - 1
      return descending ? n - 1 - at : at
    })
  return {
    bins,
    recency: orderStatistics(columns.recency, positions(true), 'recency'),
    frequency: orderStatistics(columns.frequency, positions(false), 'frequency'),
    monetary: orderStatistics(columns.monetary, positions(false), 'monetary'),
  }
}

export function rfmScores(cutoffs: RfmCutoffs, customer: RfmValues): RfmScores {
  const { recency, frequency, monetary } = customer
  if (!(Number.isFinite(recency) && Number.isFinite(frequency) && Number.isFinite(monetary))) {
    throw new RangeError('recency, frequency and monetary must be finite numbers')
  }
  // Plain loops and a table of cell names: this runs for every customer of every run.
  let r = 1
  for (const cut of cutoffs.recency) if (recency < cut) r++
  let f = 1
  for (const cut of cutoffs.frequency) if (frequency > cut) f++
  let m = 1
  for (const cut of cutoffs.monetary) if (monetary > cut) m++
  return { r, f, m, cell: cellName(r, f, m) }
}

/** The cells of scores 1-9, each name made once. */
const CELL_NAMES: (string | undefined)[] = Array.from({ length: 1000 }, () => undefined)

function cellName(r: number, f: number, m: number): string {
  if (r > 9 || f > 9 || m > 9) return `${r}${f}${m}`
  const k = (r * 10 + f) * 10 + m
  let name = CELL_NAMES[k]
  if (name === undefined) {
    name = `${r}${f}${m}`
    CELL_NAMES[k] = name
  }
  return name
}

function isRows(population: readonly RfmValues[] | RfmColumns): population is readonly RfmValues[] {
  return Array.isArray(population)
}

function toColumns(rows: readonly RfmValues[]): RfmColumns {
  const recency = new Float64Array(rows.length)
  const frequency = new Float64Array(rows.length)
  const monetary = new Float64Array(rows.length)
  rows.forEach((row, i) => {
    recency[i] = row.recency
    frequency[i] = row.frequency
    monetary[i] = row.monetary
  })
  return { recency, frequency, monetary }
}

export type RfmSegment =
  | 'Champions'
  | 'Loyal'
  | 'Potential loyalist'
  | 'New'
  | 'Promising'
  | 'Need attention'
  | 'About to sleep'
  | 'At risk'
  | 'Cannot lose them'
  | 'Hibernating'
  | 'Lost'

/** FM is the mean of the F and M scores (1, 1.5, ..., 5); these are the map's columns. */
export const RFM_FM_BANDS = ['FM < 2', '2 <= FM < 3', '3 <= FM < 4', 'FM >= 4'] as const

type SegmentRow = readonly [RfmSegment, RfmSegment, RfmSegment, RfmSegment]

/**
 * The common 11-segment RFM map on R and FM (quintile scores), made exact. The usual published
 * ranges overlap and leave holes; this grid keeps every cell inside its segment's usual ranges where
 * they agree and decides the rest by the reading in brackets:
 *
 * | R \ FM | < 2            | 2 to < 3           | 3 to < 4 | >= 4             |
 * |--------|----------------|--------------------|----------|------------------|
 * | 5      | New            | Potential loyalist | Loyal    | Champions        |
 * | 4      | Promising      | Potential loyalist | Loyal    | Champions        |
 * | 3      | About to sleep | Need attention     | Loyal    | Loyal            |
 * | 2      | Hibernating    | Hibernating        | At risk  | At risk          |
 * | 1      | Lost           | Hibernating        | At risk  | Cannot lose them |
 *
 * - R = 2 with FM >= 3 is At risk rather than Loyal (a good customer whose recency has slipped).
 * - Cannot lose them needs the oldest recency and the best FM (former champions now gone quiet).
 * - Low FM at R 1 to 2 is Hibernating, and Lost only at the bottom of both.
 */
export const RFM_SEGMENT_MAP: Readonly<Record<1 | 2 | 3 | 4 | 5, SegmentRow>> = {
  5: ['New', 'Potential loyalist', 'Loyal', 'Champions'],
  4: ['Promising', 'Potential loyalist', 'Loyal', 'Champions'],
  3: ['About to sleep', 'Need attention', 'Loyal', 'Loyal'],
  2: ['Hibernating', 'Hibernating', 'At risk', 'At risk'],
  1: ['Lost', 'Hibernating', 'At risk', 'Cannot lose them'],
}

/** One line per segment, for reason texts and the README. */
export const RFM_SEGMENT_MEANING: Readonly<Record<RfmSegment, string>> = {
  Champions: 'bought recently, buy often and spend the most',
  Loyal: 'buy often or spend well and are still fairly recent',
  'Potential loyalist': 'recent customers with average frequency and spend',
  New: 'bought most recently, little history yet',
  Promising: 'recent, little history yet',
  'Need attention': 'average recency, frequency and spend',
  'About to sleep': 'average recency, low frequency and spend',
  'At risk': 'bought often or spent well, but long ago',
  'Cannot lose them': 'were among the best, have not bought for a long time',
  Hibernating: 'long ago, low frequency and spend',
  Lost: 'lowest recency, frequency and spend',
}

/** The segment of quintile scores r, f, m (integers 1 to 5) from `RFM_SEGMENT_MAP`. */
export function rfmSegment(r: number, f: number, m: number): RfmSegment {
  for (const score of [r, f, m]) {
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      throw new RangeError('the segment map needs quintile scores: integers from 1 to 5')
    }
  }
  const fm = (f + m) / 2
  const band = fm < 2 ? 0 : fm < 3 ? 1 : fm < 4 ? 2 : 3
  return RFM_SEGMENT_MAP[r as 1 | 2 | 3 | 4 | 5][band]
}
