import { categoryOf } from '../messages/names.js';
import { ConcurrencyError, StreamDeletedError } from './errors.js';
import { resolveIdempotentAppend, type StoredEventRef } from './idempotency.js';
import { isRetained, type RetentionState } from './stream-rules.js';
import type { AppendResult, ExpectedVersion, ReadAllFilter, StreamInfo, StreamMetadata } from './types.js';
import { versionMatches, type PreparedEvent } from './validation.js';

/** An event as the in-memory store keeps it: data and metadata as JSON text, like SQL stores. */
export interface StoredEvent extends StoredEventRef {
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recordedAt: number;
}

/** Everything the store knows about one stream. `events` hold consecutive versions, ascending. */
export interface StreamRecord extends RetentionState {
  version: bigint;
  /** Position of the last event ever appended (kept after truncation and deletion). */
  lastPosition: bigint;
  truncatedBefore: bigint;
  deleted: 'soft' | 'hard' | undefined;
  /** JSON text of the stream metadata, as SQL stores keep it. */
  metadata: string;
  maxAge?: number | undefined;
  maxCount?: number | undefined;
  events: StoredEvent[];
}

/** The committed contents of an in-memory store. Mutated only under the store's write lock. */
export class MemoryState {
  readonly streams = new Map<string, StreamRecord>();
  /** Every stored event, ascending by position. */
  log: StoredEvent[] = [];
  readonly ids = new Map<string, StoredEvent>();
  /** Highest position ever committed; never decreases, so positions are never reused. */
  head = 0n;
  lastRecordedAt = Number.NEGATIVE_INFINITY;

  record(streamId: string): StreamRecord {
    let s = this.streams.get(streamId);
    if (s === undefined) {
      s = { version: 0n, lastPosition: 0n, truncatedBefore: 0n, deleted: undefined, metadata: '{}', events: [] };
      this.streams.set(streamId, s);
    }
    return s;
  }

  /** Physically removes the events of `s` with a version below `before` (truncation and deletion). */
  removeBefore(s: StreamRecord, before: bigint): void {
    const first = s.events[0];
    if (first === undefined || before <= first.version) return;
    const removed = s.events.slice(0, Number(before - first.version));
    if (removed.length === 0) return;
    s.events = s.events.slice(removed.length);
    const gone = new Set(removed);
    for (const e of removed) this.ids.delete(e.id);
    this.log = this.log.filter((e) => !gone.has(e));
  }
}

/** The pending part of a stream inside a draft. */
interface PendingStream {
  version: bigint;
  lastPosition: bigint;
  deleted: 'soft' | 'hard' | undefined;
  readonly events: StoredEvent[];
}

/**
 * The appends of one unit of work, invisible to others until `commit`. The store holds its write
 * lock while a draft is open, so positions handed out here are final.
 */
export class Draft {
  private readonly pending = new Map<string, PendingStream>();
  private readonly pendingIds = new Map<string, StoredEvent>();
  private readonly pendingLog: StoredEvent[] = [];
  private nextPosition: bigint;
  private lastRecordedAt: number;

  constructor(
    private readonly state: MemoryState,
    private readonly now: () => number,
  ) {
    this.nextPosition = state.head + 1n;
    this.lastRecordedAt = state.lastRecordedAt;
  }

  append(streamId: string, expected: ExpectedVersion, events: readonly PreparedEvent[]): AppendResult {
    const committed = this.state.streams.get(streamId);
    const p = this.pending.get(streamId);
    const version = p?.version ?? committed?.version ?? 0n;
    const deleted = p !== undefined ? p.deleted : committed?.deleted;
    if (deleted === 'hard') throw new StreamDeletedError(streamId);
    const ids = events.map((e) => e.id);
    const found: StoredEventRef[] = [];
    for (const id of ids) {
      const e = this.pendingIds.get(id) ?? this.state.ids.get(id);
      if (e !== undefined) found.push(e);
    }
    const original = resolveIdempotentAppend(streamId, expected, ids, found);
    if (original !== undefined) return original;
    if (!versionMatches(expected, version, deleted === 'soft')) throw new ConcurrencyError(streamId, expected, version);
    const lastPosition = p?.lastPosition ?? committed?.lastPosition ?? 0n;
    if (events.length === 0) return { nextVersion: version, position: lastPosition };

    // recordedAt never decreases with position, even if the clock steps back.
    const recordedAt = Math.max(this.now(), this.lastRecordedAt);
    this.lastRecordedAt = recordedAt;
    const target = p ?? { version, lastPosition, deleted, events: [] };
    this.pending.set(streamId, target);
    let v = version;
    for (const e of events) {
      v += 1n;
      const stored: StoredEvent = {
        id: e.id,
        streamId,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        version: v,
        position: this.nextPosition++,
        recordedAt,
      };
      target.events.push(stored);
      this.pendingIds.set(e.id, stored);
      this.pendingLog.push(stored);
    }
    target.version = v;
    target.lastPosition = this.nextPosition - 1n;
    target.deleted = undefined; // appending revives a soft-deleted stream
    return { nextVersion: v, position: target.lastPosition };
  }

  /** The stream as this draft sees it: committed state plus its own appends. */
  view(streamId: string): { info: StreamInfoParts; events: readonly StoredEvent[] } {
    const committed = this.state.streams.get(streamId);
    const p = this.pending.get(streamId);
    if (p === undefined) return { info: committed ?? EMPTY_STREAM, events: committed?.events ?? [] };
    const base = committed ?? EMPTY_STREAM;
    return {
      info: { ...base, version: p.version, lastPosition: p.lastPosition, deleted: p.deleted },
      events: base.events.length === 0 ? p.events : [...base.events, ...p.events],
    };
  }

  /** Applies the draft to the committed state. Returns the new head when it moved. */
  commit(): bigint | undefined {
    if (this.pendingLog.length === 0) return undefined;
    for (const [streamId, p] of this.pending) {
      const s = this.state.record(streamId);
      s.version = p.version;
      s.lastPosition = p.lastPosition;
      s.deleted = p.deleted;
      for (const e of p.events) s.events.push(e);
    }
    for (const e of this.pendingLog) {
      this.state.log.push(e);
      this.state.ids.set(e.id, e);
    }
    this.state.head = this.nextPosition - 1n;
    this.state.lastRecordedAt = this.lastRecordedAt;
    return this.state.head;
  }
}

/** The fields of a stream record that `streamInfo` and reads need. */
export type StreamInfoParts = Pick<
  StreamRecord,
  'version' | 'lastPosition' | 'truncatedBefore' | 'deleted' | 'metadata' | 'maxAge' | 'maxCount'
>;

/** A stream that was never written: what reads and `streamInfo` see for an unknown id. */
export const EMPTY_STREAM: Readonly<StreamRecord> = {
  version: 0n,
  lastPosition: 0n,
  truncatedBefore: 0n,
  deleted: undefined,
  metadata: '{}',
  events: [],
};

export function toStreamInfo(streamId: string, s: StreamInfoParts): StreamInfo {
  return {
    streamId,
    version: s.version,
    truncatedBefore: s.truncatedBefore,
    deleted: s.deleted,
    metadata: JSON.parse(s.metadata) as StreamMetadata,
  };
}

/**
 * One page of a stream read: up to `count` retained events from version `from` in `direction`.
 * Retention hides a prefix of the stream (recordedAt never decreases with version), so the page
 * is a slice.
 */
export function streamPage(
  events: readonly StoredEvent[],
  retention: RetentionState,
  from: bigint,
  direction: 'forward' | 'backward',
  count: number,
  nowMs: number,
): StoredEvent[] {
  const first = events[0];
  if (first === undefined || count <= 0) return [];
  let lo = 0;
  while (lo < events.length && !isRetained(events[lo]!.version, events[lo]!.recordedAt, retention, nowMs)) lo++;
  const at = Number(from - first.version);
  if (direction === 'forward') {
    const start = Math.max(lo, at);
    return start >= events.length ? [] : events.slice(start, start + count);
  }
  const end = Math.min(events.length - 1, at);
  if (end < lo) return [];
  return events.slice(Math.max(lo, end - count + 1), end + 1).reverse();
}

/** Index of the first event with position >= `position` (log ascending by position). */
function lowerBound(log: readonly StoredEvent[], position: bigint): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.position < position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Position of the first event recorded at or after `timeMs` (recordedAt never decreases with position). */
export function firstPositionAt(log: readonly StoredEvent[], timeMs: number): bigint | undefined {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.recordedAt < timeMs) lo = mid + 1;
    else hi = mid;
  }
  return log[lo]?.position;
}

/** A predicate for readAll's filter; an empty list matches nothing (decision 0103). */
export function filterPredicate(filter: ReadAllFilter | undefined): (e: StoredEvent) => boolean {
  const types = filter?.types === undefined ? undefined : new Set(filter.types);
  const categories = filter?.categories === undefined ? undefined : new Set(filter.categories);
  return (e) =>
    (types === undefined || types.has(e.type)) && (categories === undefined || categories.has(categoryOf(e.streamId)));
}

/**
 * One page of a readAll: up to `count` events from position `from` in `direction` that match
 * `accept` and their stream's retention. `next` is where the following page starts, or
 * undefined when the log is exhausted.
 */
export function logPage(
  state: MemoryState,
  from: bigint,
  direction: 'forward' | 'backward',
  count: number,
  accept: (e: StoredEvent) => boolean,
  nowMs: number,
  stop?: (e: StoredEvent) => boolean,
  scanLimit = 4096,
): { events: StoredEvent[]; next: bigint | undefined } {
  const log = state.log;
  const out: StoredEvent[] = [];
  const step = direction === 'forward' ? 1 : -1;
  let i = direction === 'forward' ? lowerBound(log, from) : lowerBound(log, from + 1n) - 1;
  let scanned = 0;
  while (i >= 0 && i < log.length && out.length < count && scanned < scanLimit) {
    const e = log[i]!;
    if (stop?.(e) === true) return { events: out, next: undefined };
    const s = state.streams.get(e.streamId);
    if (accept(e) && s !== undefined && isRetained(e.version, e.recordedAt, s, nowMs)) out.push(e);
    i += step;
    scanned++;
  }
  const last = log[i - step];
  const done = i < 0 || i >= log.length;
  return { events: out, next: done || last === undefined ? undefined : last.position + BigInt(step) };
}
