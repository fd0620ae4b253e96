import { describe, expect, it } from 'vitest'
import { ExportRequestSchema } from '../../shared/exports/request.ts'

const problems = (body: unknown) =>
  ExportRequestSchema.safeParse(body).error?.issues.map((issue) => [issue.path.join('.'), issue.message])

describe('export requests with a kind', () => {
  it('default to customer records', () => {
    expect(ExportRequestSchema.parse({ format: 'csv' })).toMatchObject({ kind: 'customers', filter: {} })
  })

  it('take prospect filters and fields for prospects', () => {
    const request = ExportRequestSchema.parse({
      kind: 'prospects',
      filter: { quadrant: ['PI', 'PII'], intent: { min: 0.5 }, expectedContribution: { max: 100 } },
      fields: ['prospectId', 'quadrant', 'reasons'],
      format: 'jsonl',
    })
    expect(request.kind).toBe('prospects')
  })

  it('refuse filters, quadrants and fields of the other kind, naming each', () => {
    expect(
      problems({
        kind: 'prospects',
        filter: { tier: ['key'], quadrant: ['EI'] },
        fields: ['netValue'],
        format: 'csv',
      }),
    ).toEqual([
      ['filter.tier', 'is not a filter of prospects exports'],
      ['filter.quadrant.0', 'prospects quadrants are PI, PII, PIII, PIV'],
      ['fields.0', 'is not a field of prospects records'],
    ])
    expect(
      problems({ filter: { intent: { min: 0.5 }, quadrant: ['PI'] }, fields: ['prospectId'], format: 'csv' }),
    ).toEqual([
      ['filter.intent', 'is not a filter of customers exports'],
      ['filter.quadrant.0', 'customers quadrants are EI, EII, EIII, EIV'],
      ['fields.0', 'is not a field of customers records'],
    ])
  })
})
