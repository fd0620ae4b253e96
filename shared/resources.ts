/**
 * One declaration of the resources that both the CDK stack and the local stack create:
 * table keys, bucket prefixes, queue settings, functions and API routes.
 */

export const APP_NAME = 'customer-scoring'

/** Single-table design: see the README's storage section for the item types. */
export const TABLE = {
  name: `${APP_NAME}-scores`,
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds after which DynamoDB may delete an item (history, manifests of superseded uploads). */
  timeToLiveAttribute: 'expiresAt',
} as const

export const UPLOAD_KINDS = ['transactions', 'customers', 'prospects'] as const
export type UploadKind = (typeof UPLOAD_KINDS)[number]

export const PREFIXES = {
  /** Uploads land here and trigger ingest; originals are kept. */
  incoming: 'incoming/',
  /** One JSON report per upload. Never under incoming/, which would trigger ingest again. */
  reports: 'reports/',
  /** Rejected rows of an upload, as CSV. */
  rejected: 'rejected/',
  /** Validated rows, partitioned by customer hash shard. */
  curated: 'curated/',
  runs: 'runs/',
  exports: 'exports/',
  config: 'config/',
} as const

/** Export files and their job items expire together; download links are short-lived. */
export const EXPORTS = {
  retentionDays: 7,
  /** A presigned download link is valid this long, and created anew on every GET of a ready export. */
  urlExpirySeconds: 15 * 60,
} as const

/** The data bucket's name: S3 names are global, so deployed buckets carry account and region. */
export const dataBucketName = (suffix: string): string => `${APP_NAME}-data-${suffix}`

export const LOCAL_BUCKET = dataBucketName('local')

/** S3 -> SQS -> ingest: a message that fails this many receives goes to the dead-letter queue. */
export const INGEST_QUEUE = {
  maxReceiveCount: 3,
  /** Six times the function timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutSeconds: 6 * 300,
  batchSize: 5,
} as const

export interface FunctionSpec {
  /** Entry file, relative to the repository root. */
  readonly entry: string
  readonly memoryMb: number
  readonly timeoutSeconds: number
  readonly description: string
}

export const FUNCTIONS = {
  ingest: {
    entry: 'functions/ingest/handler.ts',
    memoryMb: 1024,
    timeoutSeconds: 300,
    description: 'Validates uploaded files, stores accepted rows and scores the affected customers',
  },
  getCustomer: {
    entry: 'functions/get-customer/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: "Returns a customer's latest score record",
  },
  getCustomerHistory: {
    entry: 'functions/get-customer-history/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: "Returns a customer's past score states, newest first",
  },
  getRun: {
    entry: 'functions/get-run/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Returns a scoring run with its report (the latest, or one by id)',
  },
  nightly: {
    entry: 'functions/nightly/handler.ts',
    memoryMb: 3008,
    timeoutSeconds: 900,
    description: 'Runs one step of the nightly scoring run (plan, summarise, fit, score, finalise, fail)',
  },
  getSegments: {
    entry: 'functions/get-segments/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: "Returns the current run's counts and value shares by segment, from its report",
  },
  scoreCustomer: {
    entry: 'functions/score-customer/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    description: "Scores one customer from posted transactions with the current run's model, storing nothing",
  },
  exportWorker: {
    entry: 'functions/export-worker/handler.ts',
    memoryMb: 1024,
    timeoutSeconds: 900,
    description:
      "Writes one export file from the run's score files (invoked asynchronously by POST /exports)",
  },
  createExport: {
    entry: 'functions/create-export/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Records a queued export job of the current run and starts the export worker',
  },
  getExport: {
    entry: 'functions/get-export/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: "Returns an export job's status and, once ready, a download link",
  },
  getProspect: {
    entry: 'functions/get-prospect/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: "Returns a prospect's latest score record (PI-PIV)",
  },
  openapi: {
    entry: 'functions/openapi/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Returns the OpenAPI document of the API',
  },
} as const satisfies Record<string, FunctionSpec>

export type FunctionName = keyof typeof FUNCTIONS

export interface RouteSpec {
  readonly method: 'GET' | 'POST'
  /** API Gateway resource path, with {param} placeholders. */
  readonly path: string
  readonly function: FunctionName
  /** Answered without authorisation (IAM on AWS, the bearer token locally). Only for documentation. */
  readonly public?: boolean
}

export const API_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/customers/{customerId}', function: 'getCustomer' },
  { method: 'GET', path: '/customers/{customerId}/history', function: 'getCustomerHistory' },
  { method: 'GET', path: '/runs/latest', function: 'getRun' },
  { method: 'GET', path: '/runs/{runId}', function: 'getRun' },
  { method: 'GET', path: '/segments', function: 'getSegments' },
  { method: 'POST', path: '/score', function: 'scoreCustomer' },
  { method: 'POST', path: '/exports', function: 'createExport' },
  { method: 'GET', path: '/exports/{exportId}', function: 'getExport' },
  { method: 'GET', path: '/prospects/{prospectId}', function: 'getProspect' },
  { method: 'GET', path: '/openapi.json', function: 'openapi', public: true },
]
