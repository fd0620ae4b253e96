import type { ProspectSummary } from '../prospects/score-prospects.ts'
import { PREFIXES } from '../resources.ts'
import type { ObjectStore } from '../storage/s3-object-store.ts'

/** A run's prospect files: every prospect's record (what exports read) and the summary. */
export const prospectKeys = {
  scores: (runId: string) => `${PREFIXES.runs}${runId}/prospects/scores.jsonl.gz`,
  summary: (runId: string) => `${PREFIXES.runs}${runId}/prospects/summary.json`,
}

/** What scoring every prospect against a run's customer base gave. */
export interface ProspectRun {
  readonly prospects: number
  readonly asOf: string
  readonly runId: string | null
  readonly summary: ProspectSummary
}

/** The summary of a run's prospects (runs/<runId>/prospects/summary.json), if any were scored for it. */
export async function readProspectSummary(objects: ObjectStore, runId: string): Promise<unknown> {
  const body = await objects.readAll(prospectKeys.summary(runId))
  return body ? JSON.parse(Buffer.from(body).toString('utf8')) : undefined
}
