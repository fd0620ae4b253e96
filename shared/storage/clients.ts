import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { S3Client } from '@aws-sdk/client-s3'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { AppConfig } from '../config.ts'

export interface Clients {
  readonly s3: S3Client
  readonly dynamo: DynamoDBDocumentClient
}

/**
 * Builds the SDK clients once per process (the composition root of each function calls this at
 * module scope). On AWS the endpoints are unset; locally they point at s3rver and dynalite.
 */
export function createClients(config: Pick<AppConfig, 'region' | 's3Endpoint' | 'dynamoEndpoint'>): Clients {
  const s3 = new S3Client({
    region: config.region,
    ...(config.s3Endpoint && {
      endpoint: config.s3Endpoint,
      forcePathStyle: true,
      // s3rver's signature check predates the SDK's default streaming checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  })
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: config.region,
      ...(config.dynamoEndpoint && { endpoint: config.dynamoEndpoint }),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  )
  return { s3, dynamo }
}

/** For functions that start other functions; locally the endpoint is the local Lambda API. */
export function createLambdaClient(config: Pick<AppConfig, 'region' | 'lambdaEndpoint'>): LambdaClient {
  return new LambdaClient({
    region: config.region,
    ...(config.lambdaEndpoint && { endpoint: config.lambdaEndpoint }),
  })
}
