import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { z } from 'zod'
import { parseModel } from '../pipeline/model-schema.ts'
import type { PopulationModel } from '../pipeline/population.ts'
import { keys } from './keys.ts'

/** The run port: which fitted population model is being served. */
export interface RunStore {
  currentModel(): Promise<PopulationModel | undefined>
  /** Records a run's model, then points CURRENT at it (the pointer is switched last). */
  publish(model: PopulationModel, kind: 'ingest' | 'nightly'): Promise<void>
}

const CurrentPointer = z.object({ runId: z.string() })
const RunItem = z.object({ model: z.string() })

export function dynamoRunStore(dynamo: DynamoDBDocumentClient, table: string): RunStore {
  return {
    async currentModel() {
      const pointer = await dynamo.send(
        new GetCommand({ TableName: table, Key: keys.currentRun(), ConsistentRead: true }),
      )
      if (!pointer.Item) return undefined
      const { runId } = CurrentPointer.parse(pointer.Item)
      const run = await dynamo.send(
        new GetCommand({ TableName: table, Key: keys.run(runId), ConsistentRead: true }),
      )
      if (!run.Item) throw new Error(`run ${runId} is current but has no record`)
      return parseModel(RunItem.parse(run.Item).model)
    },
    async publish(model, kind) {
      await dynamo.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.run(model.runId),
            runId: model.runId,
            kind,
            asOf: model.asOf,
            status: 'succeeded',
            customers: model.customers,
            model: JSON.stringify(model),
          },
        }),
      )
      await dynamo.send(
        new PutCommand({ TableName: table, Item: { ...keys.currentRun(), runId: model.runId } }),
      )
    },
  }
}
