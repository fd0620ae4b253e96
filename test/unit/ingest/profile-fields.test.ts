import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { parseUpload } from '../../../shared/ingest/parse-transactions.ts'
import { customerContract, prospectContract } from '../../../shared/ingest/profile-fields.ts'
import { chunked } from './uploads.ts'

async function parse<Row>(
  contract: Parameters<typeof parseUpload<Row, readonly number[]>>[1],
  content: string | Uint8Array,
  fileName = 'upload.csv',
) {
  const rows: Row[] = []
  const rejections: { line: number; field: string; reason: string }[] = []
  for await (const batch of parseUpload(chunked(content, 7), contract, { fileName })) {
    rows.push(...batch.rows)
    rejections.push(...batch.rejections.map(({ line, field, reason }) => ({ line, field, reason })))
  }
  return { rows, rejections }
}

describe('prospect files', () => {
  const csv = [
    'Prospect_ID,industry,size_band,region,visits_30d,visits_90d,quote_requested,last_contact_date,note',
    'P1, Software ,10-49,north,2,5,yes,2026-06-01,hello',
    'P2,,,west,0,0,no,,',
    'P3,,,,1,1,,,no profile',
    'P4,retail,,,3,2,,,90 below 30',
    'P5,retail,,,x,,maybe,2026-13-01,three bad cells',
    'bad id!,retail,,,,,,,',
  ].join('\n')

  it('reads valid rows in any column order, case and surrounding spaces', async () => {
    const { rows } = await parse(prospectContract(), csv)
    expect(rows).toEqual([
      {
        prospectId: 'P1',
        industry: 'Software',
        sizeBand: '10-49',
        region: 'north',
        visits30d: 2,
        visits90d: 5,
        quoteRequested: true,
        lastContactDate: '2026-06-01',
      },
      { prospectId: 'P2', region: 'west', visits30d: 0, visits90d: 0, quoteRequested: false },
    ])
  })

  it('rejects each bad row by line and field, one rejection per bad field', async () => {
    const { rejections } = await parse(prospectContract(), csv)
    expect(rejections.map(({ line, field }) => [line, field])).toEqual([
      [4, 'industry'],
      [5, 'visits_90d'],
      [6, 'visits_30d'],
      [6, 'quote_requested'],
      [6, 'last_contact_date'],
      [7, 'prospect_id'],
    ])
    expect(rejections[0]?.reason).toBe('industry: at least one of industry, size_band and region is required')
    expect(rejections[2]?.reason).toBe("visits_30d: 'x' is not a whole number of zero or more")
  })

  it('reads gzip JSON lines with numbers and booleans', async () => {
    const lines = [
      JSON.stringify({ prospect_id: 7, region: 'x', meeting_held: true, inquiries_30d: 2 }),
      JSON.stringify({ prospect_id: 'P8', region: 'x', meeting_held: 'soon' }),
    ].join('\n')
    const { rows, rejections } = await parse(prospectContract(), gzipSync(lines), 'p.jsonl.gz')
    expect(rows).toEqual([{ prospectId: '7', region: 'x', meetingHeld: true, inquiries30d: 2 }])
    expect(rejections).toMatchObject([{ line: 2, field: 'meeting_held' }])
  })

  it('fails the file when the id column is missing', async () => {
    await expect(parse(prospectContract(), 'industry,region\nretail,north\n')).rejects.toThrow(
      'upload.csv line 1: the header has no prospect_id column',
    )
  })
})

describe('customer master files', () => {
  it('reads profiles, acquisition date and cost, and rejects bad cells', async () => {
    const csv = [
      'customer_id,industry,acquisition_date,acquisition_cost',
      '00001,retail,2025-02-01,120.50',
      '00002,,,',
      '00003,retail,2025-02-30,-1',
    ].join('\r\n')
    const { rows, rejections } = await parse(customerContract(), csv)
    expect(rows).toEqual([
      { customerId: '00001', industry: 'retail', acquisitionDate: '2025-02-01', acquisitionCost: 120.5 },
      { customerId: '00002' },
    ])
    expect(rejections.map(({ line, field }) => [line, field])).toEqual([
      [4, 'acquisition_date'],
      [4, 'acquisition_cost'],
    ])
  })
})
