/**
 * Customer hash shard: FNV-1a (32-bit) of the customer id, modulo the shard count. Each shard holds
 * complete customer histories, so it can be summarised and scored on its own.
 */
export function shardOf(customerId: string, shardCount: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < customerId.length; i++) {
    hash ^= customerId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % shardCount
}

export function shardLabel(shard: number): string {
  return `shard=${String(shard).padStart(4, '0')}`
}
