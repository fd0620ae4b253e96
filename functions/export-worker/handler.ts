import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { loadConfig } from '../../shared/config.ts'
import { ExportWorkerEventSchema, runExport } from '../../shared/exports/run-export.ts'
import { s3ExportIo } from '../../shared/exports/s3-export-io.ts'
import { createLogger } from '../../shared/logger.ts'
import { createClients } from '../../shared/storage/clients.ts'
import { dynamoExportStore } from '../../shared/storage/dynamo-export-store.ts'
import { s3ObjectStore } from '../../shared/storage/s3-object-store.ts'

const config = loadConfig(process.env)
const logger = createLogger('export-worker')
const { s3, dynamo } = createClients(config)
const deps = {
  store: dynamoExportStore(dynamo, config.tableName),
  io: s3ExportIo(s3, config.bucket, s3ObjectStore(s3, config.bucket)),
  shardCount: config.shardCount,
  now: () => new Date(),
  logger,
}

/** Writes one export file: runs/<runId>/scores/* of the job's run, filtered, to exports/. */
export const handler = middy<unknown, void, Error, Context>().handler(async (event) => {
  const { exportId } = ExportWorkerEventSchema.parse(event)
  await runExport(exportId, deps)
})
