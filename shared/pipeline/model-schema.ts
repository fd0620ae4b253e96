import { z } from 'zod'
import type { PopulationModel } from './population.ts'

const finite = z.number().finite()
const fitStatus = { iterations: z.number().int(), gradientNorm: finite, converged: z.boolean() }
const boundary = z.object({ netValue: finite, customerId: z.string() }).nullable()

/** Validates a stored population model (JSON: NaN is stored as null). */
export const PopulationModelSchema = z.object({
  modelVersion: z.string(),
  runId: z.string(),
  asOf: z.iso.date(),
  timeUnit: z.enum(['days', 'weeks']),
  customers: z.number().int().nonnegative(),
  bgnbd: z.object({ r: finite, alpha: finite, a: finite, b: finite, logLikelihood: finite, ...fitStatus }),
  gammaGamma: z.object({
    p: finite,
    q: finite,
    v: finite,
    logLikelihood: finite,
    customers: z.number().int().nonnegative(),
    populationMeanSpend: finite,
    frequencySpendCorrelation: finite,
    ...fitStatus,
  }),
  rfm: z.object({
    bins: z.number().int(),
    recency: z.array(finite),
    frequency: z.array(finite),
    monetary: z.array(finite),
  }),
  valueCutoffs: z.object({ keyShare: finite, generalShare: finite, key: boundary, general: boundary }),
  pareto: z.object({
    topShare: finite,
    valueShareOfTop: finite.nullable(),
    valueShare: finite,
    customerShareForValue: finite.nullable(),
    totalPositiveValue: finite,
    customers: z.number().int(),
  }),
  contributionThreshold: finite,
  recencyPercentiles: z.object({ quantiles: z.array(finite) }),
  sample: z
    .object({
      customers: z.number().int().nonnegative(),
      population: z.number().int().nonnegative(),
      share: finite,
      limit: z.number().int().positive(),
    })
    .optional(),
}) satisfies z.ZodType<PopulationModel>

export function parseModel(json: string): PopulationModel {
  return PopulationModelSchema.parse(JSON.parse(json))
}
