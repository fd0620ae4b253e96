import { z } from 'zod'

/** A run id: the as-of day for nightly runs (2026-11-23), `ingest-<day>` before the first run. */
export const RunIdSchema = z.string().regex(/^[\w.-]{1,64}$/, 'must be a run id such as 2026-11-23')
