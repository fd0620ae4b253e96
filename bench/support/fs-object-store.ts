import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import type { ObjectStore } from '../../shared/storage/s3-object-store.ts'

/** The object storage port on a local folder, for benchmarks that leave S3 out of the measurement. */
export function fsObjectStore(root: string): ObjectStore {
  const path = (key: string) => join(root, key)
  const readAll = async (key: string) => {
    try {
      return readFileSync(path(key))
    } catch {
      return undefined
    }
  }
  return {
    async read({ key }) {
      const body = await readAll(key)
      return body
        ? (async function* () {
            yield body
          })()
        : undefined
    },
    readAll,
    async write(key, body) {
      mkdirSync(dirname(path(key)), { recursive: true })
      writeFileSync(path(key), body)
    },
    async list(prefix) {
      const keys: string[] = []
      const walk = (dir: string) => {
        let entries: string[]
        try {
          entries = readdirSync(dir)
        } catch {
          return
        }
        for (const entry of entries) {
          const full = join(dir, entry)
          if (statSync(full).isDirectory()) walk(full)
          else keys.push(relative(root, full).split('\\').join('/'))
        }
      }
      walk(root)
      return keys.filter((key) => key.startsWith(prefix)).sort()
    },
    async remove(keys) {
      for (const key of keys) rmSync(path(key), { force: true })
    },
  }
}
