import { readFileSync } from 'node:fs'
import { App, type CfnElement, Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import type { IConstruct } from 'constructs'
import { ScoringStack, type ScoringStackProps } from '../../infra/scoring-stack.ts'

/**
 * For the beforeAll hooks that synthesize: vitest's default hook timeout (10 s) is shorter than a
 * synthesis with bundling takes on a busy machine.
 */
export const SYNTH_TIMEOUT_MS = 120_000

export interface Synthesized {
  readonly app: App
  readonly stack: ScoringStack
  readonly template: Template
}

/**
 * Synthesizes the stack the way `cdk synth` does: with the feature flags of cdk.json, which the
 * CLI passes to the app and a bare `new App()` would not see. Without `bundle`, function code is
 * a placeholder, which saves the esbuild runs when a test only inspects resources.
 */
export function synthesize(options: { bundle: boolean; props?: ScoringStackProps }): Synthesized {
  const cdkJson: unknown = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'))
  const flags = isRecord(cdkJson) && isRecord(cdkJson.context) ? cdkJson.context : {}
  const app = new App({
    context: { ...flags, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  })
  const stack = new ScoringStack(app, 'CustomerScoring', options.props)
  const template = Template.fromStack(stack)
  return { app, stack, template }
}

/** The logical id of a construct's CloudFormation resource, for matching `Ref`s in the template. */
export function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild
  if (!resource || !isCfnElement(resource))
    throw new Error(`${construct.node.path} has no CloudFormation resource`)
  return Stack.of(construct).getLogicalId(resource)
}

function isCfnElement(construct: IConstruct): construct is CfnElement {
  return 'logicalId' in construct
}

/**
 * The part of an object ARN after the data bucket's ARN: `{"Fn::Join":["",[{"Fn::GetAtt":
 * ["DataBucket..","Arn"]},"/incoming/*"]]}` -> `incoming/*`; the bucket itself -> ''; else undefined.
 */
export function dataBucketSuffix(stack: ScoringStack, resource: string): string | undefined {
  const bucket = logicalId(stack.dataBucket)
  if (resource === JSON.stringify({ 'Fn::GetAtt': [bucket, 'Arn'] })) return ''
  const prefix = `{"Fn::Join":["",[{"Fn::GetAtt":["${bucket}","Arn"]},"/`
  return resource.startsWith(prefix) ? resource.slice(prefix.length, -'"]]}'.length) : undefined
}

/** The table's ARN as the template refers to it, in the JSON text form of `Statement.resources`. */
export function tableArnOf(stack: ScoringStack): string {
  return JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] })
}

/** Statements' grants beyond logs and traces, as sorted `action resource` lines (bucket ARNs by suffix). */
export function grantLines(stack: ScoringStack, statements: readonly Statement[]): string[] {
  return statements
    .filter((s) => !s.actions.some((a) => /^(logs|xray):/.test(a)))
    .flatMap((s) =>
      s.actions.flatMap((action) => s.resources.map((r) => `${action} ${dataBucketSuffix(stack, r) ?? r}`)),
    )
    .sort()
}

/**
 * Statements' S3 grants as sorted, distinct `action suffix` lines (`s3:GetObject runs/*`; the bucket
 * itself has the suffix ''); throws for an S3 grant on anything but the data bucket.
 */
export function objectGrantLines(stack: ScoringStack, statements: readonly Statement[]): string[] {
  const grants = new Set<string>()
  for (const statement of statements) {
    for (const action of statement.actions.filter((a) => a.startsWith('s3:'))) {
      for (const resource of statement.resources) {
        const suffix = dataBucketSuffix(stack, resource)
        if (suffix === undefined) throw new Error(`${action} on ${resource}, which is not the data bucket`)
        grants.add(`${action} ${suffix}`)
      }
    }
  }
  return [...grants].sort()
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export interface Statement {
  readonly effect: string
  readonly actions: readonly string[]
  /** Each resource of the statement, as its JSON text: `"*"` or `{"Fn::Join":[...]}`. */
  readonly resources: readonly string[]
}

/** Every statement of the inline policies attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy')
  const statements: Statement[] = []
  for (const policy of Object.values(policies)) {
    const properties: unknown = policy.Properties
    if (!isRecord(properties) || !Array.isArray(properties.Roles)) continue
    const attached = properties.Roles.some((role) => isRecord(role) && role.Ref === roleLogicalId)
    if (!attached || !isRecord(properties.PolicyDocument)) continue
    const raw = properties.PolicyDocument.Statement
    for (const statement of Array.isArray(raw) ? raw : []) {
      if (!isRecord(statement)) continue
      statements.push({
        effect: String(statement.Effect),
        actions: asArray(statement.Action).map(String),
        resources: asArray(statement.Resource).map((resource) => JSON.stringify(resource)),
      })
    }
  }
  return statements
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}
