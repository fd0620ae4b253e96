import type { ScoreRecord } from '../domain/score-record.ts'

export const DIMENSIONS = ['tier', 'quadrant', 'rfmSegment', 'pattern', 'decision'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** The fields of a record the counts read. */
export type CountedFigures = Pick<ScoreRecord, 'netValue' | Dimension>

export interface GroupFigures {
  customers: number
  netValue: number
}

/**
 * Counts and net value per tier, quadrant, RFM segment, pattern and decision; mergeable across shards.
 * The one counter behind the scoring CLI's report and the nightly run's report.
 */
export interface SegmentCounts {
  customers: number
  netValue: number
  groups: Record<Dimension, Record<string, GroupFigures>>
}

export function emptyCounts(): SegmentCounts {
  return {
    customers: 0,
    netValue: 0,
    groups: { tier: {}, quadrant: {}, rfmSegment: {}, pattern: {}, decision: {} },
  }
}

export function addRecord(counts: SegmentCounts, record: CountedFigures): void {
  addFigures(counts, record, { customers: 1, netValue: record.netValue })
}

/** The figures of `key` in `dimension`, added (with no customer yet) when the counts have none. */
export function groupOf(counts: SegmentCounts, dimension: Dimension, key: string): GroupFigures {
  const groups = counts.groups[dimension]
  let group = groups[key]
  if (group === undefined) {
    group = { customers: 0, netValue: 0 }
    groups[key] = group
  }
  return group
}

/**
 * `addRecord` for each of `count` records, given as their net values and the groups they fall in:
 * record k is in `groups[d][codes[k * DIMENSIONS.length + d]]` of dimension `DIMENSIONS[d]` (groups of
 * these counts, from `groupOf`). The same sums, added in the same order.
 */
export function addCoded(
  counts: SegmentCounts,
  netValue: Float64Array,
  codes: Uint16Array,
  count: number,
  groups: readonly (readonly GroupFigures[])[],
): void {
  const width = DIMENSIONS.length
  for (let k = 0; k < count; k++) {
    const value = netValue[k] as number
    counts.customers += 1
    counts.netValue += value
    for (let d = 0; d < width; d++) {
      const group = (groups[d] as GroupFigures[])[codes[k * width + d] as number] as GroupFigures
      group.customers += 1
      group.netValue += value
    }
  }
}

export function mergeCounts(into: SegmentCounts, other: SegmentCounts): void {
  into.customers += other.customers
  into.netValue += other.netValue
  for (const dimension of DIMENSIONS) {
    for (const [key, figures] of Object.entries(other.groups[dimension])) {
      const group = into.groups[dimension][key] ?? { customers: 0, netValue: 0 }
      group.customers += figures.customers
      group.netValue += figures.netValue
      into.groups[dimension][key] = group
    }
  }
}

function addFigures(counts: SegmentCounts, record: CountedFigures, figures: GroupFigures): void {
  counts.customers += figures.customers
  counts.netValue += figures.netValue
  for (const dimension of DIMENSIONS) {
    const key = record[dimension]
    const group = counts.groups[dimension][key] ?? { customers: 0, netValue: 0 }
    group.customers += figures.customers
    group.netValue += figures.netValue
    counts.groups[dimension][key] = group
  }
}

/** Counts with value shares, keys sorted, money rounded to cents: what reports and /segments show. */
export function presentCounts(counts: SegmentCounts) {
  const total = counts.netValue
  return {
    customers: counts.customers,
    totalNetValue: round(total, 2),
    segments: Object.fromEntries(
      DIMENSIONS.map((dimension) => [
        dimension,
        Object.fromEntries(
          Object.entries(counts.groups[dimension])
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([key, g]) => [
              key,
              {
                customers: g.customers,
                netValue: round(g.netValue, 2),
                valueShare: total > 0 ? round(g.netValue / total, 4) : null,
              },
            ]),
        ),
      ]),
    ),
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
