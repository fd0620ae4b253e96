/**
 * Converts the public CDNOW panel (whitespace-separated: master id, sample id, YYYYMMDD, CDs, dollars)
 * into the product's transaction CSV. Usage: node scripts/convert-cdnow.ts <CDNOW_sample.txt> <out.csv>
 */
import { readFileSync, writeFileSync } from 'node:fs'

const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: node scripts/convert-cdnow.ts <CDNOW_sample.txt> <out.csv>')
  process.exit(2)
}
const lines = ['customer_id,transaction_date,amount,quantity']
for (const raw of readFileSync(input, 'utf8').split(/\r?\n/)) {
  const fields = raw.trim().split(/\s+/)
  if (fields.length < 5) continue
  const [id, , day, quantity, dollars] = fields as [string, string, string, string, string]
  lines.push(`${id},${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)},${dollars},${quantity}`)
}
writeFileSync(output, `${lines.join('\n')}\n`)
console.error(`${lines.length - 1} rows written to ${output}`)
