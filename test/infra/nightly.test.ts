import validateAsl from 'asl-validator'
import { App, Stack } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as sns from 'aws-cdk-lib/aws-sns'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_WARM_WRITE_UNITS,
  NightlyRun,
  nightlySchedule,
  RETRIED_ERRORS,
  RUN_FAILED_STATE,
} from '../../infra/nightly.ts'
import { ScoringStack } from '../../infra/scoring-stack.ts'
import {
  NIGHTLY_DUPLICATE_CHECK,
  NIGHTLY_FAILURE_STATE,
  NIGHTLY_STEPS,
  NightlyEventSchema,
  TASK_RETRY,
  TOLERATED_FAILURE_PERCENTAGE,
} from '../../shared/nightly/workflow.ts'
import { PREFIXES } from '../../shared/resources.ts'
import {
  type AslDefinition,
  type AslState,
  allStates,
  mainPath,
  nightlyDefinitionStates,
  stateMachineDefinition,
} from './state-machine-definition.ts'
import {
  isRecord,
  logicalId,
  objectGrantLines,
  roleStatements,
  SYNTH_TIMEOUT_MS,
  synthesize,
  tableArnOf,
} from './synth.ts'

/** Not UTC, so the test sees the schedule follow the business zone when no nightly zone is given. */
const BUSINESS_TIME_ZONE = 'Europe/Berlin'

// One synthesis for the whole file; bundling is skipped, the state machine does not depend on it.
let stack: ScoringStack
let template: Template
let definition: AslDefinition

beforeAll(() => {
  const synthesized = synthesize({ bundle: false, props: { businessTimeZone: BUSINESS_TIME_ZONE } })
  stack = synthesized.stack
  template = synthesized.template
  definition = stateMachineDefinition(template)
}, SYNTH_TIMEOUT_MS)

const functionArnPlaceholder = () => `\${${logicalId(stack.functions.nightly.function)}.Arn}`

function state(name: string): AslState {
  const found = allStates(definition).find(([stateName]) => stateName === name)
  if (!found) throw new Error(`no state ${name}`)
  return found[1]
}

/** The one state of a Distributed Map's item processor: the task run for each shard. */
function shardTaskOf(map: AslState): [string, AslState] {
  const processor = map.ItemProcessor
  const states = isRecord(processor) && isRecord(processor.States) ? Object.entries(processor.States) : []
  expect(states).toHaveLength(1)
  const [name, task] = states[0] ?? []
  if (typeof name !== 'string' || !isRecord(task) || typeof task.Type !== 'string') throw new Error('no task')
  return [name, { ...task, Type: task.Type }]
}

/**
 * The payload a JSONPath state builds from its input, for the reference forms the definition
 * uses: `$.field` of the state input and `$$.Map.Item.Value` of the context object.
 */
function evaluatePayload(
  parameters: unknown,
  input: Record<string, unknown>,
  itemValue?: unknown,
): Record<string, unknown> {
  if (!isRecord(parameters)) throw new Error(`not a payload template: ${JSON.stringify(parameters)}`)
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) => {
      if (!key.endsWith('.$')) return [key, value]
      if (value === '$$.Map.Item.Value') return [key.slice(0, -2), itemValue]
      const field = typeof value === 'string' ? /^\$\.(\w+)$/.exec(value)?.[1] : undefined
      if (field === undefined) throw new Error(`unsupported path ${String(value)}`)
      if (!(field in input)) throw new Error(`${field} is not in the state input`)
      return [key.slice(0, -2), input[field]]
    }),
  )
}

/** What Plan returns and the later steps receive as their input. */
const RUN_STATE = { runId: '2026-11-23', asOf: '2026-11-23', shards: [0, 1, 2] }

describe('nightly state machine definition', () => {
  it('runs the steps of shared/nightly/workflow.ts in order: tasks, and Distributed Maps for the maps', () => {
    const steps = NIGHTLY_STEPS.map((step) =>
      step.kind === 'map'
        ? { name: step.state, type: 'Map', mode: 'DISTRIBUTED' }
        : { name: step.state, type: 'Task', mode: undefined },
    )
    const [plan, ...later] = steps
    expect(nightlyDefinitionStates(template).map(({ name, type, mode }) => ({ name, type, mode }))).toEqual([
      plan,
      { name: NIGHTLY_DUPLICATE_CHECK.check, type: 'Choice', mode: undefined },
      ...later,
    ])
    const last = NIGHTLY_STEPS[NIGHTLY_STEPS.length - 1]
    expect(last && state(last.state).End).toBe(true)
  })

  it('is valid Amazon States Language', () => {
    // Task resources must look like ARNs to the validator; the template has references there.
    const resolved = stateMachineDefinition(template, {
      resolve: (token) =>
        token.kind === 'getAtt' && token.attribute === 'Arn'
          ? `arn:aws:lambda:eu-west-1:123456789012:function:${token.logicalId}`
          : `${token.logicalId}`,
    })
    const result = validateAsl(structuredClone(resolved))
    expect(result.errorsText('\n')).toBe('')
    expect(result.isValid).toBe(true)
  })

  it('invokes the nightly function in every task and returns only its result', () => {
    const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task')
    expect(tasks.length).toBe(NIGHTLY_STEPS.length + 1)
    for (const [name, task] of tasks) {
      // payloadResponseOnly: the function ARN itself, not the lambda:invoke integration's envelope.
      expect(task.Resource, name).toBe(functionArnPlaceholder())
    }
  })

  it('starts with Plan, which passes the as-of date or scheduled time of the execution input', () => {
    const [plan] = NIGHTLY_STEPS
    const planState = state(plan.state)
    // JSONata, whose object constructor leaves out a field the input lacks; Plan's result,
    // { runId, asOf, shards }, becomes the state (no Output field, no ResultPath).
    expect(planState).toMatchObject({ QueryLanguage: 'JSONata' })
    // The execution id tells Plan which execution holds the day, so that its own retries pass.
    expect(planState.Arguments).toBe(
      `{% {'step': '${plan.step}', 'asOf': $states.input.asOf, 'scheduledTime': $states.input.scheduledTime, 'executionId': $states.context.Execution.Id} %}`,
    )
    expect(planState).not.toHaveProperty('Output')
    expect(planState).not.toHaveProperty('ResultPath')
  })

  it('sends every later step an event the nightly function accepts, and keeps the run state', () => {
    for (const step of NIGHTLY_STEPS.slice(1)) {
      const s = state(step.state)
      if (step.kind === 'map') {
        const item = evaluatePayload(s.ItemSelector, RUN_STATE, 2)
        expect(NightlyEventSchema.parse(item)).toEqual({
          step: step.step,
          runId: '2026-11-23',
          asOf: '2026-11-23',
          shard: 2,
        })
        // Shard results are not kept: the run state leaves the map as it came in.
        expect(s.ResultPath, step.state).toBeNull()
        const [, shardTask] = shardTaskOf(s)
        expect(shardTask).not.toHaveProperty('Parameters')
      } else {
        const payload = evaluatePayload(s.Parameters, RUN_STATE)
        expect(NightlyEventSchema.parse(payload)).toEqual({
          step: step.step,
          runId: '2026-11-23',
          asOf: '2026-11-23',
        })
        expect(s.ResultPath, step.state).toBe(`$.${step.step}`)
      }
    }
  })

  it('fans each map out over the planned shards with the declared concurrency, failing on any failed shard', () => {
    for (const step of NIGHTLY_STEPS) {
      if (step.kind !== 'map') continue
      const map = state(step.state)
      expect(map).toMatchObject({
        ItemsPath: '$.shards',
        MaxConcurrency: step.maxConcurrency,
        Label: step.state,
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      })
      // ASL's default is 0, and CDK leaves a 0 out of the definition.
      expect(map.ToleratedFailurePercentage ?? 0).toBe(TOLERATED_FAILURE_PERCENTAGE)
      // Each child returns {}, so the results the map gathers stay small before they are discarded.
      const [, shardTask] = shardTaskOf(map)
      expect(shardTask).toMatchObject({ OutputPath: null, End: true })
    }
  })

  it('retries every task, also those inside the maps, as TASK_RETRY declares', () => {
    const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task')
    const shardTasks = NIGHTLY_STEPS.flatMap((step) =>
      step.kind === 'map' ? [shardTaskOf(state(step.state))[0]] : [],
    )
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        ...NIGHTLY_STEPS.filter((step) => step.kind === 'task').map((step) => step.state),
        NIGHTLY_FAILURE_STATE.state,
        ...shardTasks,
      ].sort(),
    )
    for (const [name, task] of tasks) {
      expect(task.Retry, name).toEqual([
        {
          ErrorEquals: [...RETRIED_ERRORS],
          IntervalSeconds: TASK_RETRY.intervalSeconds,
          MaxAttempts: TASK_RETRY.maxAttempts,
          BackoffRate: TASK_RETRY.backoffRate,
        },
      ])
    }
    expect(RETRIED_ERRORS).toEqual(
      expect.arrayContaining([
        'States.TaskFailed',
        'Lambda.ServiceException',
        'Lambda.TooManyRequestsException',
      ]),
    )
  })

  it('sends any failure after Plan to RecordFailure, which marks the run failed and then fails the execution', () => {
    const afterPlan = nightlyDefinitionStates(template).slice(1)
    for (const { name, catchNext } of afterPlan.filter((s) => s.type !== 'Choice')) {
      expect(state(name).Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: NIGHTLY_FAILURE_STATE.state },
      ])
      expect(catchNext).toEqual([NIGHTLY_FAILURE_STATE.state])
    }
    const recordFailure = state(NIGHTLY_FAILURE_STATE.state)
    const caught = { ...RUN_STATE, error: { Error: 'States.TaskFailed', Cause: 'shard 2 failed' } }
    expect(NightlyEventSchema.parse(evaluatePayload(recordFailure.Parameters, caught))).toEqual({
      step: NIGHTLY_FAILURE_STATE.step,
      runId: '2026-11-23',
      asOf: '2026-11-23',
      error: caught.error,
    })
    // RunFailed reads $.error, so the failure path keeps the state as it is.
    expect(recordFailure).toMatchObject({ ResultPath: null, Next: RUN_FAILED_STATE })
    expect(state(RUN_FAILED_STATE)).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    })
    expect(mainPath({ ...definition, StartAt: NIGHTLY_FAILURE_STATE.state }).map((s) => s.name)).toEqual([
      NIGHTLY_FAILURE_STATE.state,
      RUN_FAILED_STATE,
    ])
  })

  it('ends a start of a day that another execution is running right after Plan, as a success', () => {
    const [plan] = NIGHTLY_STEPS
    expect(state(plan.state).Next).toBe(NIGHTLY_DUPLICATE_CHECK.check)
    const [first] = NIGHTLY_STEPS.slice(1)
    expect(state(NIGHTLY_DUPLICATE_CHECK.check)).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.alreadyRunning', BooleanEquals: true, Next: NIGHTLY_DUPLICATE_CHECK.end }],
      Default: first?.state,
    })
    // A Succeed: no failure alarm for a harmless duplicate, and nothing written.
    expect(state(NIGHTLY_DUPLICATE_CHECK.end)).toMatchObject({ Type: 'Succeed' })
    expect(mainPath({ ...definition, StartAt: NIGHTLY_DUPLICATE_CHECK.end }).map((s) => s.name)).toEqual([
      NIGHTLY_DUPLICATE_CHECK.end,
    ])
  })

  it('fails the execution straight away when Plan fails, before a run record exists', () => {
    const [plan] = NIGHTLY_STEPS
    expect(state(plan.state).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], Output: '{% {"error": $states.errorOutput} %}', Next: RUN_FAILED_STATE },
    ])
  })
})

describe('nightly state machine', () => {
  const stateMachineId = () => logicalId(stack.nightly.stateMachine)

  it('is a standard state machine that traces and logs every event without execution data', () => {
    const properties: unknown = template.toJSON().Resources[stateMachineId()].Properties
    expect(properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(stack.nightly.logGroup), 'Arn'] },
            },
          },
        ],
      },
    })
    expect(template.toJSON().Resources[logicalId(stack.nightly.logGroup)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        RetentionInDays: expect.any(Number),
        LogGroupName: expect.stringMatching(/^\/aws\/vendedlogs\//),
      },
    })
  })

  it('stops an execution before the next night starts', () => {
    expect(definition.TimeoutSeconds).toBeLessThan(24 * 3600)
  })

  it('may invoke the nightly function and no other', () => {
    const fn = logicalId(stack.functions.nightly.function)
    const role = template.toJSON().Resources[stateMachineId()].Properties.RoleArn['Fn::GetAtt'][0]
    const invoke = roleStatements(template, role).filter((s) =>
      s.actions.some((a) => a.startsWith('lambda:')),
    )
    expect(invoke).toEqual([
      {
        effect: 'Allow',
        actions: ['lambda:InvokeFunction'],
        resources: [
          JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] }),
          JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [fn, 'Arn'] }, ':*']] }),
        ],
      },
    ])
  })

  it('outputs its ARN, for runs started by hand', () => {
    expect(template.toJSON().Outputs.NightlyStateMachineArn).toEqual({ Value: { Ref: stateMachineId() } })
  })
})

describe('nightly schedule', () => {
  const schedule = () => template.toJSON().Resources[logicalId(stack.nightly.schedule)].Properties

  it('starts the run at 02:00 of the business time zone every day, without a flexible window', () => {
    expect(schedule()).toMatchObject({
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: BUSINESS_TIME_ZONE,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    })
  })

  it('starts the state machine with the scheduled time as input, from which Plan derives the as-of date', () => {
    const target = schedule().Target
    expect(target.Arn).toEqual({ Ref: logicalId(stack.nightly.stateMachine) })
    expect(JSON.parse(target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' })
    expect(
      NightlyEventSchema.safeParse({ step: 'plan', scheduledTime: '2026-11-24T01:00:00Z' }).success,
    ).toBe(true)
  })

  it('uses a role that EventBridge Scheduler of this account alone assumes and that can only start this state machine', () => {
    const role: string = schedule().Target.RoleArn['Fn::GetAtt'][0]
    expect(roleStatements(template, role)).toEqual([
      {
        effect: 'Allow',
        actions: ['states:StartExecution'],
        resources: [JSON.stringify({ Ref: logicalId(stack.nightly.stateMachine) })],
      },
    ])
    expect(template.toJSON().Resources[role].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: expect.objectContaining({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }),
        },
      }),
    ])
  })

  it('takes the hour, time zone and deadline from its settings', () => {
    const scratch = new Stack(new App(), 'Scratch')
    const fn = new lambda.Function(scratch, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({})'),
    })
    new NightlyRun(scratch, 'Nightly', {
      function: fn,
      alarmTopic: new sns.Topic(scratch, 'Topic'),
      schedule: nightlySchedule({ hour: 23, timeZone: 'America/New_York', deadlineHours: 4 }),
    })
    const scratchTemplate = Template.fromStack(scratch)
    scratchTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 23 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumEventAgeInSeconds: 4 * 3600 }) }),
    })
    scratchTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsSucceeded',
      EvaluationPeriods: 24 + 4,
    })
  })

  it.each([
    [{ nightlyHour: 24 }, /nightlyHour/],
    [{ nightlyHour: 1.5 }, /nightlyHour/],
    [{ nightlyTimeZone: 'Europe/Atlantis' }, /nightlyTimeZone/],
    [{ nightlyDeadlineHours: 0 }, /nightlyDeadlineHours/],
    [{ nightlyDeadlineHours: 24 }, /nightlyDeadlineHours/],
  ])('refuses the stack setting %o', (props, message) => {
    expect(() => new ScoringStack(new App(), 'Invalid', props)).toThrow(message)
  })
})

describe('table warm throughput for the run', () => {
  const warmThroughputOf = (t: Template): unknown =>
    Object.values(t.findResources('AWS::DynamoDB::GlobalTable'))[0]?.Properties?.WarmThroughput

  it('serves the default write units at once, above the 4,000 writes/s a new on-demand table starts at', () => {
    expect(DEFAULT_WARM_WRITE_UNITS).toBeGreaterThan(4_000)
    expect(warmThroughputOf(template)).toEqual({ WriteUnitsPerSecond: DEFAULT_WARM_WRITE_UNITS })
  })

  it(
    'takes the write units from the stack setting, and leaves the table its own for 0',
    () => {
      const set = synthesize({ bundle: false, props: { tableWarmWriteUnits: 12_000 } })
      expect(warmThroughputOf(set.template)).toEqual({ WriteUnitsPerSecond: 12_000 })
      const off = synthesize({ bundle: false, props: { tableWarmWriteUnits: 0 } })
      expect(warmThroughputOf(off.template)).toBeUndefined()
    },
    SYNTH_TIMEOUT_MS,
  )

  it.each([3_999, 12_000.5, -1, Number.NaN])('refuses tableWarmWriteUnits %s', (tableWarmWriteUnits) => {
    expect(() => new ScoringStack(new App(), 'Invalid', { tableWarmWriteUnits })).toThrow(
      /tableWarmWriteUnits/,
    )
  })
})

describe('nightly alarms', () => {
  const alarmTopic = () => Object.keys(template.findResources('AWS::SNS::Topic'))[0]
  const stateMachineDimension = () => [
    { Name: 'StateMachineArn', Value: { Ref: logicalId(stack.nightly.stateMachine) } },
  ]

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])(
    'notifies the alarm topic as soon as one execution ends as %s',
    (metricName) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: stateMachineDimension(),
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: alarmTopic() }],
      })
    },
  )

  it('notifies the alarm topic when no run has succeeded by the deadline, counting a run that never started', () => {
    const windowHours = 24 + 6
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsSucceeded',
      Dimensions: stateMachineDimension(),
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: windowHours,
      DatapointsToAlarm: windowHours,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: alarmTopic() }],
      OKActions: [{ Ref: alarmTopic() }],
    })
  })
})

describe('nightly function', () => {
  const statements = () => roleStatements(template, logicalId(stack.functions.nightly.role))

  it('reads and writes run files, reads curated shards and configuration, and nothing else of the bucket', () => {
    expect(objectGrantLines(stack, statements())).toEqual(
      [
        `s3:GetObject ${PREFIXES.runs}*`,
        `s3:PutObject ${PREFIXES.runs}*`,
        `s3:GetObject ${PREFIXES.curated}*`,
        `s3:GetObject ${PREFIXES.config}*`,
        's3:ListBucket ',
      ].sort(),
    )
  })

  it('writes and queries items of the table but cannot delete or scan them', () => {
    const dynamo = statements().filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')))
    expect(dynamo).toHaveLength(1)
    expect(dynamo[0]?.resources).toEqual([tableArnOf(stack)])
    expect([...(dynamo[0]?.actions ?? [])].sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ])
  })
})
