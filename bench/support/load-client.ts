/**
 * The load generator of bench/api-lookup.bench.ts, in its own process so that it does not share an
 * event loop with the server it measures: autocannon against GET /customers/{id}, cycling through
 * the given ids, for a fixed time. Prints autocannon's summary as one JSON line.
 *
 *   node bench/support/load-client.ts --url URL --token T --ids FILE [--connections 10] [--duration 10]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    ids: { type: 'string' },
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
  },
})
if (!values.url || !values.token || !values.ids) {
  console.error('usage: load-client.ts --url URL --token T --ids FILE [--connections N] [--duration S]')
  process.exit(2)
}
const ids = readFileSync(values.ids, 'utf8').split('\n').filter(Boolean)
let next = 0
const result = await autocannon({
  url: values.url,
  connections: Number(values.connections),
  duration: Number(values.duration),
  headers: { authorization: `Bearer ${values.token}` },
  requests: [
    {
      setupRequest: (request) => {
        const id = ids[next++ % ids.length] ?? ''
        return { ...request, path: `/customers/${encodeURIComponent(id)}` }
      },
    },
  ],
})
console.log(JSON.stringify(result))
