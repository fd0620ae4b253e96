import { readFileSync } from 'node:fs'
import type { Transaction } from '../../../shared/domain/transaction.ts'

/** End of the CDNOW calibration period. */
export const CDNOW_CALIBRATION_END = '1997-09-30'

export const PUBLISHED_BGNBD = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }
export const PUBLISHED_BGNBD_LL = -9582.4
export const PUBLISHED_GAMMA_GAMMA = { p: 6.25, q: 3.74, v: 15.44 }

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/cdnow/${name}`, import.meta.url), 'utf8')

/** The raw panel as transactions: customer id is the sample id, date YYYY-MM-DD, amount in dollars. */
export function readCdnowTransactions(): Transaction[] {
  return fixture('CDNOW_sample.txt')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, sampleId, yyyymmdd, , dollars] = line.trim().split(/\s+/)
      if (sampleId === undefined || yyyymmdd?.length !== 8 || dollars === undefined) {
        throw new Error(`malformed CDNOW line: ${line}`)
      }
      return {
        customerId: sampleId,
        date: `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`,
        amount: Number(dollars),
      }
    })
}

export type PublishedSummary = { id: string; x: number; tx: number; T: number; zbar: number }

/** The published per-customer summary (weeks; zbar rounded to cents). */
export function readCdnowSummary(): PublishedSummary[] {
  const [header, ...rows] = fixture('cdnow_customers_summary_with_transactions.csv').trim().split('\n')
  if (header?.trim() !== 'ID,x,t_x,T,zbar') throw new Error(`unexpected header: ${header}`)
  return rows.map((line) => {
    const [id, x, tx, T, zbar] = line.split(',')
    return {
      id: String(Number(id)).padStart(4, '0'),
      x: Number(x),
      tx: Number(tx),
      T: Number(T),
      zbar: Number(zbar),
    }
  })
}

/** Rounds to `digits` significant figures, as published numbers are quoted. */
export function significant(value: number, digits = 3): number {
  return Number(value.toPrecision(digits))
}
