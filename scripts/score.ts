/**
 * `npm run score`: turns on Node's compile cache (in the system's temporary directory) before the
 * scorer's modules load, here and in the worker threads (which take it from the environment), so that
 * their TypeScript is stripped and compiled once, not on every run; then runs the scorer (score-cli.ts).
 */
import { enableCompileCache } from 'node:module'

const cache = enableCompileCache()
if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= cache.directory
await import('./score-cli.ts')
