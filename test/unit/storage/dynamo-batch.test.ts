import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb'
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'
import { batchPut, DEFAULT_RETRY } from '../../../shared/storage/dynamo-batch.ts'

const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }))
const mock = mockClient(dynamo)
const retry = { ...DEFAULT_RETRY, sleep: async () => undefined }
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: `CUST#${i}`, sk: 'LATEST' }))

afterEach(() => mock.reset())

describe('batch writes to DynamoDB', () => {
  it('writes in batches of 25', async () => {
    mock.on(BatchWriteCommand).resolves({})
    await batchPut(dynamo, 't', items(60), retry)
    const sizes = mock
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.t?.length)
    expect(sizes).toEqual([25, 25, 10])
  })

  it('re-sends unprocessed items until they are written', async () => {
    const [first] = items(1)
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [{ PutRequest: { Item: first } }] } })
      .resolves({})
    await batchPut(dynamo, 't', items(3), retry)
    const calls = mock.commandCalls(BatchWriteCommand)
    expect(calls).toHaveLength(2)
    expect(calls[1]?.args[0].input.RequestItems?.t).toEqual([{ PutRequest: { Item: first } }])
  })

  it('backs off and retries a throttled batch', async () => {
    mock
      .on(BatchWriteCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
      .resolves({})
    await batchPut(dynamo, 't', items(2), retry)
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(2)
  })

  it('gives up with an error when items stay unprocessed, never silently', async () => {
    mock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'x', sk: 'y' } } }] } })
    await expect(batchPut(dynamo, 't', items(1), { ...retry, maxAttempts: 3 })).rejects.toThrow(/unprocessed/)
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(3)
  })
})
