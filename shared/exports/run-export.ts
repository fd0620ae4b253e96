import { z } from 'zod'
import type { Log } from '../logger.ts'
import { PREFIXES } from '../resources.ts'
import type { ExportStore } from '../storage/dynamo-export-store.ts'
import { exportKey } from './request.ts'
import { ExportError, type ExportIo, writeExport } from './write-export.ts'

/** The event of the worker's asynchronous invocation (InvocationType Event), sent by POST /exports. */
export const ExportWorkerEventSchema = z.object({ exportId: z.uuid() })

export interface RunExportDeps {
  readonly store: ExportStore
  readonly io: ExportIo
  readonly shardCount: number
  readonly now: () => Date
  readonly logger: Log
}

/**
 * The export worker's use case: takes a queued job (a repeated invocation finds it started and does
 * nothing), writes the file and records it ready with its row count, or failed with a reason.
 */
export async function runExport(exportId: string, deps: RunExportDeps): Promise<void> {
  const job = await deps.store.start(exportId)
  if (!job) {
    deps.logger.warn('export is not queued; nothing to do', { exportId })
    return
  }
  const key = exportKey(PREFIXES.exports, exportId, job.request)
  try {
    const { rows } = await writeExport(deps.io, {
      runId: job.runId,
      shardCount: deps.shardCount,
      request: job.request,
      key,
    })
    await deps.store.finish(exportId, { rows, key, finishedAt: deps.now().toISOString() })
    deps.logger.info('export ready', { exportId, runId: job.runId, rows })
  } catch (error) {
    const reason = error instanceof ExportError ? error.message : 'the export could not be written'
    await deps.store.fail(exportId, { reason, finishedAt: deps.now().toISOString() })
    // Rethrown so the invocation counts as failed in the function's metrics; the job says why.
    throw error
  }
}
