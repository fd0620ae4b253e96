import type { PopulationModel } from './population.ts'
import {
  addCoded,
  addRecord,
  type CountedFigures,
  type Dimension,
  emptyCounts,
  type GroupFigures,
  groupOf,
  presentCounts,
} from './segment-counts.ts'

export { DIMENSIONS, type Dimension, type GroupFigures } from './segment-counts.ts'

/** The fields of a record the report reads. */
export type ReportFigures = CountedFigures

export type PopulationReport = ReturnType<typeof populationReport>

/** Population figures of a scoring run: model fit, Pareto figures, counts and value by segment. */
export function populationReport(model: PopulationModel) {
  const counts = emptyCounts()
  return {
    /** Counts a record; only its net value and segments are read. */
    add(record: ReportFigures): void {
      addRecord(counts, record)
    },
    /** The report's figures of a segment, for `addCoded`. */
    group(dimension: Dimension, key: string): GroupFigures {
      return groupOf(counts, dimension, key)
    },
    /** Counts records given by net value and segment codes (see segment-counts.ts, addCoded). */
    addCoded(
      netValue: Float64Array,
      codes: Uint16Array,
      count: number,
      groups: readonly (readonly GroupFigures[])[],
    ): void {
      addCoded(counts, netValue, codes, count, groups)
    },
    summary() {
      const { bgnbd, gammaGamma } = model
      const { customers, totalNetValue, segments } = presentCounts(counts)
      return {
        runId: model.runId,
        asOf: model.asOf,
        modelVersion: model.modelVersion,
        customers,
        converged: bgnbd.converged && gammaGamma.converged,
        bgnbd: {
          r: bgnbd.r,
          alpha: bgnbd.alpha,
          a: bgnbd.a,
          b: bgnbd.b,
          logLikelihood: bgnbd.logLikelihood,
          iterations: bgnbd.iterations,
          gradientNorm: bgnbd.gradientNorm,
          converged: bgnbd.converged,
          timeUnit: model.timeUnit,
        },
        gammaGamma: {
          p: gammaGamma.p,
          q: gammaGamma.q,
          v: gammaGamma.v,
          logLikelihood: gammaGamma.logLikelihood,
          customers: gammaGamma.customers,
          iterations: gammaGamma.iterations,
          converged: gammaGamma.converged,
          populationMeanSpend: gammaGamma.populationMeanSpend,
          frequencySpendCorrelation: gammaGamma.frequencySpendCorrelation,
        },
        pareto: model.pareto,
        totalNetValue,
        segments,
      }
    },
  }
}
