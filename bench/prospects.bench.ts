/**
 * Cost of prospect scoring on a synthetic base: N customers with net values (Gamma(0.8, 0.02)) and
 * profiles over 5 industries x 4 size bands x 4 regions (8% without an industry), and N / 10
 * prospects with random profiles and signals, seeded. Times buildLookalikeBase and scoreProspects
 * (the pure part of the upload and nightly prospect step; reading the score files is not included).
 * Prints one JSON line.
 *
 *   node bench/prospects.bench.ts --customers N [--prospects M]
 */
import { parseArgs } from 'node:util'
import { DEFAULT_PROSPECT_CONFIG } from '../shared/prospects/config.ts'
import { buildLookalikeBase } from '../shared/prospects/lookalike.ts'
import type { ProspectRow } from '../shared/prospects/profile.ts'
import { scoreProspects } from '../shared/prospects/score-prospects.ts'
import { mulberry32, sampleGamma } from '../shared/scoring/simulate.ts'

const { values } = parseArgs({ options: { customers: { type: 'string' }, prospects: { type: 'string' } } })
const customers = Number(values.customers ?? 100_000)
const prospectCount = Number(values.prospects ?? Math.round(customers / 10))
const random = mulberry32(6)
const one = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const INDUSTRIES = ['software', 'healthcare', 'manufacturing', 'logistics', 'retail']
const SIZES = ['1-9', '10-49', '50-249', '250+']
const REGIONS = ['north', 'south', 'east', 'west']

const customerValues = Array.from({ length: customers }, (_, i) => ({
  customerId: `C${i}`,
  netValue: sampleGamma(random, 0.8, 0.02),
}))
const master = customerValues.map(({ customerId }) => ({
  customerId,
  ...(random() >= 0.08 && { industry: one(INDUSTRIES) }),
  sizeBand: one(SIZES),
  region: one(REGIONS),
}))
const prospects: ProspectRow[] = Array.from({ length: prospectCount }, (_, i) => ({
  prospectId: `P${i}`,
  industry: one(INDUSTRIES),
  sizeBand: one(SIZES),
  region: one(REGIONS),
  visits30d: Math.floor(random() * 5),
  visits90d: 5 + Math.floor(random() * 5),
  quoteRequested: random() < 0.2,
  lastContactDate: `2026-0${1 + Math.floor(random() * 6)}-15`,
  ...(random() < 0.05 && { convertedCustomerId: `C${i}` }),
}))

const started = performance.now()
const base = buildLookalikeBase(customerValues, master)
const built = performance.now()
const { summary } = scoreProspects(prospects, base, DEFAULT_PROSPECT_CONFIG, '2026-06-30', 'bench')
const done = performance.now()
console.log(
  JSON.stringify({
    customers,
    prospects: prospectCount,
    cells: base.cells.size,
    baseSeconds: (built - started) / 1000,
    scoreSeconds: (done - built) / 1000,
    microsecondsPerProspect: ((done - built) * 1000) / prospectCount,
    intentAuc: summary.intentAuc,
  }),
)
