import { createHash } from 'node:crypto';
import { categoryOf } from 'tidings';

/**
 * The stream hash stored with every event, for partitioned consumers (`stream_hash % n` in SQL):
 * the first 32 bits of the MD5 of the stream id's UTF-8 bytes, big-endian, as a signed integer.
 * In SQL that is `('x' || substr(md5(stream_id), 1, 8))::bit(32)::integer`, so any language can
 * compute it. It is computed here, once per append, rather than as a generated column evaluated
 * per row on the write path. It must never change: changing it reshuffles every partition.
 *
 * @example
 * streamHash('order-42'); // the same value as the SQL expression above for 'order-42'
 */
export function streamHash(streamId: string): number {
  return createHash('md5').update(streamId, 'utf8').digest().readInt32BE(0);
}

/** Category and stream hash of a stream, as the write path stores them with every event. */
export interface StreamKeys {
  readonly category: string;
  readonly hash: number;
}

const KEYS_CACHE_SIZE = 4096;
let keys = new Map<string, StreamKeys>();

/**
 * {@link streamHash} and `categoryOf` for the write path, remembered for the last few thousand
 * streams written: a writer appends to the same streams again and again, and an MD5 per append
 * (a native call and two allocations) was a visible part of the client's cost per append. The
 * cache is dropped whole when full, so its size is bounded.
 */
export function streamKeys(streamId: string): StreamKeys {
  let k = keys.get(streamId);
  if (k === undefined) {
    if (keys.size >= KEYS_CACHE_SIZE) keys = new Map();
    k = { category: categoryOf(streamId), hash: streamHash(streamId) };
    keys.set(streamId, k);
  }
  return k;
}
