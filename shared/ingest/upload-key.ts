import { createHash } from 'node:crypto'
import { PREFIXES, UPLOAD_KINDS, type UploadKind } from '../resources.ts'

export interface UploadLocation {
  readonly key: string
  readonly kind: UploadKind
  /** The path below incoming/<kind>/, which names the report and the rejected-rows file. */
  readonly name: string
}

/** Splits incoming/<kind>/<name>; undefined for keys outside the incoming prefix or of an unknown kind. */
export function parseUploadKey(key: string): UploadLocation | undefined {
  if (!key.startsWith(PREFIXES.incoming)) return undefined
  const rest = key.slice(PREFIXES.incoming.length)
  const slash = rest.indexOf('/')
  if (slash <= 0 || slash === rest.length - 1 || key.endsWith('/')) return undefined
  const kind = rest.slice(0, slash)
  if (!isUploadKind(kind)) return undefined
  return { key, kind, name: rest.slice(slash + 1) }
}

function isUploadKind(kind: string): kind is UploadKind {
  return (UPLOAD_KINDS as readonly string[]).includes(kind)
}

export const reportKey = (upload: UploadLocation): string =>
  `${PREFIXES.reports}${upload.kind}/${upload.name}.report.json`

export const rejectedKey = (upload: UploadLocation): string =>
  `${PREFIXES.rejected}${upload.kind}/${upload.name}.rejected.csv`

/** Identity of one delivered object version: re-deliveries of the same event share it. */
export function uploadId(bucket: string, key: string, version: string): string {
  return sha256(`${bucket}\n${key}\n${version}`).slice(0, 32)
}

/** Identity of a source key: a new object under the same key replaces the rows of the old one. */
export function sourceId(key: string): string {
  return sha256(key).slice(0, 24)
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
