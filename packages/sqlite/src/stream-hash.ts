const encoder = new TextEncoder();

/**
 * 32-bit FNV-1a over the UTF-8 bytes of a stream id, stored with every event so that partitioned
 * consumers (later) can split `$all` by `stream_hash % partitions` in SQL without rehashing.
 * It must never change: changing it reshuffles every partition.
 */
export function streamHash(streamId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(streamId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
