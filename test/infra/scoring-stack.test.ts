import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Match, type Template } from 'aws-cdk-lib/assertions'
import { beforeAll, describe, expect, it } from 'vitest'
import type { HouseFunction } from '../../infra/house-function.ts'
import type { ScoringStack } from '../../infra/scoring-stack.ts'
import {
  API_ROUTES,
  dataBucketName,
  FUNCTIONS,
  INGEST_QUEUE,
  PREFIXES,
  TABLE,
} from '../../shared/resources.ts'
import {
  grantLines,
  isRecord,
  logicalId,
  objectGrantLines,
  roleStatements,
  type Statement,
  SYNTH_TIMEOUT_MS,
  synthesize,
  tableArnOf,
} from './synth.ts'

// One synthesis for the whole file, with real bundling so the function code is checked too.
let stack: ScoringStack
let template: Template
let assemblyDir: string

beforeAll(() => {
  const synthesized = synthesize({ bundle: true })
  stack = synthesized.stack
  template = synthesized.template
  assemblyDir = synthesized.app.synth().directory
}, SYNTH_TIMEOUT_MS)

const denyWithoutTls = Match.objectLike({
  Effect: 'Deny',
  Action: 's3:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
})

function statementsOf(name: keyof typeof FUNCTIONS): Statement[] {
  return roleStatements(template, logicalId(stack.functions[name].role))
}

const tableArn = () => tableArnOf(stack)

/** A function's grants beyond logs and traces, as sorted `action resource` lines (bucket ARNs by suffix). */
const grantsOf = (name: keyof typeof FUNCTIONS): string[] => grantLines(stack, statementsOf(name))

/** The folder of the cloud assembly that holds a function's bundled code. */
function assetDirOf(fn: HouseFunction): string {
  const code: unknown = template.toJSON().Resources[logicalId(fn.function)].Properties.Code
  const key = isRecord(code) ? String(code.S3Key) : ''
  return join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`)
}

describe('data bucket', () => {
  it('blocks public access, encrypts at rest, keeps versions and logs access to the log bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: {
        'Fn::Join': ['', [dataBucketName(''), { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalId(stack.node.findChild('AccessLogBucket')) },
      },
    })
  })

  it('denies every request that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.dataBucket) },
      PolicyDocument: { Statement: Match.arrayWith([denyWithoutTls]) },
    })
  })

  it('expires exports after a few days and is retained when the stack is deleted', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Prefix: PREFIXES.exports,
              ExpirationInDays: Match.anyValue(),
              Status: 'Enabled',
            }),
          ]),
        },
      }),
    })
  })

  it('sends its access logs to a private, encrypted, TLS-only bucket whose logs expire', () => {
    const logBucket = logicalId(stack.node.findChild('AccessLogBucket'))
    expect(template.toJSON().Resources[logBucket]).toMatchObject({
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: expect.any(Number), Status: 'Enabled' }] },
      },
    })
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logBucket },
      PolicyDocument: { Statement: Match.arrayWith([denyWithoutTls]) },
    })
  })

  it('notifies the ingest queue of objects created under incoming/ only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack.dataBucket) },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: PREFIXES.incoming }] } },
            QueueArn: { 'Fn::GetAtt': [logicalId(stack.ingestQueue), 'Arn'] },
          },
        ],
      },
    })
  })
})

describe('table', () => {
  it('has the keys, name and expiry attribute of shared/resources.ts', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: TABLE.name,
      KeySchema: [
        { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: TABLE.partitionKey.name, AttributeType: TABLE.partitionKey.type },
        { AttributeName: TABLE.sortKey.name, AttributeType: TABLE.sortKey.type },
      ]),
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
    })
  })

  it('bills on demand, keeps point-in-time backups, is encrypted and is retained', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      }),
    })
  })
})

describe('ingest queue', () => {
  it('dead-letters a message after the receive count of shared/resources.ts', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: INGEST_QUEUE.visibilityTimeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.ingestDeadLetterQueue), 'Arn'] },
        maxReceiveCount: INGEST_QUEUE.maxReceiveCount,
      },
    })
  })

  it('hides a message for longer than the ingest function may run', () => {
    expect(INGEST_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(FUNCTIONS.ingest.timeoutSeconds)
  })

  it('encrypts both queues and refuses requests without TLS', () => {
    for (const queue of [stack.ingestQueue, stack.ingestDeadLetterQueue]) {
      expect(template.toJSON().Resources[logicalId(queue)].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
      })
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      })
    }
  })

  it('feeds the ingest function in batches that report their failed items', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.ingestQueue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.functions.ingest.function) },
      BatchSize: INGEST_QUEUE.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    })
  })

  it('raises an alarm, sent to an encrypted topic, as soon as a message is dead-lettered', () => {
    const topics = template.findResources('AWS::SNS::Topic', {
      Properties: { KmsMasterKeyId: Match.anyValue() },
    })
    expect(Object.keys(topics)).toHaveLength(1)
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.ingestDeadLetterQueue), 'QueueName'] } },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: Object.keys(topics)[0] }],
    })
  })
})

describe('functions', () => {
  it.each(Object.entries(FUNCTIONS))(
    '%s runs Node.js 24 on arm64 with the spec of shared/resources.ts',
    (name, spec) => {
      const fn = stack.functions[name as keyof typeof FUNCTIONS]
      expect(template.toJSON().Resources[logicalId(fn.function)].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: logicalId(fn.logGroup) } },
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            TABLE_NAME: { Ref: logicalId(stack.table) },
            DATA_BUCKET: { Ref: logicalId(stack.dataBucket) },
            SHARD_COUNT: expect.stringMatching(/^\d+$/),
            BUSINESS_TIME_ZONE: expect.any(String),
          },
        },
      })
    },
  )

  it('writes every function log to a log group with a retention period', () => {
    for (const fn of Object.values(stack.functions)) {
      expect(template.toJSON().Resources[logicalId(fn.logGroup)].Properties).toMatchObject({
        RetentionInDays: expect.any(Number),
      })
    }
  })

  it('bundles each handler as one ESM file, with the AWS SDK inside and a source map beside it', () => {
    for (const fn of Object.values(stack.functions)) {
      const assetDir = assetDirOf(fn)
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map'])
      const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8')
      expect(bundle.startsWith('import { createRequire as')).toBe(true)
      expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//)
    }
  })

  it('loads each bundle in plain Node.js and finds the exported handler', () => {
    for (const fn of Object.values(stack.functions)) {
      // The module scope runs as on a cold start: config parsing, client construction, the CJS
      // dependencies behind the createRequire banner. No AWS call happens before an invocation.
      const output = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', "const m = await import('./index.mjs'); console.log(typeof m.handler)"],
        {
          cwd: assetDirOf(fn),
          env: { ...process.env, TABLE_NAME: 'table', DATA_BUCKET: 'bucket', AWS_REGION: 'eu-west-1' },
          encoding: 'utf8',
        },
      )
      expect(output.trim()).toBe('function')
    }
  })

  it('lets get-customer read score items and nothing else of the table', () => {
    const dynamo = statementsOf('getCustomer').filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')))
    expect(dynamo).toEqual([{ effect: 'Allow', actions: ['dynamodb:GetItem'], resources: [tableArn()] }])
    const actions = statementsOf('getCustomer').flatMap((s) => s.actions)
    for (const write of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ]) {
      expect(actions).not.toContain(write)
    }
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([])
  })

  it('lets get-customer-history query the table, and nothing else', () => {
    const granted = statementsOf('getCustomerHistory').filter(
      (s) => !s.actions.some((a) => /^(logs|xray):/.test(a)),
    )
    expect(granted).toEqual([{ effect: 'Allow', actions: ['dynamodb:Query'], resources: [tableArn()] }])
  })

  it('lets get-run read run records and run files under runs/, and nothing else', () => {
    expect(grantsOf('getRun')).toEqual(
      [`dynamodb:GetItem ${tableArn()}`, `s3:GetObject ${PREFIXES.runs}*`].sort(),
    )
  })

  it('lets get-segments read run records and run reports under runs/, and nothing else', () => {
    expect(grantsOf('getSegments')).toEqual(
      [`dynamodb:GetItem ${tableArn()}`, `s3:GetObject ${PREFIXES.runs}*`].sort(),
    )
  })

  it('lets score-customer read run records and the scoring configuration, and store nothing', () => {
    expect(grantsOf('scoreCustomer')).toEqual(
      [`dynamodb:GetItem ${tableArn()}`, `s3:GetObject ${PREFIXES.config}*`, 's3:ListBucket '].sort(),
    )
  })

  it('lets the export worker take jobs, read run files and write export files, and nothing else', () => {
    expect(grantsOf('exportWorker')).toEqual(
      [
        `dynamodb:GetItem ${tableArn()}`,
        `dynamodb:UpdateItem ${tableArn()}`,
        `s3:GetObject ${PREFIXES.runs}*`,
        `s3:PutObject ${PREFIXES.exports}*`,
        `s3:AbortMultipartUpload ${PREFIXES.exports}*`,
      ].sort(),
    )
  })

  it('does not retry a failed export invocation, which the job already records as failed', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.functions.exportWorker.function) },
      MaximumRetryAttempts: 0,
    })
  })

  it('lets get-export read export jobs and sign downloads of export files, and nothing else', () => {
    expect(grantsOf('getExport')).toEqual(
      [`dynamodb:GetItem ${tableArn()}`, `s3:GetObject ${PREFIXES.exports}*`].sort(),
    )
  })

  it('gives the openapi function no permission beyond its logs and traces', () => {
    expect(grantsOf('openapi')).toEqual([])
  })

  it('gives ingest exactly the item actions of its ledger and score store: no Scan, no DeleteItem', () => {
    const dynamo = statementsOf('ingest').flatMap((s) => s.actions.filter((a) => a.startsWith('dynamodb:')))
    expect(dynamo.sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ])
  })

  it('scopes every object permission of ingest to the prefixes it works on', () => {
    expect(objectGrantLines(stack, statementsOf('ingest'))).toEqual(
      [
        `s3:GetObject ${PREFIXES.incoming}*`,
        `s3:GetObjectVersion ${PREFIXES.incoming}*`,
        `s3:GetObject ${PREFIXES.curated}*`,
        `s3:GetObject ${PREFIXES.config}*`,
        `s3:PutObject ${PREFIXES.reports}*`,
        `s3:PutObject ${PREFIXES.rejected}*`,
        `s3:PutObject ${PREFIXES.curated}*`,
        `s3:DeleteObject ${PREFIXES.curated}*`,
        // The bucket itself, for listing a shard's files.
        's3:ListBucket ',
      ].sort(),
    )
  })

  it('uses "*" as a resource only for X-Ray, which has no resource-level permissions', () => {
    for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      const wildcard = statementsOf(name).filter((s) => s.resources.includes('"*"'))
      expect(wildcard.flatMap((s) => s.actions).sort()).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ])
    }
  })
})

describe('API', () => {
  it('has a method for every route of shared/resources.ts, each requiring IAM authorisation unless public', () => {
    const methods = template.findResources('AWS::ApiGateway::Method', {
      Properties: { HttpMethod: Match.not('ANY') },
    })
    const authorizations = Object.values(methods).map((m) =>
      isRecord(m.Properties) ? m.Properties.AuthorizationType : undefined,
    )
    expect(authorizations).toHaveLength(API_ROUTES.length)
    expect(authorizations.filter((a) => a === 'AWS_IAM')).toHaveLength(
      API_ROUTES.filter((route) => !route.public).length,
    )
  })

  it('leaves only the API description open to unauthenticated callers', () => {
    expect(API_ROUTES.filter((route) => route.public).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /openapi.json',
    ])
    const open = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => isRecord(m.Properties) && m.Properties.AuthorizationType !== 'AWS_IAM',
    )
    expect(open.map((m) => m.Properties)).toEqual([
      expect.objectContaining({ HttpMethod: 'GET', AuthorizationType: 'NONE' }),
    ])
  })

  it('answers a signed request to a path without a route with 404 route_not_found, without a function', () => {
    const catchAll = template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'ANY' } })
    expect(Object.values(catchAll).map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        AuthorizationType: 'AWS_IAM',
        Integration: expect.objectContaining({
          Type: 'MOCK',
          IntegrationResponses: [
            expect.objectContaining({
              StatusCode: '404',
              ResponseTemplates: { 'application/json': expect.stringContaining('"code":"route_not_found"') },
            }),
          ],
        }),
      }),
    ])
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' })
  })

  it("gives the errors API Gateway answers itself the API's JSON error shape", () => {
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map(
      (r) => r.Properties,
    )
    for (const [type, code] of [
      ['MISSING_AUTHENTICATION_TOKEN', 'unauthorized'],
      ['THROTTLED', 'throttled'],
      ['REQUEST_TOO_LARGE', 'payload_too_large'],
      ['DEFAULT_4XX', 'bad_request'],
      ['DEFAULT_5XX', 'internal_error'],
    ]) {
      const response = responses.find((r) => r.ResponseType === type)
      const body = String(response?.ResponseTemplates?.['application/json'])
      expect(body, type).toContain(`"code": "${code}"`)
      // A sample message where API Gateway puts its own (already quoted) text: the body is JSON.
      expect(JSON.parse(body.replace('$context.error.messageString', '"a message"'))).toEqual({
        error: { code, message: 'a message', details: null },
      })
    }
  })

  it('validates request parameters and proxies each route to its function', () => {
    for (const route of API_ROUTES) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: route.method,
        AuthorizationType: route.public ? 'NONE' : 'AWS_IAM',
        RequestValidatorId: Match.anyValue(),
        Integration: {
          Type: 'AWS_PROXY',
          Uri: Match.objectLike({
            'Fn::Join': Match.arrayWith([
              Match.arrayWith([
                { 'Fn::GetAtt': [logicalId(stack.functions[route.function].function), 'Arn'] },
              ]),
            ]),
          }),
        },
      })
    }
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true })
  })

  it('throttles, traces and logs errors, without logging request or response data', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ],
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    })
    template.resourceCountIs('AWS::ApiGateway::Account', 1)
  })

  it('writes JSON access logs that name the route template, never the customer id in the path', () => {
    const stages = Object.values(template.findResources('AWS::ApiGateway::Stage'))
    const settings: unknown = stages[0]?.Properties?.AccessLogSetting
    const format = isRecord(settings) ? String(settings.Format) : ''
    const fields: unknown = JSON.parse(format)
    expect(fields).toMatchObject({ resourcePath: '$context.resourcePath', status: '$context.status' })
    expect(format).not.toMatch(/\$context\.path|\$input|requestOverride|\$context\.requestBody/)
  })
})

it('outputs what an operator or a script needs to reach the stack', () => {
  const outputs = Object.keys(template.toJSON().Outputs ?? {})
  expect(outputs).toEqual(
    expect.arrayContaining([
      'DataBucketName',
      'TableName',
      'ApiUrl',
      'IngestQueueUrl',
      'IngestDeadLetterQueueUrl',
      'NightlyStateMachineArn',
    ]),
  )
})
