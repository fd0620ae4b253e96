import { type App, Stack, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import type { IConstruct } from 'constructs'

/** The rule packs every synthesis of the app runs; the nag test runs the same list. */
export const NAG_PACKS = [AwsSolutionsChecks] as const

/**
 * Registers the packs as validation plugins (cdk-nag v3 replaced the v2 aspect with CDK's policy
 * validation): `cdk synth` fails on any finding that is not acknowledged with a reason, and the
 * acknowledgements are copied into the template's metadata so a reviewer of the template sees them.
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(
    ...NAG_PACKS.map((Pack) => new Pack(app, { verbose: true, writeSuppressionsToCloudFormation: true })),
  )
}

/**
 * The finding id cdk-nag reports for a wildcard resource of an IAM statement, for example
 * `AwsSolutions-IAM5[Resource::<DataBucketE3889A50.Arn>/incoming/*]`. It is derived from the same
 * token the grant used, so it follows logical-id changes instead of hard-coding them.
 */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`
}

/** Mirrors cdk-nag's flattening of CloudFormation references into finding ids. */
function flatten(node: unknown): string {
  if (node === undefined) return ''
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>')
  if (isRecord(node)) {
    const join = node['Fn::Join']
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]]
      return items.map(flatten).join(delimiter)
    }
    const getAtt = node['Fn::GetAtt']
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`
    if ('Ref' in node) return `<${flatten(node.Ref)}>`
  }
  return JSON.stringify(node)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
