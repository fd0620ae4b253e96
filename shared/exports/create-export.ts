import type { z } from 'zod'
import type { ExportCreatedSchema } from '../api/schemas.ts'
import { NotFoundError, ServiceUnavailableError } from '../http/errors.ts'
import type { ExportStore } from '../storage/dynamo-export-store.ts'
import type { RunStore } from '../storage/dynamo-run-store.ts'
import type { ExportRequest } from './request.ts'

export interface CreateExportDeps {
  readonly runs: Pick<RunStore, 'currentRunId' | 'getRun'>
  readonly store: Pick<ExportStore, 'create' | 'fail'>
  /** Starts the export worker for a job and returns without waiting for it (InvocationType Event). */
  readonly launch: (exportId: string) => Promise<void>
  readonly newId: () => string
  readonly now: () => Date
}

/**
 * POST /exports: records a queued job of the run being served and starts the worker. Exports read
 * the score files of a nightly run, so a run that ingest published before the first nightly run
 * (it has no report and no score files) counts as none.
 */
export async function createExport(
  request: ExportRequest,
  deps: CreateExportDeps,
): Promise<z.infer<typeof ExportCreatedSchema>> {
  const runId = await deps.runs.currentRunId()
  const run = runId ? await deps.runs.getRun(runId) : undefined
  if (!run?.reportKey) {
    throw new NotFoundError('run_not_found', 'no nightly run is being served yet', { runId: runId ?? null })
  }
  const exportId = deps.newId()
  await deps.store.create({ exportId, runId: run.runId, request, createdAt: deps.now().toISOString() })
  try {
    await deps.launch(exportId)
  } catch (error) {
    await deps.store.fail(exportId, {
      reason: 'the export could not be started',
      finishedAt: deps.now().toISOString(),
    })
    throw new ServiceUnavailableError(
      'export_not_started',
      'the export could not be started; try again',
      { exportId },
      { cause: error },
    )
  }
  return { exportId, status: 'queued' }
}
