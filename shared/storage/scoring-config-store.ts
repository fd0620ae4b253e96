import { PREFIXES } from '../resources.ts'
import { DEFAULT_SCORING_CONFIG, parseScoringConfigJson, type ScoringConfig } from '../scoring-config.ts'
import type { ObjectStore } from './s3-object-store.ts'

export const SCORING_CONFIG_KEY = `${PREFIXES.config}scoring.json`

/** The scoring configuration from config/scoring.json in the bucket; the defaults when there is none. */
export function s3ScoringConfig(objects: ObjectStore): () => Promise<ScoringConfig> {
  return async () => {
    const body = await objects.readAll(SCORING_CONFIG_KEY)
    if (!body) return DEFAULT_SCORING_CONFIG
    return parseScoringConfigJson(Buffer.from(body).toString('utf8'), SCORING_CONFIG_KEY)
  }
}
