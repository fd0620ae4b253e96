import { z } from 'zod'
import { ProspectIdSchema } from '../prospects/profile.ts'
import { PROSPECT_QUADRANTS } from '../prospects/quadrant.ts'
import { ProspectRecordSchema } from '../prospects/record.ts'

/** Request and response shapes of the prospect routes, from which their OpenAPI entries are built. */

export const ProspectPathSchema = z.object({ prospectId: ProspectIdSchema })

const QuadrantFiguresSchema = z.object({
  prospects: z.number().int().nonnegative(),
  expectedContribution: z.number().meta({ description: 'Sum of the expected contributions' }),
})

/** The prospect part of a run report and of GET /segments: runs/<runId>/prospects/summary.json. */
export const ProspectSummarySchema = z.object({
  runId: z.string(),
  asOf: z.iso.date(),
  prospects: z.number().int().nonnegative(),
  open: z.number().int().nonnegative().meta({ description: 'Prospects not converted: counted by quadrant' }),
  converted: z.number().int().nonnegative(),
  quadrant: z.object(Object.fromEntries(PROSPECT_QUADRANTS.map((q) => [q, QuadrantFiguresSchema]))),
  intentAuc: z
    .number()
    .nullable()
    .meta({ description: 'AUC of intent against conversions; null without converted and open prospects' }),
  contributionThreshold: z.object({ value: z.number(), source: z.enum(['configured', 'customer mean']) }),
  customerBase: z.object({
    customers: z.number().int().nonnegative(),
    meanNetValue: z.number(),
    meanAcquisitionCost: z.number().nullable(),
  }),
})

export { ProspectRecordSchema }
