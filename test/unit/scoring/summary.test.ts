import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import {
  type SummaryOptions,
  summariseCustomer,
  summariseGroupedTransactions,
  summariseTransactions,
  UngroupedRowsError,
} from '../../../shared/scoring/summary.ts'

const DAYS: SummaryOptions = { asOf: '2026-06-30', unit: 'days', marginRate: 0.25 }
const row = (date: string, amount: number, extra: Partial<Transaction> = {}): Transaction => ({
  customerId: 'c1',
  date,
  amount,
  ...extra,
})
const summarise = (rows: Transaction[], options: SummaryOptions = DAYS) =>
  summariseCustomer('c1', rows, options)

describe('purchase occasions', () => {
  it('counts same-day purchases as one occasion with their summed value', () => {
    const summary = summarise([row('2026-06-01', 10), row('2026-06-01', 5), row('2026-06-11', 20)])
    expect(summary).toMatchObject({ occasions: 2, x: 1, totalSpend: 35, averageSpend: 17.5, zbar: 20 })
  })

  it('counts a zero-value purchase as an occasion', () => {
    const summary = summarise([row('2026-06-01', 10), row('2026-06-05', 0)])
    expect(summary).toMatchObject({ occasions: 2, x: 1, zbar: 0, lastPurchase: '2026-06-05' })
  })

  it('leaves the first occasion out of zbar but not out of the average spend', () => {
    const summary = summarise([row('2026-06-01', 100), row('2026-06-02', 10), row('2026-06-03', 20)])
    expect(summary).toMatchObject({ zbar: 15, averageSpend: 130 / 3 })
  })

  it('ignores rows dated after the as-of date', () => {
    const summary = summarise([row('2026-06-01', 10), row('2026-07-01', 99)])
    expect(summary).toMatchObject({ occasions: 1, totalSpend: 10, lastPurchase: '2026-06-01' })
  })

  it('gives no summary to a customer whose rows all come after the as-of date', () => {
    expect(summarise([row('2026-07-01', 99)])).toBeUndefined()
  })
})

describe('refunds', () => {
  it('reduce the value of a purchase on the same day', () => {
    const summary = summarise([row('2026-06-01', 10), row('2026-06-08', 30), row('2026-06-08', -12)])
    expect(summary).toMatchObject({ occasions: 2, zbar: 18, totalSpend: 28 })
  })

  it('on a day without purchases reduce the latest earlier occasion and add no occasion', () => {
    const summary = summarise([
      row('2026-06-01', 10),
      row('2026-06-05', 20),
      row('2026-06-09', -5),
      row('2026-06-20', 40),
    ])
    expect(summary).toMatchObject({
      occasions: 3,
      totalSpend: 65,
      zbar: (15 + 40) / 2,
      lastPurchase: '2026-06-20',
    })
  })

  it('before any purchase are ignored and counted', () => {
    const summary = summarise([row('2026-05-01', -8), row('2026-05-02', -3), row('2026-06-01', 10)])
    expect(summary).toMatchObject({ occasions: 1, totalSpend: 10, ignoredRefunds: 2, totalMargin: 2.5 })
  })

  it('of a customer without purchases are counted in the statistics', () => {
    const { customers, stats } = summariseTransactions([row('2026-06-01', -5)], DAYS)
    expect(customers).toEqual([])
    expect(stats).toMatchObject({ ignoredRefunds: 1, customersWithoutPurchase: 1 })
  })
})

describe('duplicates', () => {
  it('keep the first row of a repeated transaction id', () => {
    const summary = summarise([
      row('2026-06-01', 10, { transactionId: 't1' }),
      row('2026-06-02', 99, { transactionId: 't1' }),
    ])
    expect(summary).toMatchObject({ occasions: 1, totalSpend: 10, lastPurchase: '2026-06-01' })
  })

  it('are counted in the statistics', () => {
    const rows = [
      row('2026-06-01', 10, { transactionId: 't1' }),
      row('2026-06-01', 10, { transactionId: 't1' }),
    ]
    expect(summariseTransactions(rows, DAYS).stats.duplicateRows).toBe(1)
  })
})

describe('time measures', () => {
  it('measure T and t_x in weeks as date differences, as in the published CDNOW summary', () => {
    const summary = summarise(
      [row('1997-01-01', 29.33), row('1997-01-18', 29.73), row('1997-08-02', 14.96)],
      {
        asOf: '1997-09-30',
        unit: 'weeks',
        marginRate: 0,
      },
    )
    expect(summary?.T).toBeCloseTo(38.86, 2)
    expect(summary?.tx).toBeCloseTo(30.43, 2)
  })

  it('give a purchase on the as-of date t_x = T and zero recency', () => {
    const summary = summarise([row('2026-06-01', 10), row('2026-06-30', 10)])
    expect(summary).toMatchObject({ tx: 29, T: 29, recencyDays: 0 })
  })

  it('count recency in days whatever the time unit', () => {
    const summary = summarise([row('2026-06-01', 10), row('2026-06-16', 10)], { ...DAYS, unit: 'weeks' })
    expect(summary).toMatchObject({ recencyDays: 14, tx: 15 / 7 })
  })

  it('rejects a date that is not YYYY-MM-DD', () => {
    expect(() => summarise([row('2026-6-1', 10)])).toThrow(RangeError)
  })
})

describe('margin', () => {
  it('uses a row margin where given and the margin rate otherwise, refunds included', () => {
    const summary = summarise([
      row('2026-06-01', 100, { margin: 40 }),
      row('2026-06-02', 20),
      row('2026-06-03', -8),
    ])
    expect(summary?.totalMargin).toBeCloseTo(40 + 5 - 2, 12)
  })
})

describe('batch summaries', () => {
  const rows: Transaction[] = [
    { customerId: 'a', date: '2026-06-01', amount: 10 },
    { customerId: 'a', date: '2026-06-03', amount: 12 },
    { customerId: 'b', date: '2026-06-02', amount: 7 },
    { customerId: 'c', date: '2026-07-02', amount: 7 },
  ]

  it('summarise each customer with at least one occasion and count the rest', () => {
    const { customers, stats } = summariseTransactions(rows, DAYS)
    expect(customers.map((c) => [c.customerId, c.occasions])).toEqual([
      ['a', 2],
      ['b', 1],
    ])
    expect(stats).toEqual({
      rows: 4,
      rowsAfterAsOf: 1,
      duplicateRows: 0,
      ignoredRefunds: 0,
      customersWithoutPurchase: 1,
    })
  })

  it('stream the same summaries from rows grouped by customer', () => {
    const stream = summariseGroupedTransactions(rows, DAYS)
    const streamed = [...stream]
    expect(streamed).toEqual(summariseTransactions(rows, DAYS).customers)
  })

  it('return the statistics when the stream ends', () => {
    const stream = summariseGroupedTransactions(rows, DAYS)
    let next = stream.next()
    while (next.done !== true) next = stream.next()
    expect(next.value).toEqual(summariseTransactions(rows, DAYS).stats)
  })

  it('refuse to stream rows whose customers are interleaved', () => {
    const interleaved = [rows[0], rows[2], rows[1]].filter((r) => r !== undefined)
    expect(() => [...summariseGroupedTransactions(interleaved, DAYS)]).toThrow(UngroupedRowsError)
  })
})
