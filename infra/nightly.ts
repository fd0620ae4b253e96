import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as scheduler from 'aws-cdk-lib/aws-scheduler'
import * as targets from 'aws-cdk-lib/aws-scheduler-targets'
import type * as sns from 'aws-cdk-lib/aws-sns'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks'
import { Construct } from 'constructs'
import { isTimeZone } from '../shared/config.ts'
import {
  NIGHTLY_DUPLICATE_CHECK,
  NIGHTLY_FAILURE_STATE,
  NIGHTLY_STEPS,
  TASK_RETRY,
  TOLERATED_FAILURE_PERCENTAGE,
} from '../shared/nightly/workflow.ts'
import { APP_NAME } from '../shared/resources.ts'
import { wildcardResourceFinding } from './nag.ts'

/** When and how long: validated once, before the stack builds anything. */
export interface NightlySchedule {
  /** Hour of the day (0-23) the run starts, in `timeZone`. */
  readonly hour: number
  /** IANA zone of `hour`; EventBridge Scheduler follows its daylight-saving changes. */
  readonly timeZone: string
  /** Hours after the start by which a run must have succeeded before the deadline alarm fires. */
  readonly deadlineHours: number
}

/** The settings if they are valid; otherwise throws, listing every problem. */
export function nightlySchedule(settings: NightlySchedule): NightlySchedule {
  const { hour, timeZone, deadlineHours } = settings
  const problems = [
    ...(Number.isInteger(hour) && hour >= 0 && hour <= 23 ? [] : [`nightlyHour must be 0-23, got ${hour}`]),
    ...(isTimeZone(timeZone) ? [] : [`nightlyTimeZone is not an IANA zone: ${timeZone}`]),
    // Below a day: the deadline of one night must fall before the next night's start.
    ...(Number.isInteger(deadlineHours) && deadlineHours >= 1 && deadlineHours <= 23
      ? []
      : [`nightlyDeadlineHours must be an integer from 1 to 23, got ${deadlineHours}`]),
  ]
  if (problems.length > 0) throw new Error(problems.join('; '))
  return settings
}

/**
 * Write units per second the table serves at once by default (its warm throughput), so the Score map
 * is not throttled while an on-demand table ramps up from the 4,000 writes/s a new table starts at.
 * 40,000 is the default per-table throughput quota of an on-demand table: the most the table may take
 * without a quota increase, and what 10 Score tasks writing LATEST and history items need (README,
 * "Expected cost and time on AWS").
 */
export const DEFAULT_WARM_WRITE_UNITS = 40_000

/** What a new on-demand table serves anyway; a warm throughput below it would mean nothing. */
export const ON_DEMAND_INITIAL_WRITE_UNITS = 4_000

/**
 * The table's warm write throughput for the nightly run: `undefined` (leave the table's own) for 0,
 * otherwise a whole number of write units per second from 4,000 up; anything else throws.
 */
export function warmWriteUnits(setting: number): number | undefined {
  if (setting === 0) return undefined
  if (!Number.isInteger(setting) || setting < ON_DEMAND_INITIAL_WRITE_UNITS) {
    throw new Error(
      `tableWarmWriteUnits must be 0 (leave the table's own) or an integer of at least ${ON_DEMAND_INITIAL_WRITE_UNITS}, got ${setting}`,
    )
  }
  return setting
}

/** The execution input the schedule passes; Plan derives the as-of date from it in the business zone. */
const SCHEDULED_INPUT = { scheduledTime: scheduler.ContextAttribute.scheduledTime } as const

/** The end state of a failed run, after RecordFailure (or straight after Plan, before a run exists). */
export const RUN_FAILED_STATE = 'RunFailed'

/**
 * Errors every task retries. `States.TaskFailed` alone matches all of them (it matches every error
 * but States.Timeout, including a handler's own exception); the Lambda errors are named so that the
 * definition reads as what it is meant to survive: service errors and throttling.
 */
export const RETRIED_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.TaskFailed',
] as const

/**
 * A Standard execution may otherwise run for a year. Stopping a scheduled run before the next
 * night's starts keeps two runs from writing scores and switching CURRENT at the same time.
 */
const EXECUTION_TIMEOUT = Duration.hours(23)

/**
 * Plan reads the execution input: `{"scheduledTime": ...}` from the schedule, `{"asOf": ...}` from an
 * operator. JSONPath fails on a path that is absent, so this one state uses JSONata, whose object
 * constructor leaves an absent field out, as the Lambda's schema expects.
 */
const PLAN_ARGUMENTS = (step: string) =>
  `{% {'step': '${step}', 'asOf': $states.input.asOf, 'scheduledTime': $states.input.scheduledTime, 'executionId': $states.context.Execution.Id} %}`

export interface NightlyRunProps {
  /** Serves every step; the event's `step` says which. */
  readonly function: lambda.IFunction
  readonly alarmTopic: sns.ITopic
  readonly schedule: NightlySchedule
}

/**
 * The nightly run on AWS, built from NIGHTLY_STEPS of shared/nightly/workflow.ts, the same list the
 * local runner executes: a Lambda task for each task step, a Distributed Map over the planned shards
 * for each map step; a failure after the first step goes to RecordFailure, then RunFailed.
 * An EventBridge Scheduler schedule starts it every night.
 *
 * To run a given business day by hand (a backfill or a re-run), start an execution with the
 * as-of date instead of a scheduled time:
 *
 *   aws stepfunctions start-execution \
 *     --state-machine-arn <NightlyStateMachineArn output> --input '{"asOf":"2026-11-23"}'
 *
 * Every payload is a run reference (run id, as-of date, shard number): parameters and statistics
 * travel through the run record and S3, never through the state (256 KiB limit).
 */
export class NightlyRun extends Construct {
  readonly stateMachine: sfn.StateMachine
  readonly logGroup: logs.LogGroup
  readonly schedule: scheduler.Schedule
  private readonly fn: lambda.IFunction

  constructor(scope: Construct, id: string, props: NightlyRunProps) {
    super(scope, id)
    this.fn = props.function
    const { hour, timeZone, deadlineHours } = props.schedule

    const runFailed = new sfn.Fail(this, RUN_FAILED_STATE, {
      stateName: RUN_FAILED_STATE,
      comment: 'The run failed; the previous run stays served.',
      errorPath: sfn.JsonPath.stringAt('$.error.Error'),
      causePath: sfn.JsonPath.stringAt('$.error.Cause'),
    })
    // Its result is discarded: RunFailed reads $.error, so the execution fails with the failed
    // step's own error and cause.
    const recordFailure = this.invoke(
      NIGHTLY_FAILURE_STATE.state,
      { step: NIGHTLY_FAILURE_STATE.step, 'runId.$': '$.runId', 'asOf.$': '$.asOf', 'error.$': '$.error' },
      { resultPath: sfn.JsonPath.DISCARD },
    )
    recordFailure.next(runFailed)
    const catchInto = (state: tasks.LambdaInvoke | sfn.DistributedMap) =>
      state.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' })

    const [planStep, ...laterSteps] = NIGHTLY_STEPS
    // Plan's result ({ runId, asOf, shards }) becomes the state every later step reads. Before Plan
    // has returned there is no run to mark failed, so its errors go straight to RunFailed.
    const plan = tasks.LambdaInvoke.jsonata(this, planStep.state, {
      stateName: planStep.state,
      lambdaFunction: this.fn,
      payload: sfn.TaskInput.fromText(PLAN_ARGUMENTS(planStep.step)),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    })
    plan.addRetry(taskRetry())
    plan.addCatch(runFailed, {
      errors: [sfn.Errors.ALL],
      outputs: '{% {"error": $states.errorOutput} %}',
    })

    // Plan's result says whether another execution holds the day: then this one ends at once, as a
    // success (no failure alarm), and writes nothing.
    const alreadyRunning = sfn.Succeed.jsonPath(this, NIGHTLY_DUPLICATE_CHECK.end, {
      stateName: NIGHTLY_DUPLICATE_CHECK.end,
      comment: 'Another execution is running this day; it is left alone.',
    })
    const isDuplicate = sfn.Choice.jsonPath(this, NIGHTLY_DUPLICATE_CHECK.check, {
      stateName: NIGHTLY_DUPLICATE_CHECK.check,
    })

    let chain: sfn.Chain | undefined
    const append = (state: tasks.LambdaInvoke | sfn.DistributedMap) => {
      chain = chain === undefined ? sfn.Chain.start(state) : chain.next(state)
    }
    for (const step of laterSteps) {
      if (step.kind === 'map') {
        const map = new sfn.DistributedMap(this, step.state, {
          stateName: step.state,
          // Child executions carry the label in their metric dimensions and ARNs.
          label: step.state,
          itemsPath: sfn.JsonPath.stringAt('$.shards'),
          itemSelector: {
            step: step.step,
            runId: sfn.JsonPath.stringAt('$.runId'),
            asOf: sfn.JsonPath.stringAt('$.asOf'),
            shard: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
          },
          maxConcurrency: step.maxConcurrency,
          toleratedFailurePercentage: TOLERATED_FAILURE_PERCENTAGE,
          // Express child workflows end after five minutes; a shard may take the Lambda's fifteen.
          mapExecutionType: sfn.StateMachineType.STANDARD,
          // The shard results are not needed: each shard writes its output to S3.
          resultPath: sfn.JsonPath.DISCARD,
        })
        // The item (the shard's event) is the payload as it is. Each child returns {}, so the array
        // the map gathers before discarding stays a few KiB even with thousands of shards.
        const shardTask = this.invoke(`${step.state}Shard`, undefined, { outputPath: sfn.JsonPath.DISCARD })
        map.itemProcessor(shardTask)
        catchInto(map)
        append(map)
      } else {
        // The small result is kept beside the run state ($.fit, $.finalise) for the execution history.
        const task = this.invoke(
          step.state,
          { step: step.step, 'runId.$': '$.runId', 'asOf.$': '$.asOf' },
          { resultPath: `$.${step.step}` },
        )
        catchInto(task)
        append(task)
      }
    }
    if (chain === undefined) throw new Error('the nightly run has no step after Plan')
    const definition = sfn.Chain.start(plan).next(
      isDuplicate
        .when(sfn.Condition.booleanEquals('$.alreadyRunning', true), alreadyRunning)
        .otherwise(chain),
    )

    // The name starts with /aws/vendedlogs/ so that CloudWatch Logs authorises the delivery with one
    // account-wide resource policy instead of a statement per log group, whose size is limited.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-nightly`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    })

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: `${APP_NAME} nightly run: ${NIGHTLY_STEPS.map((step) => step.state).join(' -> ')}`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: EXECUTION_TIMEOUT,
      tracingEnabled: true,
      // Every state transition is logged, without the states' input and output: payloads are run
      // ids, dates and shard numbers only, but the history in the console already shows them.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    })

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Starts the ${APP_NAME} nightly run at ${hour}:00 ${timeZone}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: '0',
        hour: String(hour),
        timeZone: TimeZone.of(timeZone),
      }),
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULED_INPUT),
        // A start that keeps failing is retried until the deadline; later, the deadline alarm
        // reports the missing run instead.
        maxEventAge: Duration.hours(deadlineHours),
      }),
    })

    this.addAlarms(props.alarmTopic, deadlineHours)
    this.acknowledgeFindings()
  }

  /** A Lambda task of the nightly function, retried as the declaration says. */
  private invoke(
    state: string,
    payload: Record<string, unknown> | undefined,
    options: { resultPath?: string; outputPath?: string } = {},
  ): tasks.LambdaInvoke {
    const task = tasks.LambdaInvoke.jsonPath(this, state, {
      stateName: state,
      lambdaFunction: this.fn,
      ...(payload && { payload: sfn.TaskInput.fromObject(payload) }),
      // The function's return value is the task's result, without the invocation's metadata.
      payloadResponseOnly: true,
      // Replaced by the declared retry, which also covers the function's own errors.
      retryOnServiceExceptions: false,
      ...options,
    })
    task.addRetry(taskRetry())
    return task
  }

  /**
   * Failed, timed-out and aborted executions alarm as they happen. The deadline alarm fires when no
   * execution has succeeded in the last 24 + deadline hours, counted in hourly periods with missing
   * data as breaching. Yesterday's run succeeded after yesterday's start, so the alarm cannot fire
   * before today's start + deadline; it fires at the latest one run's duration after it (to within
   * the hour), and it also catches a run that never started (schedule disabled, start failing),
   * which no execution metric would report. No extra function or schedule is needed. It starts in
   * ALARM on a new deployment until the first run succeeds: start one by hand (see above).
   */
  private addAlarms(topic: sns.ITopic, deadlineHours: number): void {
    const notify = new cwActions.SnsAction(topic)
    const sm = this.stateMachine
    const events = [
      ['Failed', sm.metricFailed.bind(sm), 'failed (RecordFailure marked its run record failed)'],
      [
        'TimedOut',
        sm.metricTimedOut.bind(sm),
        `ran for ${EXECUTION_TIMEOUT.toHours()} hours and was stopped (its run record still says running)`,
      ],
      ['Aborted', sm.metricAborted.bind(sm), 'was stopped by hand (its run record still says running)'],
    ] as const
    for (const [name, metric, what] of events) {
      const alarm = new cloudwatch.Alarm(this, `Executions${name}Alarm`, {
        alarmDescription: `A nightly run ${what}; the previous run stays served. Read the execution's history and the nightly function's logs, fix the cause, then start the day again by hand.`,
        metric: metric({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
      // An execution's end is an event: the alarm goes back to OK five minutes later by itself,
      // which is not a recovery worth a notification.
      alarm.addAlarmAction(notify)
    }

    const windowHours = 24 + deadlineHours
    const deadline = new cloudwatch.Alarm(this, 'DeadlineAlarm', {
      alarmDescription: `No nightly run has succeeded in the last ${windowHours} hours: today's run did not finish within ${deadlineHours} hours of its start, failed, or never started. Scores are a day old.`,
      metric: this.stateMachine.metricSucceeded({
        period: Duration.hours(1),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: windowHours,
      datapointsToAlarm: windowHours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    })
    deadline.addAlarmAction(notify)
    deadline.addOkAction(notify)
  }

  /** The wildcards CDK writes into the state machine's policies, each one checked and explained. */
  private acknowledgeFindings(): void {
    const { stateMachine, fn } = this
    Validations.of(stateMachine.role).acknowledge({
      id: wildcardResourceFinding(this, `${fn.functionArn}:*`),
      reason:
        'CDK grants invoking the nightly function and its versions and aliases (ARN:*); the state machine invokes the unqualified function only, and no other function.',
    })
    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Log delivery to CloudWatch Logs (logs:*LogDelivery, resource policies) and X-Ray tracing (PutTraceSegments, sampling rules) do not support resource-level permissions; the role holds no other action on "*".',
    })

    const stack = Stack.of(this)
    const name = Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName
    const executionsOf = (suffix: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${name}${suffix}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })
    const distributedMapPolicy = stateMachine.node.findChild('DistributedMapPolicy')
    Validations.of(distributedMapPolicy).acknowledge({
      id: wildcardResourceFinding(this, executionsOf('')),
      reason:
        'A Distributed Map describes and stops the child workflow executions it starts; execution names are generated at run time, and the grant covers executions of this state machine only.',
    })
    for (const step of NIGHTLY_STEPS) {
      if (step.kind !== 'map') continue
      Validations.of(distributedMapPolicy).acknowledge({
        id: wildcardResourceFinding(this, executionsOf(`/${step.state}`)),
        reason: `Redriving the ${step.state} map run restarts its failed child executions, whose names are generated at run time; the grant covers the executions labelled ${step.state} of this state machine only.`,
      })
    }
  }
}

/** TASK_RETRY of the declaration, in CDK terms. */
function taskRetry(): sfn.RetryProps {
  return {
    errors: [...RETRIED_ERRORS],
    interval: Duration.seconds(TASK_RETRY.intervalSeconds),
    maxAttempts: TASK_RETRY.maxAttempts,
    backoffRate: TASK_RETRY.backoffRate,
  }
}
