import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { curatedProfiles } from '../storage/curated-profiles.ts'
import { dynamoProspectStore } from '../storage/dynamo-prospect-store.ts'
import { type RescoreProspectsDeps, rescoreProspects } from './rescore-prospects.ts'

/** Prospect scoring on the data bucket and the table, as the ingest and nightly functions use it. */
export function tableProspectScoring(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  deps: Omit<RescoreProspectsDeps, 'profiles' | 'prospects'>,
) {
  const profiles = curatedProfiles(deps.objects)
  const score = rescoreProspects({ ...deps, profiles, prospects: dynamoProspectStore(dynamo, tableName) })
  return { profiles, score }
}
