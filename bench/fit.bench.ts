/**
 * Fit cost of the models on a summarised file: parse and summarise first (timed separately, see
 * summarise.bench.ts), then time the grouping of all customers into (x, t_x, T) patterns (groupPatternTable
 * on their x, t_x and T columns, as the scorer groups its table's columns), fitBgNbd on the patterns and
 * fitGammaGamma on all customers. Prints one JSON line: customers, distinct (x, t_x, T) patterns, the
 * seconds of each step, BFGS iterations, whether each fit converged, and the fitted parameters (in the
 * --unit, days by default, the generator's unit).
 *
 * The rows held as objects for the summary (as summarise.bench.ts explains) are garbage once it is done;
 * their collection is forced before the timed part (`gcSeconds`), so that the fit's timings are the fit's
 * own, not those of collecting a heap of a few GB that the scorer, which holds rows in typed arrays,
 * never builds. `fitGcPauseSeconds` sums the collections' pauses during the timed part (part of
 * `fitSeconds`).
 *
 *   node bench/fit.bench.ts --input FILE --as-of YYYY-MM-DD [--unit days|weeks]
 */
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { RecencyFrequency } from '../shared/scoring/bgnbd.ts'
import { fitBgNbd, groupPatternTable } from '../shared/scoring/bgnbd.ts'
import { fitGammaGamma } from '../shared/scoring/gamma-gamma.ts'
import { benchOptions, loadAndSummarise } from './summarise.bench.ts'

async function main(): Promise<void> {
  const { input, asOf, unit } = benchOptions('bench/fit.bench.ts')
  const loaded = await loadAndSummarise(input, asOf, unit)
  const customers = loaded.summary.customers
  const n = customers.length
  const x = new Float64Array(n)
  const tx = new Float64Array(n)
  const T = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const customer = customers[i] as RecencyFrequency
    x[i] = customer.x
    tx[i] = customer.tx
    T[i] = customer.T
  }
  const collecting = performance.now()
  collectGarbage()
  const pauses: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  const started = performance.now()
  const patterns = groupPatternTable(x, tx, T)
  const grouped = performance.now()
  const bgnbd = fitBgNbd(patterns)
  const bgnbdDone = performance.now()
  const gammaGamma = fitGammaGamma(customers)
  const done = performance.now()
  // The observer hears of the collections during the timed part after it.
  await new Promise((resolve) => setImmediate(resolve))
  observer.disconnect()
  const inFit = pauses.filter((entry) => entry.startTime >= started && entry.startTime < done)
  console.log(
    JSON.stringify({
      customers: customers.length,
      patterns: patterns.size,
      prepareSeconds: loaded.parseSeconds + loaded.summariseSeconds,
      gcSeconds: (started - collecting) / 1000,
      groupSeconds: (grouped - started) / 1000,
      bgnbdSeconds: (bgnbdDone - grouped) / 1000,
      gammaGammaSeconds: (done - bgnbdDone) / 1000,
      fitSeconds: (done - started) / 1000,
      fitGcPauseSeconds: inFit.reduce((sum, entry) => sum + entry.duration, 0) / 1000,
      bgnbdIterations: bgnbd.iterations,
      bgnbdConverged: bgnbd.converged,
      gammaGammaCustomers: gammaGamma.customers,
      gammaGammaIterations: gammaGamma.iterations,
      gammaGammaConverged: gammaGamma.converged,
      r: bgnbd.r,
      alpha: bgnbd.alpha,
      a: bgnbd.a,
      b: bgnbd.b,
      p: gammaGamma.p,
      q: gammaGamma.q,
      v: gammaGamma.v,
    }),
  )
}

/** A full garbage collection, through the gc function that --expose-gc gives a new context. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

await main()
