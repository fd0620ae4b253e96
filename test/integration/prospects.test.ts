import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../shared/domain/dates.ts'
import { ProspectRecordSchema } from '../../shared/prospects/record.ts'
import { download, exportOf } from './support/exports.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const today = new Date().toISOString().slice(0, 10)
const day = (offset: number) => addDays(today, offset)

// Six software customers buy every month; six retail customers bought once, long ago; two more
// customers have no master row and count for the population only.
const transactions = [
  'customer_id,transaction_date,amount',
  ...['S1', 'S2', 'S3', 'S4', 'S5', 'S6'].flatMap((id, i) =>
    Array.from({ length: 8 }, (_, month) => `${id},${day(-10 - 30 * month - i)},${200 + 10 * i}`),
  ),
  ...['R1', 'R2', 'R3', 'R4', 'R5', 'R6'].map((id, i) => `${id},${day(-300 - i)},${10 + i}`),
  `N1,${day(-40)},50`,
  `N1,${day(-20)},60`,
  `N2,${day(-200)},20`,
].join('\n')

const customers = [
  'customer_id,industry,size_band,region,acquisition_date,acquisition_cost',
  ...['S1', 'S2', 'S3', 'S4', 'S5', 'S6'].map((id) => `${id},Software,10-49,north,2025-01-01,150`),
  ...['R1', 'R2', 'R3', 'R4', 'R5', 'R6'].map((id) => `${id},Retail,1-9,south,,`),
].join('\n')

// Lines 2-6 are valid prospects, one per quadrant plus a converter; lines 7-9 are not.
const prospects = [
  'prospect_id,industry,size_band,region,visits_30d,visits_90d,inquiries_30d,quote_requested,meeting_held,last_contact_date,converted_customer_id',
  `P1,software,10-49,north,4,9,2,yes,no,${day(-2)},`,
  'P2,software,10-49,north,0,1,0,no,no,,',
  `P3,retail,1-9,south,1,1,3,no,yes,${day(-1)},`,
  'P4,retail,50-249,,0,0,0,,,,',
  `P5,software,,,2,2,1,yes,yes,${day(-20)},S1`,
  'P6,,,,3,3,,,,,',
  'P7,retail,,,5,2,,,,,',
  'P1,software,,,,,,,,,',
].join('\n')

let t: TestStack

beforeAll(async () => {
  t = await startTestStack()
  await t.upload(
    'config/scoring.json',
    JSON.stringify({ prospects: { lookalike: { minCellCustomers: 3, shrinkage: 0 } } }),
  )
  await t.upload('incoming/transactions/sales.csv', transactions)
  await t.upload('incoming/customers/master.csv', customers)
  await t.stack.runNightly(today, { sleep: async () => undefined })
  await t.upload('incoming/prospects/leads.csv', prospects)
})

afterAll(async () => {
  await t?.close()
})

describe('prospect upload -> lookup -> segments -> export on the local engines', () => {
  it('reports the bad prospect rows by line and field, as for transactions', async () => {
    const report = (await t.readJson('reports/prospects/leads.csv.report.json')) as {
      status: string
      rows: unknown
      prospectsScored: number
      rejections: { line: number; field: string; reason: string }[]
    }
    expect(report.status).toBe('done')
    expect(report.rows).toEqual({ read: 8, accepted: 5, rejected: 3 })
    expect(report.prospectsScored).toBe(5)
    expect(report.rejections.map(({ line, field }) => [line, field])).toEqual([
      [7, 'industry'],
      [8, 'visits_90d'],
      [9, 'prospect_id'],
    ])
    const rejected = await t.readText('rejected/prospects/leads.csv.rejected.csv')
    expect(rejected.trim().split('\r\n')).toHaveLength(4)
    const master = (await t.readJson('reports/customers/master.csv.report.json')) as { rows: unknown }
    expect(master.rows).toEqual({ read: 12, accepted: 12, rejected: 0 })
  })

  it('serves each prospect with its look-alike contribution, intent, quadrant and reasons', async () => {
    const byId = new Map<string, ReturnType<typeof ProspectRecordSchema.parse>>()
    for (const id of ['P1', 'P2', 'P3', 'P4', 'P5']) {
      const { status, body } = await t.get(`/prospects/${id}`)
      expect(status).toBe(200)
      byId.set(id, ProspectRecordSchema.parse(body))
    }
    const p1 = byId.get('P1')
    expect(p1).toMatchObject({
      asOf: today,
      runId: today,
      quadrant: 'PI',
      quadrantStrategy: 'close now',
      lookalikeBasis: 'cell',
      lookalikeCustomers: 6,
      // Every software customer cost 150 to acquire; the retail ones have no cost in the master.
      lookalikeAcquisitionCost: 150,
      daysSinceContact: 2,
    })
    expect(byId.get('P2')?.quadrant).toBe('PII')
    expect(byId.get('P4')?.lookalikeAcquisitionCost).toBeNull()
    expect(byId.get('P3')?.quadrant).toBe('PIII')
    expect(byId.get('P4')).toMatchObject({
      quadrant: 'PIV',
      lookalikeBasis: 'broader',
      lookalikeCell: 'industry=retail',
    })
    expect(byId.get('P5')?.convertedCustomerId).toBe('S1')
    // Software look-alikes are worth more than retail ones, and P1 is far keener than P2.
    expect(p1?.expectedContribution).toBeGreaterThan(
      byId.get('P4')?.expectedContribution ?? Number.POSITIVE_INFINITY,
    )
    expect(p1?.intent).toBeGreaterThan(0.5)
    expect(byId.get('P2')?.intent).toBeLessThan(0.1)
    expect(p1?.reasons.map((r) => r.code)).toContain('INTENT_QUOTE_REQUESTED')
  })

  it('answers 404 for an unknown prospect and 400 for a bad id', async () => {
    expect(await t.get('/prospects/P99')).toMatchObject({
      status: 404,
      body: { error: { code: 'prospect_not_found' } },
    })
    expect((await t.get('/prospects/bad%20id!')).status).toBe(400)
  })

  it('includes prospect counts by quadrant in /segments', async () => {
    const { status, body } = await t.get('/segments')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      runId: today,
      prospects: {
        prospects: 5,
        open: 4,
        converted: 1,
        quadrant: {
          PI: { prospects: 1 },
          PII: { prospects: 1 },
          PIII: { prospects: 1 },
          PIV: { prospects: 1 },
        },
      },
    })
  })

  it('exports prospects with the kind filter, by quadrant, as CSV', async () => {
    const fields = ['prospectId', 'quadrant', 'expectedContribution', 'intent', 'reasons']
    const job = await exportOf(t, {
      kind: 'prospects',
      filter: { quadrant: ['PI', 'PIII'] },
      fields,
      format: 'csv',
    })
    // The converter P5 (a fresh quote and meeting, software) is PI too: exports hold every record.
    expect(job).toMatchObject({ status: 'ready', rows: 3 })
    const [header, ...rows] = parse((await download(job)).toString('utf8')) as string[][]
    expect(header).toEqual(fields)
    expect(rows.map((row) => [row[0], row[1]])).toEqual([
      ['P1', 'PI'],
      ['P3', 'PIII'],
      ['P5', 'PI'],
    ])
    expect(rows[0]?.[4]).toMatch(/^QUADRANT_PI: /)
  })

  it('keeps customer exports to customers', async () => {
    const job = await exportOf(t, { format: 'jsonl' })
    expect(job).toMatchObject({ status: 'ready', rows: 14 })
  })

  it('ignores a re-delivered upload and lets a new object under the same key replace its rows', async () => {
    const before = (await t.readJson('reports/prospects/leads.csv.report.json')) as { finishedAt: string }
    await t.upload('incoming/prospects/leads.csv', prospects)
    expect(await t.readJson('reports/prospects/leads.csv.report.json')).toMatchObject({
      finishedAt: before.finishedAt,
    })
    // P4 warms up: a new version of the file moves it from PIV to PIII.
    await t.upload(
      'incoming/prospects/leads.csv',
      prospects.replace('P4,retail,50-249,,0,0,0,,,,', `P4,retail,50-249,,0,0,0,yes,yes,${day(0)},`),
    )
    expect((await t.get('/prospects/P4')).body).toMatchObject({ quadrant: 'PIII', quoteRequested: true })
    const report = (await t.readJson('reports/prospects/leads.csv.report.json')) as { rows: unknown }
    expect(report.rows).toEqual({ read: 8, accepted: 5, rejected: 3 })
    // A version without P2 no longer serves it.
    await t.upload(
      'incoming/prospects/leads.csv',
      prospects.replace('P2,software,10-49,north,0,1,0,no,no,,\n', ''),
    )
    expect((await t.get('/prospects/P2')).status).toBe(404)
    expect((await t.get('/segments')).body).toMatchObject({ prospects: { prospects: 4 } })
    // Put back as it was for the nightly run below.
    await t.upload('incoming/prospects/leads.csv', `${prospects}\n`)
  })

  it('re-scores prospects in the nightly run and reports them by quadrant', async () => {
    await t.stack.runNightly(today, { sleep: async () => undefined })
    const report = (await t.readJson(`runs/${today}/report.json`)) as { prospects: unknown }
    expect(report.prospects).toMatchObject({
      prospects: 5,
      converted: 1,
      quadrant: { PI: { prospects: 1 }, PIV: { prospects: 1 } },
      // The converter's intent (two signals 20 days old) is below P1's and P3's: AUC 2 of 4.
      intentAuc: 0.5,
    })
  })
})
