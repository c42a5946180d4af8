const encoder = new TextEncoder();

/**
 * 32-bit FNV-1a over the UTF-8 bytes of a stream id, stored with every event so that partitioned
 * consumers (later) can split `$all` by `stream_hash % partitions` in SQL without rehashing.
 * It must never change: changing it reshuffles every partition.
 */
export function streamHash(streamId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    const c = streamId.charCodeAt(i);
    // ASCII is its own UTF-8 encoding: hash it without allocating (every append computes this).
    if (c >= 0x80) return utf8Hash(streamId);
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  return hash >>> 0;
}

function utf8Hash(streamId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(streamId)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}
