// Type declarations for the two local protocol engines, which ship none.

declare module 'dynalite' {
  import type { Server } from 'node:http'

  interface DynaliteOptions {
    path?: string
    createTableMs?: number
    deleteTableMs?: number
    updateTableMs?: number
    maxItemSizeKb?: number
  }
  function dynalite(options?: DynaliteOptions): Server
  export default dynalite
}

declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface S3rverOptions {
    directory?: string
    silent?: boolean
    configureBuckets?: { name: string; configs?: string[] }[]
    allowMismatchedSignatures?: boolean
  }
  class S3rver {
    constructor(options?: S3rverOptions)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: 'event', listener: (event: never) => void): this
  }
  export default S3rver
}
