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
  EXPORTS,
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

/**
 * A function's environment as the stack sets it, each value CloudFormation resolves at deploy time
 * (a table name, a function name) replaced by a stand-in of the same kind.
 */
function deployedEnvironment(fn: HouseFunction): Record<string, string> {
  const environment: unknown = template.toJSON().Resources[logicalId(fn.function)].Properties.Environment
  const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {}
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `resolved-${name}`,
    ]),
  )
}

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

  it(`deletes export files ${EXPORTS.retentionDays} days after they are written, old versions included`, () => {
    const bucket = template.toJSON().Resources[logicalId(stack.dataBucket)].Properties
    const rules: unknown[] = bucket.LifecycleConfiguration.Rules
    const exportRule = rules.find((rule) => isRecord(rule) && rule.Id === 'expire-exports')
    expect(exportRule).toEqual({
      Id: 'expire-exports',
      Prefix: PREFIXES.exports,
      Status: 'Enabled',
      ExpirationInDays: EXPORTS.retentionDays,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    })
    // Private and encrypted like every object of the bucket: no public access, no ACL, SSE by default.
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    })
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] })
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ])
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
          env: { ...process.env, ...deployedEnvironment(fn), AWS_REGION: 'eu-west-1' },
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

  it('lets get-prospect read prospect items and nothing else', () => {
    const tableArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] })
    const granted = statementsOf('getProspect').filter((s) => !s.actions.some((a) => /^(logs|xray):/.test(a)))
    expect(granted).toEqual([{ effect: 'Allow', actions: ['dynamodb:GetItem'], resources: [tableArn] }])
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

  it('lets create-export read the current run, record jobs and invoke the export worker, and nothing else', () => {
    const worker = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.functions.exportWorker.function), 'Arn'] })
    expect(grantsOf('createExport')).toEqual(
      [
        `dynamodb:GetItem ${tableArn()}`,
        `dynamodb:PutItem ${tableArn()}`,
        `dynamodb:UpdateItem ${tableArn()}`,
        `lambda:InvokeFunction ${worker}`,
      ].sort(),
    )
  })

  it('tells create-export the deployed name of the export worker', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.createExport.description,
      Environment: {
        Variables: Match.objectLike({
          EXPORT_WORKER_FUNCTION: { Ref: logicalId(stack.functions.exportWorker.function) },
        }),
      },
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
        // Prospects scored on upload: the served run's score files in, its prospect files out.
        `s3:GetObject ${PREFIXES.runs}*`,
        `s3:PutObject ${PREFIXES.runs}*/prospects/*`,
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
      ['QUOTA_EXCEEDED', 'quota_exceeded'],
      ['INVALID_API_KEY', 'unauthorized'],
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
    // Exactly these variables: request and route metadata, the caller, the key's id; never the
    // concrete path, the query string, a body, a header or the API key's value.
    expect(Object.values(isRecord(fields) ? fields : {}).sort()).toEqual(
      [
        '$context.requestId',
        '$context.extendedRequestId',
        '$context.requestTime',
        '$context.httpMethod',
        '$context.resourcePath',
        '$context.status',
        '$context.responseLength',
        '$context.responseLatency',
        '$context.integrationLatency',
        '$context.integrationStatus',
        '$context.error.responseType',
        '$context.identity.userArn',
        '$context.identity.sourceIp',
        '$context.identity.apiKeyId',
        '$context.xrayTraceId',
      ].sort(),
    )
  })
})

describe('API clients', () => {
  it('requires an API key on every signed method, so each call counts against its client, and none on the public one', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties)
    for (const method of methods) {
      expect(method.ApiKeyRequired ?? false, `${method.HttpMethod}`).toBe(
        method.AuthorizationType === 'AWS_IAM',
      )
    }
    expect(methods.filter((m) => m.ApiKeyRequired === true)).toHaveLength(
      API_ROUTES.filter((route) => !route.public).length + 1,
    )
  })

  it('gives the default client a key and a usage plan with a throttle and a daily quota on the stage', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1)
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'customer-scoring-back-office',
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Quota: { Limit: 100_000, Period: 'DAY' },
      ApiStages: [
        { ApiId: { Ref: logicalId(stack.api) }, Stage: { Ref: logicalId(stack.api.deploymentStage) } },
      ],
    })
    const [plan] = Object.keys(template.findResources('AWS::ApiGateway::UsagePlan'))
    const [key] = Object.keys(template.findResources('AWS::ApiGateway::ApiKey'))
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: key },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: plan },
    })
    // The key's value is generated by API Gateway, never written into the template.
    expect(
      template.findResources('AWS::ApiGateway::ApiKey', { Properties: { Value: Match.anyValue() } }),
    ).toEqual({})
    expect(Object.keys(template.toJSON().Outputs)).toContain('ApiKeyIdBackOffice')
  })

  it('gives each client listed in the context its own key and limits', () => {
    const clients = [
      { name: 'crm', rateLimit: 5, burstLimit: 10, requestsPerDay: 20_000 },
      { name: 'marketing-analytics', requestsPerDay: 500 },
    ]
    const { template: t } = synthesize({ bundle: false, props: { apiClients: JSON.stringify(clients) } })
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 2)
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2)
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'customer-scoring-crm',
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 20_000, Period: 'DAY' },
    })
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'customer-scoring-marketing-analytics',
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Quota: { Limit: 500, Period: 'DAY' },
    })
  })

  it('refuses a client list with a repeated name, limits above the stage throttle or no client at all', () => {
    const build = (apiClients: unknown) => () => synthesize({ bundle: false, props: { apiClients } })
    expect(build([{ name: 'crm' }, { name: 'crm' }])).toThrow(/client names must not repeat/)
    expect(build([{ name: 'crm', rateLimit: 500 }])).toThrow(/0\.rateLimit/)
    expect(build([])).toThrow(/at least one API client/)
    expect(build('[{"name": ')).toThrow(/apiClients is not JSON/)
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
