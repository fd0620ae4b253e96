import type { RouteDoc } from './openapi.ts'
import { ProspectPathSchema, ProspectRecordSchema } from './prospect-schemas.ts'
import { ErrorBodySchema } from './schemas.ts'

const error = (description: string) => ({ description, schema: ErrorBodySchema })

/** The OpenAPI entries of the prospect routes, merged into ROUTE_DOCS. */
export const PROSPECT_ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  'GET /prospects/{prospectId}': {
    summary: "A prospect's latest score: expected contribution, intent, quadrant PI-PIV and reasons",
    path: ProspectPathSchema,
    responses: {
      200: { description: 'The prospect record', schema: ProspectRecordSchema },
      400: error('Invalid path, query or body; details name each problem'),
      401: error('Missing or invalid credentials'),
      404: error('No score for this prospect (prospect_not_found)'),
    },
  },
}
