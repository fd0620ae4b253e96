import type { ScoreRecord } from '../domain/score-record.ts'
import type { PopulationModel } from './population.ts'

export type Dimension = 'tier' | 'quadrant' | 'rfmSegment' | 'pattern' | 'decision'
export const DIMENSIONS: readonly Dimension[] = ['tier', 'quadrant', 'rfmSegment', 'pattern', 'decision']

/** The fields of a record the report reads. */
export type ReportFigures = Pick<ScoreRecord, 'netValue' | Dimension>

export type PopulationReport = ReturnType<typeof populationReport>

export interface GroupFigures {
  customers: number
  netValue: number
}

/** Population figures of a scoring run: model fit, Pareto figures, counts and value by segment. */
export function populationReport(model: PopulationModel) {
  const groups = Object.fromEntries(DIMENSIONS.map((d) => [d, {} as Record<string, GroupFigures>])) as Record<
    Dimension,
    Record<string, GroupFigures>
  >
  let customers = 0
  let netValue = 0
  return {
    /** Counts a record; only its net value and segments are read. */
    add(record: ReportFigures): void {
      customers++
      netValue += record.netValue
      for (const dimension of DIMENSIONS) {
        const key = record[dimension]
        const byKey = groups[dimension]
        const group = byKey[key] ?? { customers: 0, netValue: 0 }
        byKey[key] = group
        group.customers++
        group.netValue += record.netValue
      }
    },
    summary() {
      const { bgnbd, gammaGamma } = model
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
        totalNetValue: round2(netValue),
        segments: Object.fromEntries(
          DIMENSIONS.map((d) => [
            d,
            Object.fromEntries(
              Object.entries(groups[d])
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([key, g]) => [
                  key,
                  {
                    customers: g.customers,
                    netValue: round2(g.netValue),
                    valueShare: netValue > 0 ? round4(g.netValue / netValue) : null,
                  },
                ]),
            ),
          ]),
        ),
      }
    },
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100
const round4 = (v: number) => Math.round(v * 10_000) / 10_000
