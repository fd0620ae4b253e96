/**
 * Seeded generator of the sample customer master and prospects files (infra/local/sample/), made
 * from the CDNOW sample's customers so that `npm start` shows look-alike estimates and PI-PIV counts.
 *
 *   node scripts/generate-prospect-sample.ts [--seed S] [--prospects N]
 *
 * The model:
 * - Customers (every CDNOW sample customer): an industry and a size band that go with the customer's
 *   spend (rank quantile of total spend plus normal noise, sd 0.35, cut into five industries and four
 *   size bands, most valuable first), so that look-alike cells carry signal; a region drawn uniformly
 *   (no signal); 8% without an industry; acquisition date = first purchase; acquisition cost Gamma(4, 0.1).
 * - Prospects: industry and size band drawn uniformly (10% with a region only). Each has a latent warmth
 *   w ~ Beta(1.2, 3): visits in 30 days ~ Poisson(8w), 31-90 days ~ Poisson(10w); inquiries ~ Poisson(2w)
 *   and Poisson(2w); a quote with probability 0.6w, a meeting with 0.5w; last contact Exp(mean
 *   5 + 60(1 - w)) days before the sample's last day, or none for a third of the coldest; converted to an
 *   existing customer with probability 0.35w^2 (so warmer prospects convert more often).
 * - Dates are relative to the last day of the CDNOW sample; `npm start` shifts them together with the
 *   transactions so that the sample ends yesterday.
 *
 * Deterministic: one mulberry32 stream in a fixed order; the same seed gives the same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { csvLine } from '../shared/csv.ts'
import { addDays } from '../shared/domain/dates.ts'
import {
  mulberry32,
  type Random,
  sampleBeta,
  sampleExponential,
  sampleGamma,
  sampleStandardNormal,
} from '../shared/scoring/simulate.ts'

const SAMPLE_DIR = join(import.meta.dirname, '..', 'infra', 'local', 'sample')
const INDUSTRIES = ['software', 'healthcare', 'manufacturing', 'logistics', 'retail'] as const
const SIZE_BANDS = ['250+', '50-249', '10-49', '1-9'] as const
const REGIONS = ['north', 'south', 'east', 'west'] as const

export interface SampleFiles {
  readonly customers: string
  readonly prospects: string
}

export function generateProspectSample(
  transactionsCsv: string,
  seed: number,
  prospectCount: number,
): SampleFiles {
  const random = mulberry32(seed)
  const spend = new Map<string, number>()
  const first = new Map<string, string>()
  let lastDay = ''
  for (const line of transactionsCsv.split('\n').slice(1)) {
    const [id, day, amount] = line.split(',')
    if (!id || !day || !amount) continue
    spend.set(id, (spend.get(id) ?? 0) + Number(amount))
    if (!first.has(id) || day < (first.get(id) ?? '')) first.set(id, day)
    if (day > lastDay) lastDay = day
  }
  const ids = [...spend.keys()].sort()
  const byValue = [...ids].sort((a, b) => (spend.get(b) ?? 0) - (spend.get(a) ?? 0) || (a < b ? -1 : 1))
  const rank = new Map(byValue.map((id, i) => [id, i / Math.max(1, byValue.length - 1)]))

  const customers = [
    csvLine(['customer_id', 'industry', 'size_band', 'region', 'acquisition_date', 'acquisition_cost']),
  ]
  for (const id of ids) {
    const quantile = rank.get(id) ?? 0.5
    const industry = pick(INDUSTRIES, quantile + 0.35 * sampleStandardNormal(random))
    const sizeBand = pick(SIZE_BANDS, quantile + 0.35 * sampleStandardNormal(random))
    const region = REGIONS[Math.floor(random() * REGIONS.length)]
    const withIndustry = random() >= 0.08
    const cost = sampleGamma(random, 4, 0.1)
    customers.push(
      csvLine([id, withIndustry ? industry : '', sizeBand, region, first.get(id), cost.toFixed(2)]),
    )
  }

  const prospects = [
    csvLine([
      'prospect_id',
      'industry',
      'size_band',
      'region',
      'visits_30d',
      'visits_90d',
      'inquiries_30d',
      'inquiries_90d',
      'quote_requested',
      'meeting_held',
      'last_contact_date',
      'converted_customer_id',
    ]),
  ]
  const converted = new Set<string>()
  for (let i = 1; i <= prospectCount; i++) {
    const regionOnly = random() < 0.1
    const industry = INDUSTRIES[Math.floor(random() * INDUSTRIES.length)]
    const sizeBand = SIZE_BANDS[Math.floor(random() * SIZE_BANDS.length)]
    const region = REGIONS[Math.floor(random() * REGIONS.length)]
    const warmth = sampleBeta(random, 1.2, 3)
    const visits30 = poisson(random, 8 * warmth)
    const visits90 = visits30 + poisson(random, 10 * warmth)
    const inquiries30 = poisson(random, 2 * warmth)
    const inquiries90 = inquiries30 + poisson(random, 2 * warmth)
    const quote = random() < 0.6 * warmth
    const meeting = random() < 0.5 * warmth
    const contactAge = Math.floor(sampleExponential(random, 1 / (5 + 60 * (1 - warmth))))
    const noContact = warmth < 0.15 && random() < 1 / 3
    let convertedTo = ''
    if (random() < 0.35 * warmth * warmth) {
      const candidate = ids[Math.floor(random() * ids.length)] ?? ''
      if (!converted.has(candidate)) {
        converted.add(candidate)
        convertedTo = candidate
      }
    }
    prospects.push(
      csvLine([
        `P${String(i).padStart(5, '0')}`,
        regionOnly ? '' : industry,
        regionOnly ? '' : sizeBand,
        region,
        visits30,
        visits90,
        inquiries30,
        inquiries90,
        quote ? 'yes' : 'no',
        meeting ? 'yes' : 'no',
        noContact ? '' : addDays(lastDay, -contactAge),
        convertedTo,
      ]),
    )
  }
  return { customers: `${customers.join('\n')}\n`, prospects: `${prospects.join('\n')}\n` }
}

/** The item of `items` (most valuable first) at a noisy rank quantile, clamped to the list. */
function pick<T>(items: readonly T[], quantile: number): T {
  const index = Math.min(items.length - 1, Math.max(0, Math.floor(quantile * items.length)))
  return items[index] as T
}

/** Knuth's method; fine for the small means used here. */
function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean)
  let k = 0
  let product = random()
  while (product > limit) {
    k++
    product *= random()
  }
  return k
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { seed: { type: 'string', default: '6' }, prospects: { type: 'string', default: '600' } },
  })
  const transactions = readFileSync(join(SAMPLE_DIR, 'cdnow-transactions.csv'), 'utf8')
  const files = generateProspectSample(transactions, Number(values.seed), Number(values.prospects))
  writeFileSync(join(SAMPLE_DIR, 'customers.csv'), files.customers)
  writeFileSync(join(SAMPLE_DIR, 'prospects.csv'), files.prospects)
  console.error(
    `${files.customers.split('\n').length - 2} customers and ${files.prospects.split('\n').length - 2} prospects written to ${SAMPLE_DIR}`,
  )
}
