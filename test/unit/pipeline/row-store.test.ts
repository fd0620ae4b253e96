import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../../shared/domain/transaction.ts'
import { RowStore, scatterBuffers, scatterRows } from '../../../shared/pipeline/row-store.ts'

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

  it('numbers and groups customers alike whether it expected fewer, as many or more of them', () => {
    const rows: Transaction[] = Array.from({ length: 30_000 }, (_, i) => ({
      customerId: `C${((i * 7919) % 5000).toString().padStart(7, '0')}`,
      date: '2026-01-01',
      amount: i,
    }))
    const stores = [undefined, 10, 5000, 1e7].map((expectedCustomers) => {
      const store = new RowStore({ expectedCustomers })
      for (const row of rows) store.add(row)
      return store
    })
    const [plain, ...sized] = stores.map((store) => [...store.byCustomer()])
    expect(plain).toHaveLength(5000)
    for (const grouped of sized) expect(grouped).toEqual(plain)
  })
})

/** What the store should hold: each customer's rows in the order added, a repeated transaction id dropped. */
function naive(rows: readonly Transaction[]) {
  const seen = new Set<string>()
  const groups = new Map<string, { date: string; amount: number; margin?: number }[]>()
  let duplicates = 0
  for (const { customerId, date, amount, margin, transactionId } of rows) {
    if (transactionId !== undefined) {
      if (seen.has(transactionId)) {
        duplicates++
        continue
      }
      seen.add(transactionId)
    }
    const group = groups.get(customerId) ?? []
    groups.set(customerId, group)
    group.push(margin === undefined ? { date, amount } : { date, amount, margin })
  }
  return { groups: [...groups], duplicates }
}

describe('the store in columns', () => {
  const ids = fc.constantFrom(
    'a',
    'b',
    'C0000001',
    'C0000010',
    'exactly11ch',
    'twelve-chars',
    'a-rather-long-customer-id@example.com',
    'ünïcode',
    '顧客-1',
  )
  const row = fc.record(
    {
      customerId: ids,
      date: fc.constantFrom('2026-01-01', '2026-02-01', '2026-02-02', '2026-03-01'),
      amount: fc.oneof(
        fc.integer({ min: -500, max: 5000 }).map((c) => c / 100),
        fc.constantFrom(0, -0),
      ),
      margin: fc.integer({ min: -100, max: 900 }).map((c) => c / 100),
      transactionId: fc.integer({ min: 0, max: 300 }).map((t) => `t${t}`),
    },
    { requiredKeys: ['customerId', 'date', 'amount'] },
  )

  it('hands out exactly the rows added, grouped by customer, through add, addAll and regrouping', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 300 }), fc.array(row, { maxLength: 100 }), (first, later) => {
        const store = new RowStore()
        store.addAll(first.slice(0, 150))
        for (const r of first.slice(150)) store.add(r)
        const once = naive(first)
        expect([...store.byCustomer()]).toEqual(once.groups)
        expect(store.duplicates).toBe(once.duplicates)
        store.addAll(later)
        const both = naive([...first, ...later])
        expect([...store.byCustomer()]).toEqual(both.groups)
        expect(store.rows).toBe(both.groups.reduce((n, [, rows]) => n + rows.length, 0))
        expect(store.customers).toBe(both.groups.length)
      }),
    )
  })

  it('gives the same rows after merging a part as adding its rows one by one, with rows added after it', () => {
    const segments = fc.tuple(
      fc.array(row, { maxLength: 150 }),
      fc.array(row, { maxLength: 150 }),
      fc.array(row, { maxLength: 50 }),
    )
    fc.assert(
      fc.property(segments, fc.boolean(), ([first, second, later], groupFirst) => {
        const store = new RowStore()
        store.addAll(first)
        if (groupFirst) store.grouped()
        const other = new RowStore({ keepIdHashes: true })
        other.addAll(second)
        store.merge(other.part())
        const both = naive([...first, ...second])
        expect(store.rows).toBe(both.groups.reduce((n, [, rows]) => n + rows.length, 0))
        expect([...store.byCustomer()]).toEqual(both.groups)
        expect(store.duplicates).toBe(both.duplicates)
        const third = new RowStore({ keepIdHashes: true })
        third.addAll(later.slice(0, 20))
        store.merge(third.part())
        store.addAll(later.slice(20))
        const all = naive([...first, ...second, ...later])
        expect([...store.byCustomer()]).toEqual(all.groups)
        expect(store.duplicates).toBe(all.duplicates)
      }),
    )
  })

  it('groups the same with the last part merged put in place elsewhere (its columns moved there)', async () => {
    const segments = fc.tuple(
      fc.array(row, { maxLength: 150 }),
      fc.array(row, { maxLength: 150 }),
      fc.array(row, { maxLength: 50 }),
    )
    await fc.assert(
      fc.asyncProperty(segments, fc.boolean(), async ([first, second, later], groupFirst) => {
        const store = new RowStore()
        store.addAll(first)
        if (groupFirst) store.grouped()
        const other = new RowStore({ keepIdHashes: true })
        other.addAll(second)
        const rowsBefore = store.rows
        const partRows = other.rows
        store.merge(other.part())
        let moved = 0
        const grouped = await store.groupedBeside(async (task) => {
          // As a worker thread gets it: the source's buffers transferred, the grouped columns shared.
          const remote = structuredClone(task, { transfer: scatterBuffers(task) })
          await new Promise((resolve) => setImmediate(resolve))
          moved += remote.source.count
          scatterRows(remote)
        })
        const both = naive([...first, ...second])
        // Put in place elsewhere whenever there are rows to group here too.
        expect(moved).toBe(rowsBefore > 0 ? partRows : 0)
        expect(grouped.start[grouped.customers]).toBe(both.groups.reduce((n, [, rows]) => n + rows.length, 0))
        expect([...store.byCustomer()]).toEqual(both.groups)
        expect(store.duplicates).toBe(both.duplicates)
        store.addAll(later)
        expect([...store.byCustomer()]).toEqual(naive([...first, ...second, ...later]).groups)
      }),
    )
  })

  it('groups many customers (several blocks of the first pass) in the order their rows came', () => {
    const rows: Transaction[] = []
    for (let i = 0; i < 120_000; i++) {
      rows.push({ customerId: `c${(i * 7919) % 25_013}`, date: `2026-01-${10 + (i % 19)}`, amount: i })
    }
    const store = new RowStore()
    store.addAll(rows.slice(0, 60_000))
    const part = new RowStore({ keepIdHashes: true })
    part.addAll(rows.slice(60_000))
    store.merge(part.part())
    expect([...store.byCustomer()]).toEqual(naive(rows).groups)
  })

  it('keeps the columns consistent beyond the first allocations, with margins on some rows only', () => {
    const store = new RowStore()
    const rows: Transaction[] = []
    for (let i = 0; i < 70_000; i++) {
      const r: Transaction = {
        customerId: `c${(i * 7919) % 30_011}`,
        date: `2026-0${1 + (i % 9)}-1${i % 10}`,
        amount: (i % 1000) / 100,
        ...(i % 3 === 0 && i > 60_000 ? { margin: i / 1000 } : {}),
      }
      rows.push(r)
    }
    store.addAll(rows.slice(0, 50_000))
    const grouped = store.grouped()
    expect(grouped.margin).toBeUndefined()
    store.addAll(rows.slice(50_000))
    const again = store.grouped()
    expect(again.margin).toBeDefined()
    expect([...store.byCustomer()]).toEqual(naive(rows).groups)
    expect(again.start[again.customers]).toBe(70_000)
  })
})
