import { createHash } from 'node:crypto';

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
