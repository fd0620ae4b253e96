/**
 * Fit cost of the models on a summarised file: parse and summarise first (timed separately, see
 * summarise.bench.ts), then time the grouping of all customers into (x, t_x, T) patterns (their columns,
 * then groupPatternTable, as the scorer groups its table's columns), fitBgNbd on the patterns and
 * fitGammaGamma on all customers. Prints one JSON line: customers, distinct (x, t_x, T) patterns, the
 * seconds of each step, BFGS iterations, whether each fit converged, and the fitted parameters (in the
 * --unit, days by default, the generator's unit).
 *
 * The rows held as objects for the summary (as summarise.bench.ts explains) are garbage once it is done;
 * their collection is forced before the timed part (`gcSeconds`), so that the fit's timings are the fit's
 * own, not those of collecting a heap of a few GB that the scorer, which holds rows in typed arrays,
 * never builds.
 *
 *   node bench/fit.bench.ts --input FILE --as-of YYYY-MM-DD [--unit days|weeks]
 */
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
  const collecting = performance.now()
  collectGarbage()
  const started = performance.now()
  const column = (field: keyof RecencyFrequency) => {
    const values = new Float64Array(customers.length)
    for (let i = 0; i < customers.length; i++) values[i] = (customers[i] as RecencyFrequency)[field]
    return values
  }
  const patterns = groupPatternTable(column('x'), column('tx'), column('T'))
  const grouped = performance.now()
  const bgnbd = fitBgNbd(patterns)
  const bgnbdDone = performance.now()
  const gammaGamma = fitGammaGamma(customers)
  const done = performance.now()
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
