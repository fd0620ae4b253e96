import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import { RowStore } from '../../../shared/pipeline/row-store.ts'

const collect = (store: RowStore) =>
  Object.fromEntries(
    [...store.byCustomer()].map(([id, rows]) => [id, rows.map((r) => `${r.date}:${r.amount}`).sort()]),
  )

describe('the columnar row store', () => {
  it('hands out each customer with all and only their rows', () => {
    const store = new RowStore()
    const rows: Transaction[] = [
      { customerId: 'a', date: '2026-01-01', amount: 1 },
      { customerId: 'b', date: '2026-01-02', amount: 2 },
      { customerId: 'a', date: '2026-01-03', amount: -3, margin: 0.5 },
    ]
    for (const row of rows) store.add(row)
    const grouped = [...store.byCustomer()]
    expect(grouped.map(([id]) => id)).toEqual(['a', 'b'])
    expect(grouped[0]?.[1]).toEqual([
      { date: '2026-01-01', amount: 1 },
      { date: '2026-01-03', amount: -3, margin: 0.5 },
    ])
  })

  it('keeps a repeated transaction id once, even under another customer', () => {
    const store = new RowStore()
    store.add({ customerId: 'a', date: '2026-01-01', amount: 1, transactionId: 't1' })
    store.add({ customerId: 'b', date: '2026-01-02', amount: 2, transactionId: 't1' })
    store.add({ customerId: 'b', date: '2026-01-02', amount: 2, transactionId: 't2' })
    expect(store.duplicates).toBe(1)
    expect(collect(store)).toEqual({ a: ['2026-01-01:1'], b: ['2026-01-02:2'] })
  })

  it('groups the same way whatever the row order, beyond its initial capacity', () => {
    const row = fc.record({
      customerId: fc.constantFrom('a', 'b', 'c', 'd'),
      date: fc.constantFrom('2026-01-01', '2026-02-01', '2026-03-01'),
      amount: fc.integer({ min: -5, max: 50 }),
    })
    fc.assert(
      fc.property(fc.array(row, { maxLength: 200 }), fc.nat(), (rows, seed) => {
        const a = new RowStore()
        const b = new RowStore()
        for (const r of rows) a.add(r)
        const shuffled = [...rows].sort((x, y) => ((x.amount * 31 + seed) % 7) - ((y.amount * 31 + seed) % 7))
        for (const r of shuffled) b.add(r)
        expect(collect(b)).toEqual(collect(a))
      }),
    )
    const big = new RowStore()
    for (let i = 0; i < 200_000; i++) big.add({ customerId: `c${i % 1000}`, date: '2026-01-01', amount: i })
    expect(big.rows).toBe(200_000)
    expect([...big.byCustomer()].every(([, rows]) => rows.length === 200)).toBe(true)
  })
})
