import { join } from 'node:path'
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import { Construct } from 'constructs'
import type { FunctionSpec } from '../shared/resources.ts'

/**
 * CJS dependencies bundled into an ESM file still call `require` for Node built-ins; ESM has no
 * `require`, so the bundle defines one. The import is renamed so it cannot collide with a bundled
 * module's own `createRequire`.
 */
const CJS_REQUIRE_BANNER =
  "import { createRequire as __houseCreateRequire } from 'node:module'; const require = __houseCreateRequire(import.meta.url);"

export interface HouseFunctionProps {
  /** Entry, memory, timeout and description, from shared/resources.ts. */
  readonly spec: FunctionSpec
  /** Folder the spec's entry is relative to; it holds the package-lock.json that pins bundled versions. */
  readonly projectRoot: string
  /** Merged over the house defaults (NODE_OPTIONS); a caller never has to repeat them. */
  readonly environment?: Readonly<Record<string, string>>
  readonly logRetention?: logs.RetentionDays
}

/**
 * The one way this project builds a Lambda function: Node.js 24 on arm64, a minified ESM bundle
 * with source maps, its own log group with a retention period, X-Ray tracing, and a role that
 * holds nothing but log writes and tracing until the caller grants more next to the function.
 */
export class HouseFunction extends Construct implements iam.IGrantable {
  readonly function: NodejsFunction
  readonly role: iam.Role
  readonly logGroup: logs.LogGroup
  readonly grantPrincipal: iam.IPrincipal

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    super(scope, id)
    const { spec } = props

    // Unnamed, so two stages of the stack can share an account; retained, so the trail of a
    // deleted stack can still be read until the retention period runs out.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    })

    // An explicit role instead of the default one, which attaches the AWSLambdaBasicExecutionRole
    // managed policy (CreateLogGroup and PutLogEvents on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${spec.entry}`,
    })
    this.logGroup.grantWrite(this.role)
    this.grantPrincipal = this.role

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(props.projectRoot, spec.entry),
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      handler: 'handler',
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: CJS_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not the sources; this keeps the bundle small.
        sourcesContent: false,
        // The AWS SDK is bundled rather than taken from the runtime. The runtime's copy is
        // upgraded by AWS at a time of its choosing and is not the version the tests ran against;
        // bundling ships exactly the versions pinned in package-lock.json, and a minified bundle of
        // the few clients we use is also what AWS recommends for shorter cold starts.
        bundleAwsSDK: true,
      },
    })

    // Tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" to the role.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; the role holds no other action on "*".',
    })
  }
}
