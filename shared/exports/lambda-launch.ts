import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import type { z } from 'zod'
import type { ExportWorkerEventSchema } from './run-export.ts'

export class LaunchError extends Error {
  override readonly name = 'LaunchError'
}

/**
 * Starts the export worker for one job with an asynchronous Invoke (InvocationType Event): Lambda
 * queues the event and answers 202 at once, so POST /exports never waits for the export itself.
 */
export function lambdaExportLaunch(
  lambda: Pick<LambdaClient, 'send'>,
  workerFunction: string,
): (exportId: string) => Promise<void> {
  return async (exportId) => {
    const event: z.input<typeof ExportWorkerEventSchema> = { exportId }
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: workerFunction,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    )
    if (result.StatusCode !== 202) {
      throw new LaunchError(`the export worker was not queued (status ${result.StatusCode ?? 'none'})`)
    }
  }
}
