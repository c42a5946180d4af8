import { sqliteEventStore } from '../store.js';

export interface CrashReport {
  readonly events: number;
  /** Batches stored, acknowledged or not. */
  readonly batches: number;
  readonly acked: number;
  /** Batches stored with some but not all of their events (an append that is not atomic). */
  readonly torn: readonly string[];
  /** Acknowledged batches that are not (wholly) stored. */
  readonly lost: readonly string[];
  /** Positions not strictly increasing, stream versions not contiguous, or a batch stored twice. */
  readonly disorder: readonly string[];
}

/**
 * Reopens the file with the real store (which also runs WAL recovery) and checks the crash
 * invariants against the appends the child acknowledged before it died.
 */
export async function checkCrashFile(
  path: string,
  acked: readonly { batch: string; size: number }[],
): Promise<CrashReport> {
  await using store = await sqliteEventStore(path);
  const batches = new Map<string, { k: number; indexes: number[] }>();
  const versions = new Map<string, bigint>();
  const disorder: string[] = [];
  let last = 0n;
  let events = 0;
  for await (const e of store.readAll()) {
    events++;
    if (e.position <= last) disorder.push(`position ${e.position} after ${last}`);
    last = e.position;
    const expected = (versions.get(e.streamId) ?? 0n) + 1n;
    if (e.version !== expected) disorder.push(`${e.streamId} version ${e.version}, expected ${expected}`);
    versions.set(e.streamId, e.version);
    const { b, i, k } = e.data as { b: string; i: number; k: number };
    const entry = batches.get(b) ?? { k, indexes: [] };
    entry.indexes.push(i);
    batches.set(b, entry);
  }
  const torn: string[] = [];
  for (const [batch, { k, indexes }] of batches) {
    const distinct = new Set(indexes);
    if (distinct.size !== indexes.length) disorder.push(`batch ${batch} stored twice`);
    if (distinct.size !== k) torn.push(`${batch} (${distinct.size} of ${k})`);
  }
  const lost = acked.filter((a) => batches.get(a.batch)?.indexes.length !== a.size).map((a) => a.batch);
  return { events, batches: batches.size, acked: acked.length, torn, lost, disorder };
}
