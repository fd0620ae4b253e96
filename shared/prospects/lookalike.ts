/**
 * Look-alike expected contribution: what a prospect is worth if it converts, estimated from the net
 * values of existing customers who share its profile.
 *
 * - Cells: a cell is a set of profile field values, e.g. {industry: retail, sizeBand: 10-49}. A
 *   customer belongs to every cell whose values it shares (values compared case-insensitively); a
 *   customer without a profile belongs to the population only.
 * - Chain: from the prospect's full profile (the fields it has), fields are dropped one at a time in
 *   `dropOrder` (default region, then size band, then industry) down to the population. With all
 *   three fields: {industry, sizeBand, region} -> {industry, sizeBand} -> {industry} -> population.
 * - Fallback: a cell with fewer than `minCellCustomers` customers is skipped.
 * - Shrinkage: walking the chain from the population towards the full profile, each usable cell's
 *   mean is shrunk towards the estimate of the broader level before it (credibility weighting):
 *   `estimate = (sum of net values + k x broader estimate) / (n + k)`, `k = shrinkage`. A small cell
 *   thus moves the estimate a little, a large one nearly to its own mean; k = 0 gives plain means.
 * - The population estimate is the mean net value of every scored customer of the run; with no
 *   scored customer at all the estimate is 0 (basis `none`).
 */
import type { ProspectConfig } from './config.ts'
import { PROFILE_FIELDS, type Profile, type ProfileField, profileKey } from './profile.ts'

export type LookalikeBasis = 'cell' | 'broader' | 'population' | 'none'

export interface LookalikeEstimate {
  readonly expectedContribution: number
  /** cell: the full profile's cell was used; broader: a cell with some fields dropped; population. */
  readonly basis: LookalikeBasis
  /** The most specific cell that was used (empty for the population). */
  readonly cell: Profile
  /** Customers in that cell (or the population). */
  readonly customers: number
  /**
   * Mean acquisition cost of those customers that have one in the master (null when none has): what
   * winning such a customer has cost, to set against the expected contribution. A plain mean.
   */
  readonly acquisitionCost: number | null
}

interface CellStats {
  n: number
  sum: number
  /** Customers with an acquisition cost, and the sum of those costs. */
  costN: number
  costSum: number
}

export interface LookalikeBase {
  /** Scored customers in the population, and the mean of their net values. */
  readonly populationCustomers: number
  readonly populationMean: number
  /** Mean acquisition cost of the scored customers that have one; null when none has. */
  readonly populationAcquisitionCost: number | null
  readonly cells: ReadonlyMap<string, CellStats>
}

export interface CustomerValue {
  readonly customerId: string
  readonly netValue: number
}

/**
 * Builds the cell statistics from the run's customer values and the customer master. Master rows of
 * customers without a score are ignored; a customer id given twice in the master keeps the last row.
 */
export function buildLookalikeBase(
  values: Iterable<CustomerValue>,
  master: Iterable<{ readonly customerId: string; readonly acquisitionCost?: number | undefined } & Profile>,
): LookalikeBase {
  const profiles = new Map<string, Profile & { readonly acquisitionCost?: number | undefined }>()
  for (const row of master) profiles.set(row.customerId, row)
  const cells = new Map<string, CellStats>()
  let n = 0
  let sum = 0
  let costN = 0
  let costSum = 0
  for (const { customerId, netValue } of values) {
    if (!Number.isFinite(netValue)) continue
    n++
    sum += netValue
    const profile = profiles.get(customerId)
    if (!profile) continue
    const cost = profile.acquisitionCost
    const hasCost = cost !== undefined ? 1 : 0
    if (hasCost) {
      costN++
      costSum += cost ?? 0
    }
    let mask = 0
    PROFILE_FIELDS.forEach((field, bit) => {
      if (profile[field] !== undefined) mask |= 1 << bit
    })
    const normal = normalise(profile)
    for (const subset of CELLS_OF_MASK[mask] ?? []) {
      const key = cellKey(normal, subset)
      const stats = cells.get(key)
      if (stats) {
        stats.n++
        stats.sum += netValue
        stats.costN += hasCost
        stats.costSum += cost ?? 0
      } else {
        cells.set(key, { n: 1, sum: netValue, costN: hasCost, costSum: cost ?? 0 })
      }
    }
  }
  return {
    populationCustomers: n,
    populationMean: n > 0 ? sum / n : 0,
    populationAcquisitionCost: costN > 0 ? costSum / costN : null,
    cells,
  }
}

/** The fields of each level of the chain, most specific first, ending with the population ([]). */
export function lookalikeChain(profile: Profile, dropOrder: ProspectConfig['lookalike']['dropOrder']) {
  let fields = PROFILE_FIELDS.filter((field) => profile[field] !== undefined)
  const chain: ProfileField[][] = [fields]
  const order = [...dropOrder, ...PROFILE_FIELDS.filter((field) => !dropOrder.includes(field))]
  for (const drop of order) {
    if (!fields.includes(drop)) continue
    fields = fields.filter((field) => field !== drop)
    chain.push(fields)
  }
  return chain
}

export function estimateContribution(
  base: LookalikeBase,
  profile: Profile,
  config: ProspectConfig['lookalike'],
): LookalikeEstimate {
  if (base.populationCustomers === 0) {
    return { expectedContribution: 0, basis: 'none', cell: {}, customers: 0, acquisitionCost: null }
  }
  const chain = lookalikeChain(profile, config.dropOrder)
  const normal = normalise(profile)
  let estimate = base.populationMean
  let used: { fields: ProfileField[]; n: number; cost: number | null } = {
    fields: [],
    n: base.populationCustomers,
    cost: base.populationAcquisitionCost,
  }
  // From the broadest cell to the full profile; the population (last level) is the start.
  for (let level = chain.length - 2; level >= 0; level--) {
    const fields = chain[level] ?? []
    const stats = base.cells.get(cellKey(normal, fields))
    if (!stats || stats.n < config.minCellCustomers) continue
    estimate = (stats.sum + config.shrinkage * estimate) / (stats.n + config.shrinkage)
    used = { fields, n: stats.n, cost: stats.costN > 0 ? stats.costSum / stats.costN : null }
  }
  const full = chain[0] ?? []
  const basis: LookalikeBasis =
    used.fields.length === 0 ? 'population' : used.fields.length === full.length ? 'cell' : 'broader'
  const cell: Profile = Object.fromEntries(used.fields.map((field) => [field, profile[field]]))
  return { expectedContribution: estimate, basis, cell, customers: used.n, acquisitionCost: used.cost }
}

/** The profile's values as cells compare them. */
function normalise(profile: Profile): Profile {
  const normal: { -readonly [F in ProfileField]?: string } = {}
  for (const field of PROFILE_FIELDS) {
    const value = profile[field]
    if (value !== undefined) normal[field] = profileKey(value)
  }
  return normal
}

function cellKey(normal: Profile, fields: readonly ProfileField[]): string {
  let key = ''
  for (const field of fields) key += `${field}=${normal[field] ?? ''}\u0001`
  return key
}

/** For each set of present fields (a bit mask over PROFILE_FIELDS), the non-empty cells it belongs to. */
const CELLS_OF_MASK: readonly (readonly ProfileField[])[][] = Array.from(
  { length: 1 << PROFILE_FIELDS.length },
  (_, mask) => {
    const cells: ProfileField[][] = []
    for (let subset = 1; subset < 1 << PROFILE_FIELDS.length; subset++) {
      if ((subset & mask) === subset) cells.push(PROFILE_FIELDS.filter((_, bit) => subset & (1 << bit)))
    }
    return cells
  },
)
