import { describe, expect, it } from 'vitest'
import { DEFAULT_PROSPECT_CONFIG } from '../../../shared/prospects/config.ts'
import {
  buildLookalikeBase,
  estimateContribution,
  lookalikeChain,
} from '../../../shared/prospects/lookalike.ts'

// Population: 5 scored customers, mean 200. Cells: retail 4 (sum 1000), retail|small 3 (600),
// retail|small|north 2 (300), retail|small|south 1 (300), region north 2 (300).
const values = [
  { customerId: 'c1', netValue: 100 },
  { customerId: 'c2', netValue: 200 },
  { customerId: 'c3', netValue: 300 },
  { customerId: 'c4', netValue: 400 },
  { customerId: 'c5', netValue: 0 },
]
const master = [
  { customerId: 'c1', industry: 'Retail', sizeBand: 'small', region: 'north' },
  { customerId: 'c2', industry: 'retail', sizeBand: 'Small', region: 'North' },
  { customerId: 'c3', industry: 'retail', sizeBand: 'small', region: 'south' },
  { customerId: 'c4', industry: 'retail', sizeBand: 'large' },
  // A master row of a customer without a score does not count.
  { customerId: 'c9', industry: 'retail', sizeBand: 'small', region: 'north' },
]
const base = buildLookalikeBase(values, master)
const plain = { ...DEFAULT_PROSPECT_CONFIG.lookalike, minCellCustomers: 2, shrinkage: 0 }

describe('look-alike expected contribution', () => {
  it('is the mean of the customers sharing the full profile, compared case-insensitively', () => {
    expect(base.populationCustomers).toBe(5)
    expect(base.populationMean).toBe(200)
    expect(
      estimateContribution(base, { industry: 'RETAIL', sizeBand: 'small', region: 'north' }, plain),
    ).toEqual({
      expectedContribution: 150,
      basis: 'cell',
      cell: { industry: 'RETAIL', sizeBand: 'small', region: 'north' },
      customers: 2,
      acquisitionCost: null,
    })
  })

  it('falls back to a broader cell when the full cell has too few customers', () => {
    expect(
      estimateContribution(base, { industry: 'retail', sizeBand: 'small', region: 'south' }, plain),
    ).toEqual({
      expectedContribution: 200,
      basis: 'broader',
      cell: { industry: 'retail', sizeBand: 'small' },
      customers: 3,
      acquisitionCost: null,
    })
    // retail|large has one customer and retail 4: the industry alone.
    expect(estimateContribution(base, { industry: 'retail', sizeBand: 'large' }, plain)).toMatchObject({
      expectedContribution: 250,
      basis: 'broader',
      cell: { industry: 'retail' },
      customers: 4,
    })
  })

  it('falls back to the population when no cell of the profile has enough customers', () => {
    expect(estimateContribution(base, { industry: 'food', region: 'west' }, plain)).toEqual({
      expectedContribution: 200,
      basis: 'population',
      cell: {},
      customers: 5,
      acquisitionCost: null,
    })
  })

  it('starts from the fields the prospect has', () => {
    expect(estimateContribution(base, { region: 'north' }, plain)).toMatchObject({
      expectedContribution: 150,
      basis: 'cell',
      customers: 2,
    })
  })

  it('shrinks each cell mean towards the broader estimate with k pseudo-customers', () => {
    const shrunk = { ...plain, shrinkage: 2 }
    // retail: (1000 + 2 x 200) / 6; retail|small: (600 + 2 x that) / 5; full: (300 + 2 x that) / 4
    const retail = (1000 + 2 * 200) / 6
    const small = (600 + 2 * retail) / 5
    const full = (300 + 2 * small) / 4
    expect(full).toBeCloseTo(181.6667, 4)
    const estimate = estimateContribution(
      base,
      { industry: 'retail', sizeBand: 'small', region: 'north' },
      shrunk,
    )
    expect(estimate.expectedContribution).toBeCloseTo(full, 10)
    expect(estimate.basis).toBe('cell')
  })

  it('is 0 with basis none when no customer is scored', () => {
    const empty = buildLookalikeBase([], master)
    expect(estimateContribution(empty, { industry: 'retail' }, plain)).toEqual({
      expectedContribution: 0,
      basis: 'none',
      cell: {},
      customers: 0,
      acquisitionCost: null,
    })
  })

  it('gives the mean acquisition cost of the customers of the cell used, where the master has one', () => {
    const costed = buildLookalikeBase(values, [
      { customerId: 'c1', industry: 'retail', acquisitionCost: 100 },
      { customerId: 'c2', industry: 'retail', acquisitionCost: 50 },
      { customerId: 'c3', industry: 'retail' },
      { customerId: 'c4', industry: 'food', acquisitionCost: 10 },
    ])
    expect(estimateContribution(costed, { industry: 'Retail' }, plain)).toMatchObject({
      customers: 3,
      acquisitionCost: 75,
    })
    // The population: every scored customer with a cost.
    expect(estimateContribution(costed, { industry: 'toys' }, plain).acquisitionCost).toBeCloseTo(160 / 3, 10)
  })

  it('drops fields in the configured order, then any left', () => {
    const profile = { industry: 'a', sizeBand: 'b', region: 'c' }
    expect(lookalikeChain(profile, ['region', 'sizeBand', 'industry'])).toEqual([
      ['industry', 'sizeBand', 'region'],
      ['industry', 'sizeBand'],
      ['industry'],
      [],
    ])
    expect(lookalikeChain(profile, ['industry'])).toEqual([
      ['industry', 'sizeBand', 'region'],
      ['sizeBand', 'region'],
      ['region'],
      [],
    ])
    expect(lookalikeChain({ sizeBand: 'b' }, ['region', 'sizeBand', 'industry'])).toEqual([['sizeBand'], []])
  })
})
