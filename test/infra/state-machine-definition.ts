import type { Template } from 'aws-cdk-lib/assertions'
import { isRecord } from './synth.ts'

/** A CloudFormation reference inside a synthesized definition: `{ Ref }` or `{ Fn::GetAtt }`. */
export type DefinitionToken =
  | { readonly kind: 'ref'; readonly logicalId: string }
  | { readonly kind: 'getAtt'; readonly logicalId: string; readonly attribute: string }

/** What a reference becomes in the parsed definition; by default `${Logical}` or `${Logical.Attr}`. */
export type TokenResolver = (token: DefinitionToken) => string

export const placeholder: TokenResolver = (token) =>
  token.kind === 'ref' ? `\${${token.logicalId}}` : `\${${token.logicalId}.${token.attribute}}`

/** One state of an Amazon States Language definition, as parsed JSON. */
export type AslState = Readonly<Record<string, unknown>> & { readonly Type: string }

export interface AslDefinition {
  readonly StartAt: string
  readonly States: Readonly<Record<string, AslState>>
  readonly [field: string]: unknown
}

/**
 * The definition of a state machine in a synthesized template, parsed. CDK writes it as one
 * `Fn::Join` of JSON text and references (function ARNs, the partition); each reference sits inside
 * a JSON string, so replacing it with text that has no quote or backslash leaves valid JSON.
 */
export function stateMachineDefinition(
  template: Template,
  options: { logicalId?: string; resolve?: TokenResolver } = {},
): AslDefinition {
  const machines = template.findResources('AWS::StepFunctions::StateMachine')
  const ids = options.logicalId ? [options.logicalId] : Object.keys(machines)
  const [id, ...others] = ids
  if (id === undefined || others.length > 0) {
    throw new Error(`expected one state machine, found ${ids.join(', ') || 'none'}; pass its logicalId`)
  }
  const properties: unknown = machines[id]?.Properties
  const definitionString = isRecord(properties) ? properties.DefinitionString : undefined
  const text = joinDefinition(definitionString, options.resolve ?? placeholder)
  const definition: unknown = JSON.parse(text)
  if (!isAslDefinition(definition)) throw new Error(`${id} has no StartAt and States`)
  return definition
}

/** A state of the main path: the order an execution that succeeds passes through. */
export interface PathState {
  readonly name: string
  /** `Task`, `Map`, `Pass`, ... */
  readonly type: string
  /** For a Map: `INLINE` or `DISTRIBUTED`. */
  readonly mode?: string
  /** Where the state's Catch sends an error, if it has one. */
  readonly catchNext?: readonly string[]
}

/**
 * The states an execution passes through when nothing fails, in order: StartAt, then each `Next`
 * (a Choice's `Default`) until a state ends. States reached only through a Catch (the failure path)
 * or a Choice's condition are not on it.
 */
export function mainPath(definition: AslDefinition): PathState[] {
  const path: PathState[] = []
  let name: string | undefined = definition.StartAt
  while (name !== undefined) {
    const state: AslState | undefined = definition.States[name]
    if (!state) throw new Error(`the definition goes to ${name}, which it does not define`)
    if (path.some((visited) => visited.name === name)) throw new Error(`the main path loops at ${name}`)
    const mode = mapMode(state)
    const catchNext = catchTargets(state)
    path.push({
      name,
      type: state.Type,
      ...(mode !== undefined && { mode }),
      ...(catchNext.length > 0 && { catchNext }),
    })
    // A Choice goes on by its Default: the branches it takes on a condition are side exits.
    const next: unknown = state.Type === 'Choice' ? state.Default : state.Next
    name = typeof next === 'string' ? next : undefined
  }
  return path
}

/** The main path of the one state machine in the template: what the nightly run executes. */
export function nightlyDefinitionStates(template: Template): PathState[] {
  return mainPath(stateMachineDefinition(template))
}

/** Every state of the definition, also those inside Map and Parallel states, with its name. */
export function allStates(definition: Pick<AslDefinition, 'States'>): [string, AslState][] {
  const found: [string, AslState][] = []
  for (const [name, state] of Object.entries(definition.States)) {
    found.push([name, state])
    const nested = [
      state.ItemProcessor,
      state.Iterator,
      ...(Array.isArray(state.Branches) ? state.Branches : []),
    ]
    for (const graph of nested) {
      if (isRecord(graph) && isRecord(graph.States) && isStates(graph.States)) {
        found.push(...allStates({ States: graph.States }))
      }
    }
  }
  return found
}

function mapMode(state: AslState): string | undefined {
  if (state.Type !== 'Map') return undefined
  const processor = state.ItemProcessor
  const config = isRecord(processor) ? processor.ProcessorConfig : undefined
  // ASL's default mode, also for the older Iterator field.
  return isRecord(config) && typeof config.Mode === 'string' ? config.Mode : 'INLINE'
}

function catchTargets(state: AslState): string[] {
  if (!Array.isArray(state.Catch)) return []
  return state.Catch.flatMap((catcher) =>
    isRecord(catcher) && typeof catcher.Next === 'string' ? [catcher.Next] : [],
  )
}

function joinDefinition(definitionString: unknown, resolve: TokenResolver): string {
  if (typeof definitionString === 'string') return definitionString
  const join = isRecord(definitionString) ? definitionString['Fn::Join'] : undefined
  if (!Array.isArray(join) || typeof join[0] !== 'string' || !Array.isArray(join[1])) {
    throw new Error(`unexpected DefinitionString: ${JSON.stringify(definitionString)}`)
  }
  const [delimiter, parts] = join as [string, unknown[]]
  return parts.map((part) => (typeof part === 'string' ? part : resolve(tokenOf(part)))).join(delimiter)
}

function tokenOf(part: unknown): DefinitionToken {
  if (isRecord(part) && typeof part.Ref === 'string') return { kind: 'ref', logicalId: part.Ref }
  const getAtt = isRecord(part) ? part['Fn::GetAtt'] : undefined
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
    return { kind: 'getAtt', logicalId: getAtt[0], attribute: getAtt[1] }
  }
  throw new Error(`unexpected part of a DefinitionString: ${JSON.stringify(part)}`)
}

function isAslDefinition(value: unknown): value is AslDefinition {
  return (
    isRecord(value) && typeof value.StartAt === 'string' && isRecord(value.States) && isStates(value.States)
  )
}

function isStates(value: Record<string, unknown>): value is Record<string, AslState> {
  return Object.values(value).every((state) => isRecord(state) && typeof state.Type === 'string')
}
