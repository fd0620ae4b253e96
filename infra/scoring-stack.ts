import { fileURLToPath } from 'node:url'
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib'
import * as apigw from 'aws-cdk-lib/aws-apigateway'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as s3n from 'aws-cdk-lib/aws-s3-notifications'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import { isTimeZone } from '../shared/config.ts'
import { errorBody } from '../shared/http/errors.ts'
import {
  API_ROUTES,
  APP_NAME,
  dataBucketName,
  EXPORTS,
  FUNCTIONS,
  type FunctionName,
  type FunctionSpec,
  INGEST_QUEUE,
  PREFIXES,
  TABLE,
} from '../shared/resources.ts'
import { API_THROTTLE, type ApiClient, DEFAULT_API_CLIENTS, parseApiClients } from './api-clients.ts'
import { HouseFunction } from './house-function.ts'
import { wildcardResourceFinding } from './nag.ts'
import { DEFAULT_WARM_WRITE_UNITS, NightlyRun, nightlySchedule, warmWriteUnits } from './nightly.ts'

/** The repository root: function entries in shared/resources.ts are relative to it. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The prospect files of any run (runs/<runId>/prospects/...), which ingest rewrites on upload. */
const PROSPECT_RUN_FILES = `${PREFIXES.runs}*/prospects/`

/** Exports are re-creatable on demand, so they are kept only long enough to be downloaded. */
const EXPORT_EXPIRY = Duration.days(EXPORTS.retentionDays)
const EXPORT_NONCURRENT_EXPIRY = Duration.days(1)
/** Overwritten and deleted objects stay recoverable this long (curated shards are rewritten nightly). */
const NONCURRENT_VERSION_EXPIRY = Duration.days(30)
const ACCESS_LOG_EXPIRY = Duration.days(90)
/** Short: a lone upload should not wait, but a burst of uploads should arrive as one batch. */
const INGEST_MAX_BATCHING_WINDOW = Duration.seconds(5)
/**
 * Errors API Gateway answers itself, each with the code its JSON body carries (the status stays the
 * type's own). The default 4XX and 5XX responses cover the types not listed.
 */
const GATEWAY_ERRORS: readonly [apigw.ResponseType, string][] = [
  [apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'unauthorized'],
  [apigw.ResponseType.ACCESS_DENIED, 'unauthorized'],
  [apigw.ResponseType.INVALID_SIGNATURE, 'unauthorized'],
  [apigw.ResponseType.EXPIRED_TOKEN, 'unauthorized'],
  [apigw.ResponseType.THROTTLED, 'throttled'],
  [apigw.ResponseType.QUOTA_EXCEEDED, 'quota_exceeded'],
  [apigw.ResponseType.INVALID_API_KEY, 'unauthorized'],
  [apigw.ResponseType.REQUEST_TOO_LARGE, 'payload_too_large'],
  [apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'bad_request'],
  [apigw.ResponseType.BAD_REQUEST_BODY, 'bad_request'],
  [apigw.ResponseType.DEFAULT_4XX, 'bad_request'],
  [apigw.ResponseType.DEFAULT_5XX, 'internal_error'],
]

export interface ScoringStackProps extends StackProps {
  /**
   * Number of customer hash shards of the curated store. Changing it re-partitions every curated
   * file, so it is chosen once per deployment. Default 16.
   */
  readonly shardCount?: number
  /** IANA zone that decides which business day a transaction belongs to. Default UTC. */
  readonly businessTimeZone?: string
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string
  /** Hour of the day (0-23) the nightly run starts, in `nightlyTimeZone`. Default 2. */
  readonly nightlyHour?: number
  /** IANA zone of `nightlyHour`. Default `businessTimeZone`, so the run starts after the business day. */
  readonly nightlyTimeZone?: string
  /** Hours after its start by which the nightly run must have succeeded, or an alarm fires. Default 6. */
  readonly nightlyDeadlineHours?: number
  /**
   * The API's callers, each with its own API key and usage plan (throttle and daily quota); the
   * `apiClients` context, validated. Default one client, `back-office`, with the default limits.
   */
  readonly apiClients?: unknown
  /**
   * Write units per second the table serves at once (warm throughput), for the nightly Score map.
   * Default 40,000 (DEFAULT_WARM_WRITE_UNITS); 0 leaves the table's own. Raising it is charged once;
   * once raised, a table's warm throughput cannot be lowered again.
   */
  readonly tableWarmWriteUnits?: number
}

/** One object grant: actions on the objects under some prefixes of the data bucket. */
interface ObjectGrant {
  readonly actions: readonly string[]
  readonly prefixes: readonly string[]
}

/**
 * The deployed pipeline: uploads land in the data bucket, S3 notifies the ingest queue, the ingest
 * function validates and scores, a scheduled Step Functions run re-scores every customer each night,
 * and an IAM-authorised REST API serves score lookups and run reports.
 * Every name, key, prefix and setting that the local stack shares comes from shared/resources.ts.
 */
export class ScoringStack extends Stack {
  readonly dataBucket: s3.Bucket
  readonly table: dynamodb.TableV2
  readonly ingestQueue: sqs.Queue
  readonly ingestDeadLetterQueue: sqs.Queue
  readonly api: apigw.RestApi
  readonly functions: Readonly<Record<FunctionName, HouseFunction>>
  readonly nightly: NightlyRun

  constructor(scope: Construct, id: string, props: ScoringStackProps = {}) {
    super(scope, id, props)
    const shardCount = props.shardCount ?? 16
    const businessTimeZone = props.businessTimeZone ?? 'UTC'
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 4096) {
      throw new Error(`shardCount must be an integer from 1 to 4096, got ${shardCount}`)
    }
    if (!isTimeZone(businessTimeZone))
      throw new Error(`businessTimeZone is not an IANA zone: ${businessTimeZone}`)
    // Checked before anything is built, so a bad setting fails before any bundling starts.
    const apiClients =
      props.apiClients === undefined ? DEFAULT_API_CLIENTS : parseApiClients(props.apiClients)
    const schedule = nightlySchedule({
      hour: props.nightlyHour ?? 2,
      timeZone: props.nightlyTimeZone ?? businessTimeZone,
      deadlineHours: props.nightlyDeadlineHours ?? 6,
    })
    const warmWrites = warmWriteUnits(props.tableWarmWriteUnits ?? DEFAULT_WARM_WRITE_UNITS)

    // ---- Storage -------------------------------------------------------------------------------

    // Server access logs must go to a bucket encrypted with S3-managed keys (log delivery cannot
    // use a customer KMS key), so this bucket is SSE-S3 by necessity.
    const accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: ACCESS_LOG_EXPIRY }],
      removalPolicy: RemovalPolicy.RETAIN,
    })

    // SSE-S3 rather than KMS: who may read what is already decided by prefix-scoped IAM grants, and
    // SSE-KMS would add a KMS request, with its cost and request quota, to every object read and
    // write (thousands of shard files per nightly run) without keeping out any principal IAM lets in.
    this.dataBucket = new s3.Bucket(this, 'DataBucket', {
      bucketName: dataBucketName(`${this.account}-${this.region}`),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Upload identity is bucket + key + version id, and a re-uploaded file must not erase the
      // one it replaces before the ingest of the older version has finished reading it.
      versioned: true,
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      lifecycleRules: [
        {
          id: 'expire-exports',
          prefix: PREFIXES.exports,
          expiration: EXPORT_EXPIRY,
          // The bucket is versioned: without this an expired export would linger as a noncurrent
          // version for the bucket-wide period. The shorter of overlapping expirations applies.
          noncurrentVersionExpiration: EXPORT_NONCURRENT_EXPIRY,
        },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: NONCURRENT_VERSION_EXPIRY,
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    })

    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: TABLE.name,
      partitionKey: { name: TABLE.partitionKey.name, type: attributeType(TABLE.partitionKey.type) },
      sortKey: { name: TABLE.sortKey.name, type: attributeType(TABLE.sortKey.type) },
      timeToLiveAttribute: TABLE.timeToLiveAttribute,
      billing: dynamodb.Billing.onDemand(),
      ...(warmWrites !== undefined && { warmThroughput: { writeUnitsPerSecond: warmWrites } }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    })

    // ---- Ingest: S3 -> SQS -> Lambda ---------------------------------------------------------

    // SQS-managed encryption: S3 event notifications cannot publish to a queue encrypted with the
    // AWS-managed aws/sqs KMS key, and a customer key would only add cost here.
    this.ingestDeadLetterQueue = new sqs.Queue(this, 'IngestDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A message keeps its original enqueue time when it is dead-lettered, so the DLQ keeps
      // messages for the maximum, giving operators time to fix the cause and redrive.
      retentionPeriod: Duration.days(14),
    })
    this.ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(INGEST_QUEUE.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.ingestDeadLetterQueue, maxReceiveCount: INGEST_QUEUE.maxReceiveCount },
    })
    this.dataBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.SqsDestination(this.ingestQueue),
      { prefix: PREFIXES.incoming },
    )

    // ---- Functions ---------------------------------------------------------------------------

    const environment = {
      TABLE_NAME: this.table.tableName,
      DATA_BUCKET: this.dataBucket.bucketName,
      SHARD_COUNT: String(shardCount),
      BUSINESS_TIME_ZONE: businessTimeZone,
    }
    this.functions = mapFunctions(
      (name, spec) =>
        new HouseFunction(this, constructId(name), { spec, projectRoot: PROJECT_ROOT, environment }),
    )
    const { ingest, getCustomer, getCustomerHistory, getRun, nightly, getSegments, scoreCustomer } =
      this.functions
    const { exportWorker, createExport, getExport, getProspect } = this.functions

    ingest.function.addEventSource(
      new SqsEventSource(this.ingestQueue, {
        batchSize: INGEST_QUEUE.batchSize,
        maxBatchingWindow: INGEST_MAX_BATCHING_WINDOW,
        reportBatchItemFailures: true,
      }),
    )
    this.grantIngestStorage(ingest)
    // The upload ledger (Get/Put/Update of UPLOAD# and SOURCE# items) and the score store
    // (GetItem of LATEST items, BatchWriteItem of re-scored customers). No Scan, no DeleteItem.
    this.table.grant(
      ingest,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
    )
    // The score store reads one LATEST item per lookup; routes that Query history get their own grant.
    this.table.grant(getCustomer, 'dynamodb:GetItem')
    // History items share the customer's partition key: one Query, newest first.
    this.table.grant(getCustomerHistory, 'dynamodb:Query')
    // The run record and the CURRENT pointer, then the run's report from S3.
    this.table.grant(getRun, 'dynamodb:GetItem')
    this.grantObjects(getRun, [{ actions: ['s3:GetObject'], prefixes: [PREFIXES.runs] }])
    // The CURRENT pointer and its run record, then the run's report.
    this.table.grant(getSegments, 'dynamodb:GetItem')
    this.grantObjects(getSegments, [{ actions: ['s3:GetObject'], prefixes: [PREFIXES.runs] }])
    // The CURRENT pointer and the run record holding the fitted model; the scoring configuration.
    this.table.grant(scoreCustomer, 'dynamodb:GetItem')
    this.grantObjects(scoreCustomer, [{ actions: ['s3:GetObject'], prefixes: [PREFIXES.config] }])
    // Without a configuration file S3 must answer 404 (defaults apply), not 403: that takes ListBucket.
    scoreCustomer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.dataBucket.bucketArn] }),
    )
    // Export jobs: the worker takes a queued job (UpdateItem), reads the run's score files and
    // streams the export to exports/ in parts; a failed upload aborts its parts.
    this.table.grant(exportWorker, 'dynamodb:GetItem', 'dynamodb:UpdateItem')
    this.grantObjects(exportWorker, [
      { actions: ['s3:GetObject'], prefixes: [PREFIXES.runs] },
      { actions: ['s3:PutObject', 's3:AbortMultipartUpload'], prefixes: [PREFIXES.exports] },
    ])
    // A failed export is recorded as failed and the job is never taken twice, so a retry of the
    // asynchronous invocation could only repeat the error.
    exportWorker.function.configureAsyncInvoke({ retryAttempts: 0 })
    // POST /exports: reads the CURRENT pointer and its run record, puts the queued job item (and
    // marks it failed if the worker cannot be started), then invokes the worker and nothing else.
    this.table.grant(createExport, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem')
    createExport.function.addEnvironment('EXPORT_WORKER_FUNCTION', exportWorker.function.functionName)
    createExport.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [exportWorker.function.functionArn],
      }),
    )
    // The job item; GetObject only so that its presigned download links are valid.
    this.table.grant(getExport, 'dynamodb:GetItem')
    this.grantObjects(getExport, [{ actions: ['s3:GetObject'], prefixes: [PREFIXES.exports] }])
    // The openapi function serves a document built from its own code: no grant at all.
    // A prospect lookup reads one PROSPECT# LATEST item.
    this.table.grant(getProspect, 'dynamodb:GetItem')

    // Every step of the nightly run: reads curated shards and the scoring configuration; writes and
    // reads back its own files under runs/ (summaries, scores, served records, report).
    this.grantObjects(nightly, [
      { actions: ['s3:GetObject', 's3:PutObject'], prefixes: [PREFIXES.runs] },
      { actions: ['s3:GetObject'], prefixes: [PREFIXES.curated, PREFIXES.config] },
    ])
    // A shard without curated files or a first run without previous served records must read as
    // a missing object (404), which S3 answers only to a principal that may list the bucket.
    nightly.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.dataBucket.bucketArn] }),
    )
    // Run records and the CURRENT pointer (Get/Put/Update), changed LATEST and history items
    // (BatchWriteItem), a customer's history (Query). No Scan, no DeleteItem: history expires by TTL.
    this.table.grant(
      nightly,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:Query',
    )

    // ---- API ---------------------------------------------------------------------------------

    this.api = this.createApi()
    this.addUsagePlans(this.api, apiClients)

    // ---- Alarms ------------------------------------------------------------------------------

    const alarmTopic = this.createAlarmTopic(props.alarmEmail)
    const deadLetterAlarm = new cloudwatch.Alarm(this, 'IngestDeadLetterAlarm', {
      alarmDescription:
        'Uploads failed ingest repeatedly and wait in the dead-letter queue: read the ingest logs, fix the cause, then redrive.',
      // SQS publishes queue metrics every five minutes; a shorter period would only see gaps.
      metric: this.ingestDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    deadLetterAlarm.addAlarmAction(new cwActions.SnsAction(alarmTopic))
    deadLetterAlarm.addOkAction(new cwActions.SnsAction(alarmTopic))

    // ---- Nightly run: EventBridge Scheduler -> Step Functions -> the nightly function ---------

    this.nightly = new NightlyRun(this, 'NightlyRun', { function: nightly.function, alarmTopic, schedule })

    this.acknowledgeCdkInternals()

    new CfnOutput(this, 'DataBucketName', { value: this.dataBucket.bucketName })
    new CfnOutput(this, 'TableName', { value: this.table.tableName })
    // Replaces the output RestApi adds on its own, whose logical id carries a hash.
    this.api.node.tryRemoveChild('Endpoint')
    new CfnOutput(this, 'ApiUrl', { value: this.api.url })
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingestQueue.queueUrl })
    new CfnOutput(this, 'IngestDeadLetterQueueUrl', { value: this.ingestDeadLetterQueue.queueUrl })
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn })
    // For runs started by hand: see NightlyRun.
    new CfnOutput(this, 'NightlyStateMachineArn', { value: this.nightly.stateMachine.stateMachineArn })
  }

  /**
   * Object permissions of the ingest function, each on the prefixes it needs and nothing else:
   * it reads uploads, its configuration and the curated shards it re-scores; writes reports,
   * rejected rows and curated shards; deletes the stale curated shards of a replaced upload.
   */
  private grantIngestStorage(ingest: HouseFunction): void {
    this.grantObjects(ingest, [
      // GetObjectVersion: uploads are read at the version the S3 event announced.
      { actions: ['s3:GetObject', 's3:GetObjectVersion'], prefixes: [PREFIXES.incoming] },
      { actions: ['s3:GetObject'], prefixes: [PREFIXES.curated, PREFIXES.config] },
      { actions: ['s3:PutObject'], prefixes: [PREFIXES.reports, PREFIXES.rejected, PREFIXES.curated] },
      { actions: ['s3:DeleteObject'], prefixes: [PREFIXES.curated] },
      // Prospect scoring on upload: the served run's score files in, its prospect files out.
      { actions: ['s3:GetObject'], prefixes: [PREFIXES.runs] },
      { actions: ['s3:PutObject'], prefixes: [PROSPECT_RUN_FILES] },
    ])
    // ListBucket lists a shard's files; it also makes S3 answer 404 instead of 403 for a missing
    // key, which the object store treats as "gone" (an upload deleted before it was ingested).
    // Key names carry upload file names and shard numbers, never customer data.
    ingest.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.dataBucket.bucketArn] }),
    )
  }

  /** Object actions of a function on key prefixes of the data bucket, with the wildcard acknowledged. */
  private grantObjects(fn: HouseFunction, grants: readonly ObjectGrant[]): void {
    const objectsUnder = (prefix: string) => this.dataBucket.arnForObjects(`${prefix}*`)
    for (const { actions, prefixes } of grants) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...actions], resources: prefixes.map(objectsUnder) }),
      )
    }
    const prefixes = new Set(grants.flatMap((grant) => grant.prefixes))
    for (const prefix of prefixes) {
      Validations.of(fn).acknowledge({
        id: wildcardResourceFinding(this, objectsUnder(prefix)),
        reason:
          'Object actions are limited to one key prefix of the data bucket; keys under it are created per upload, run and shard, so they cannot be listed in advance.',
      })
    }
  }

  private createApi(): apigw.RestApi {
    const accessLogGroup = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    // Who called what and how it went, without customer data: the resource path template
    // (/customers/{customerId}) instead of the request path, which carries the customer id; no
    // query string, no bodies. The caller is an IAM principal of our own account, logged for audit.
    const accessLogFormat = apigw.AccessLogFormat.custom(
      JSON.stringify({
        requestId: apigw.AccessLogField.contextRequestId(),
        extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
        requestTime: apigw.AccessLogField.contextRequestTime(),
        httpMethod: apigw.AccessLogField.contextHttpMethod(),
        resourcePath: apigw.AccessLogField.contextResourcePath(),
        status: apigw.AccessLogField.contextStatus(),
        responseLength: apigw.AccessLogField.contextResponseLength(),
        responseLatency: apigw.AccessLogField.contextResponseLatency(),
        integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
        integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
        errorType: apigw.AccessLogField.contextErrorResponseType(),
        caller: apigw.AccessLogField.contextIdentityUserArn(),
        // The id of the client's API key (never the key itself), to tell clients apart.
        apiKeyId: apigw.AccessLogField.contextIdentityApiKeyId(),
        sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
        xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
      }),
    )

    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${APP_NAME}-api`,
      description: 'Score lookups for back-office callers; every method requires SigV4 (IAM) signatures.',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Execution logs at ERROR level need the account-level CloudWatch role of API Gateway.
      cloudWatchRole: true,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Data tracing would log full requests and responses, that is customer scores.
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: API_THROTTLE.rateLimit,
        throttlingBurstLimit: API_THROTTLE.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        accessLogFormat,
      },
    })
    const validator = api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    })

    const integrations = new Map<FunctionName, apigw.LambdaIntegration>()
    for (const route of API_ROUTES) {
      let integration = integrations.get(route.function)
      if (!integration) {
        // No permission for the console's test-invoke path, which skips the method's authorisation:
        // the function is reachable through the deployed stage only.
        integration = new apigw.LambdaIntegration(this.functions[route.function].function, {
          proxy: true,
          allowTestInvoke: false,
        })
        integrations.set(route.function, integration)
      }
      const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1])
      const method = api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizationType: route.public ? apigw.AuthorizationType.NONE : apigw.AuthorizationType.IAM,
        // Every signed call is counted against its client's usage plan; the public document is
        // covered by the stage throttle alone.
        apiKeyRequired: !route.public,
        requestValidator: validator,
        requestParameters: Object.fromEntries(
          pathParameters.map((name) => [`method.request.path.${name}`, true]),
        ),
      })
      if (route.public) {
        const reason =
          'The API description (GET /openapi.json) is public on purpose so that clients and tools can read it before they hold credentials; it is generated from the code and carries no customer data.'
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason })
        Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason })
        continue
      }
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are services and staff with IAM identities in this account; the method requires SigV4 (AWS_IAM) authorisation instead of a Cognito user pool.',
      })
    }

    this.addErrorResponses(api)

    Validations.of(api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL: every method requires IAM authorisation and the stage is throttled; a web ACL can be associated later if the API is opened to browsers.',
    })
    return api
  }

  /**
   * One API key and one usage plan per client: the plan's throttle and daily quota apply to that
   * client alone, under the stage throttle that caps them all. Key values are generated by API
   * Gateway and never appear in the template; an operator reads them with
   * `aws apigateway get-api-key --api-key <id> --include-value` (the ids are stack outputs).
   */
  private addUsagePlans(api: apigw.RestApi, clients: readonly ApiClient[]): void {
    for (const client of clients) {
      const id = client.name.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase())
      const key = api.addApiKey(`ApiKey${id}`, {
        apiKeyName: `${APP_NAME}-${client.name}`,
        description: `API client ${client.name}`,
      })
      const plan = api.addUsagePlan(`UsagePlan${id}`, {
        name: `${APP_NAME}-${client.name}`,
        description: `Throttle and daily quota of API client ${client.name}`,
        throttle: { rateLimit: client.rateLimit, burstLimit: client.burstLimit },
        quota: { limit: client.requestsPerDay, period: apigw.Period.DAY },
        apiStages: [{ api, stage: api.deploymentStage }],
      })
      plan.addApiKey(key)
      new CfnOutput(this, `ApiKeyId${id}`, {
        value: key.keyId,
        description: `API key id of client ${client.name}`,
      })
    }
  }

  /**
   * API Gateway answers some requests itself, before any function runs; those answers get the API's
   * JSON error shape too. A signed request to a path without a route reaches a catch-all method that
   * answers 404 without a function (unsigned requests are refused before routing, as for any path).
   */
  private addErrorResponses(api: apigw.RestApi): void {
    for (const [type, code] of GATEWAY_ERRORS) {
      api.addGatewayResponse(`${type.responseType}Response`, {
        type,
        templates: {
          'application/json': `{"error": {"code": "${code}", "message": $context.error.messageString, "details": null}}`,
        },
      })
    }
    const notFound = new apigw.MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 404}' },
      passthroughBehavior: apigw.PassthroughBehavior.NEVER,
      integrationResponses: [
        {
          statusCode: '404',
          responseTemplates: {
            'application/json': JSON.stringify(errorBody('route_not_found', 'no route for this path')),
          },
        },
      ],
    })
    const catchAll = api.root.addResource('{proxy+}').addMethod('ANY', notFound, {
      authorizationType: apigw.AuthorizationType.IAM,
      apiKeyRequired: true,
      methodResponses: [{ statusCode: '404' }],
    })
    Validations.of(catchAll).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'The catch-all method only answers 404 for paths without a route; it requires SigV4 (AWS_IAM) authorisation like every route, so an unsigned caller learns nothing about which paths exist.',
    })
  }

  /**
   * Alarm notifications go to an encrypted topic. CloudWatch can only publish to an encrypted topic
   * whose key policy lets it use the key, which the AWS-managed aws/sns key does not, so the topic
   * has its own key.
   */
  private createAlarmTopic(alarmEmail: string | undefined): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `${APP_NAME} alarm notifications`,
      enableKeyRotation: true,
      // It protects notifications in flight only; nothing stored depends on it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    })
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    )
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${APP_NAME} alarms`,
      masterKey: key,
      enforceSSL: true,
    })
    // A topic policy replaces SNS's default one, which is what lets CloudWatch publish; so the
    // permission is given back explicitly, to alarms of this account only.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    )
    if (alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail))
    return topic
  }

  /** Findings on resources that CDK creates for us and whose code and policies we do not control. */
  private acknowledgeCdkInternals(): void {
    // The singleton function behind S3 bucket notifications (Custom::S3BucketNotifications).
    const notificationsHandler = this.node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    )
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK-internal singleton that writes the bucket notification configuration during deployments; aws-cdk-lib defines its role with this managed policy (log writes only), and its S3 permission is scoped to the data bucket.',
      })
    }

    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole')
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway uses to write execution logs; AWS documents this managed policy for it, and it only grants log writes.',
      })
    }
  }
}

const ATTRIBUTE_TYPES = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
} as const

function attributeType(type: keyof typeof ATTRIBUTE_TYPES): dynamodb.AttributeType {
  return ATTRIBUTE_TYPES[type]
}

/** getCustomer -> GetCustomer: construct ids stay stable as long as the names in resources.ts do. */
function constructId(name: FunctionName): string {
  return name.charAt(0).toUpperCase() + name.slice(1)
}

function mapFunctions<T>(build: (name: FunctionName, spec: FunctionSpec) => T): Record<FunctionName, T> {
  const names = Object.keys(FUNCTIONS) as FunctionName[]
  return Object.fromEntries(names.map((name) => [name, build(name, FUNCTIONS[name])])) as Record<
    FunctionName,
    T
  >
}
