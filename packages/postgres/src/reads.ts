import type { PoolClient } from 'pg';
import type {
  DataCodec,
  Metadata,
  ReadAllFilter,
  ReadAllOptions,
  ReadByTimeOptions,
  RecordedEvent,
  StreamInfo,
  StreamMetadata,
  Upcast,
} from 'tidings';
import { assertReadAllOptions, assertReadByTimeOptions, assertReadByTypeArguments } from 'tidings/store-kit';
import { filterPlan } from './page-filter.js';

/** Runs one query on a configured connection (a pooled one, or the transaction's). */
export type WithClient = <R>(use: (client: PoolClient) => Promise<R>) => Promise<R>;

export interface ReadContext {
  readonly s: string;
  readonly codec: DataCodec | undefined;
  readonly upcast: Upcast | undefined;
  readonly pageSize: number;
  readonly now: () => number;
}

export interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  version: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: Date;
}

export const EVENT_COLUMNS =
  'e.position, e.event_id, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at';

export function toRecorded(row: EventRow, ctx: ReadContext): RecordedEvent {
  const metadata = JSON.parse(row.metadata) as Metadata;
  const raw: unknown = JSON.parse(row.data);
  const data =
    ctx.codec === undefined ? raw : ctx.codec.decode(raw, { type: row.type, streamId: row.stream_id, metadata });
  const event: RecordedEvent = {
    id: row.event_id,
    type: row.type,
    data,
    metadata,
    streamId: row.stream_id,
    version: BigInt(row.version),
    position: BigInt(row.position),
    recordedAt: row.recorded_at,
    occurredAt: row.recorded_at,
  };
  return ctx.upcast === undefined ? event : ctx.upcast(event);
}

/** One keyset read: where it starts, how it fetches a page, and the key its cursor follows. */
export interface PagedRead {
  readonly fetch: (cursor: bigint, n: number) => Promise<EventRow[]>;
  readonly start: bigint;
  readonly forward: boolean;
  readonly limit: number | undefined;
  readonly pageSize: number;
  readonly key: (row: EventRow) => bigint;
}

/**
 * Keyset pagination: each page starts after the last key of the previous one, so a long read
 * holds no cursor or transaction open and is never stalled by, or stalls, writers. `open` runs on
 * the first `next()` (validation errors surface on iteration, as in every store) and returns
 * undefined for a read that matches nothing; the caller returns this generator itself rather than
 * delegating to it (`yield*` costs a second promise per event).
 *
 * With `prefetch` (store-level reads on pooled connections; never a caller's transaction, whose
 * statements must run in the caller's order) the next page is requested as soon as a full page
 * has arrived, so the server reads it while this one is handed out. One page is in flight at a
 * time and the cursor is the one the read would use anyway (decision 0312).
 */
export async function* paged(
  open: () => Promise<PagedRead | undefined> | PagedRead | undefined,
  ctx: ReadContext,
  prefetch: boolean,
): AsyncGenerator<RecordedEvent> {
  const read = await open();
  if (read === undefined) return;
  const { fetch, forward, pageSize, key } = read;
  let remaining = read.limit ?? Number.POSITIVE_INFINITY;
  let cursor = read.start;
  let next: Promise<EventRow[]> | undefined;
  try {
    while (remaining > 0) {
      const n = Math.min(pageSize, remaining);
      const rows = await (next ?? fetch(cursor, n));
      next = undefined;
      remaining -= rows.length;
      const last = rows[rows.length - 1];
      const more = rows.length === n && last !== undefined && remaining > 0;
      if (more) {
        cursor = forward ? key(last) + 1n : key(last) - 1n;
        if (cursor < 0n) remaining = 0;
        else if (prefetch) next = fetch(cursor, Math.min(pageSize, remaining));
      }
      for (const row of rows) yield toRecorded(row, ctx);
      if (!more) return;
    }
  } finally {
    // Stopped early: a page still in flight finishes on its own and gives its connection back.
    void next?.catch(() => undefined);
  }
}

/**
 * Retention by stream metadata (`maxCount`, `maxAge`) hides events from `$all` reads too. The
 * check costs almost nothing when no stream uses retention (the common case): the uncorrelated
 * EXISTS runs once per page (an InitPlan over the small partial index `streams_retention`) and,
 * being false, short-circuits the OR; only otherwise is each row's stream looked up.
 */
function retentionClause(s: string, nowParam: string): string {
  return `(not exists (select 1 from ${s}.streams q where q.max_count is not null or q.max_age_ms is not null)
    or not exists (select 1 from ${s}.streams r where r.stream_id = e.stream_id
      and (r.max_count is not null or r.max_age_ms is not null)
      and ((r.max_count is not null and e.version <= r.version - r.max_count)
        or (r.max_age_ms is not null and e.recorded_at < ${nowParam} - r.max_age_ms * interval '1 millisecond'))))`;
}

export interface AllQuery {
  readonly forward: boolean;
  readonly filter: ReadAllFilter | undefined;
  readonly time?: { readonly from: Date; readonly to: Date } | undefined;
}

/** Builds the page query for `$all` reads; the SQL varies only with which filters are present. */
export function allPageQuery(
  ctx: ReadContext,
  q: AllQuery,
): (cursor: bigint, n: number) => { name?: string; text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length + 1}`;
  };
  const now = param(new Date(ctx.now()));
  const plan = filterPlan(q.filter, param);
  const where: string[] = [...plan.residual];
  if (q.time !== undefined)
    where.push(
      `e.recorded_at >= ${param(q.time.from)}::timestamptz and e.recorded_at < ${param(q.time.to)}::timestamptz`,
    );
  where.push(retentionClause(ctx.s, `${now}::timestamptz`));
  const order = `order by e.position ${q.forward ? 'asc' : 'desc'}`;
  // The limit is a literal (a number from this code): with a parameter, a generic plan assumes a
  // tenth of the table and its cost estimate is high enough to trigger JIT compilation (~10 ms a page).
  const select = (conditions: readonly string[], n: number): string => `select ${EVENT_COLUMNS} from ${ctx.s}.events e
    where e.position ${q.forward ? '>=' : '<='} $1 and ${conditions.join(' and ')}
    ${order} limit ${n}`;
  const text = (n: number): string => {
    if (plan.branches.length <= 1) return select([...plan.branches, ...where], n);
    // One limited page per value, merged: each reads its index range in position order.
    const union = plan.branches.map((branch) => `(${select([branch, ...where], n)})`).join('\n    union all ');
    return `select * from (${union}) e ${order} limit ${n}`;
  };
  // Full unfiltered pages (the hot path: catch-up, rebuilds, subscriptions) are a named statement,
  // planned once per connection: planning cost more than fetching 1,000 rows by the primary key.
  // Filtered ones are planned per page, so the planner can pick the index for the actual values.
  const name =
    where.length === 1 && plan.branches.length === 0
      ? `tidings_all_${q.forward ? 'fwd' : 'bwd'}_${ctx.pageSize}_${ctx.s.replace(/\W/g, '')}`
      : undefined;
  const full = text(ctx.pageSize);
  return (cursor, n) => {
    const args = [cursor.toString(), ...values];
    if (name !== undefined && n === ctx.pageSize) return { name, text: full, values: args };
    return { text: text(n), values: args };
  };
}

export interface StreamRow {
  stream_id: string;
  version: string;
  last_position: string;
  truncated_before: string;
  deleted: 'soft' | 'hard' | null;
  metadata: string;
  max_count: string | null;
  max_age_ms: string | null;
}

export function toStreamInfo(streamId: string, row: StreamRow | undefined): StreamInfo {
  if (row === undefined) return { streamId, version: 0n, truncatedBefore: 0n, deleted: undefined, metadata: {} };
  return {
    streamId,
    version: BigInt(row.version),
    truncatedBefore: BigInt(row.truncated_before),
    deleted: row.deleted ?? undefined,
    metadata: JSON.parse(row.metadata) as StreamMetadata,
  };
}

export interface StoreReadsDeps {
  readonly readContext: ReadContext;
  readonly withClient: WithClient;
  readonly assertOpen: () => void;
  /** Where a backward read starts when no `from` is given. */
  readonly headPosition: () => Promise<bigint>;
}

/** The store's global reads (`readAll`, `readByType`, `readByTime`), paged over pooled connections. */
export interface StoreReads {
  readonly readAll: (options?: ReadAllOptions) => AsyncGenerator<RecordedEvent>;
  readonly readByType: (
    types: readonly string[],
    options?: Omit<ReadAllOptions, 'filter'>,
  ) => AsyncGenerator<RecordedEvent>;
  readonly readByTime: (options: ReadByTimeOptions) => AsyncGenerator<RecordedEvent>;
}

export function storeReads(deps: StoreReadsDeps): StoreReads {
  const { readContext, withClient, assertOpen } = deps;
  const pageSize = readContext.pageSize;

  const byPosition = (r: EventRow): bigint => BigInt(r.position);

  // Validation errors surface on iteration, as in every store (paged runs `open` on the first next()).
  function readAll(options?: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    return paged(
      async () => {
        assertOpen();
        assertReadAllOptions(options);
        const forward = (options?.direction ?? 'forward') === 'forward';
        const filter = options?.filter;
        // An empty list matches nothing (the shared rule).
        if (filter?.types?.length === 0 || filter?.categories?.length === 0) return undefined;
        const start = options?.from ?? (forward ? 0n : await deps.headPosition());
        const page = allPageQuery(readContext, { forward, filter });
        const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
          withClient(async (c) => (await c.query<EventRow>(page(cursor, n))).rows);
        return { fetch, start, forward, limit: options?.limit, pageSize, key: byPosition };
      },
      readContext,
      true,
    );
  }

  async function* readByType(
    types: readonly string[],
    options?: Omit<ReadAllOptions, 'filter'>,
  ): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadByTypeArguments(types, options);
    yield* readAll({ ...options, filter: { types } });
  }

  function readByTime(options: ReadByTimeOptions): AsyncGenerator<RecordedEvent> {
    return paged(
      () => {
        assertOpen();
        assertReadByTimeOptions(options);
        const filter = options.filter;
        if (filter?.types?.length === 0 || filter?.categories?.length === 0) return undefined;
        const page = allPageQuery(readContext, { forward: true, filter, time: { from: options.from, to: options.to } });
        const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
          withClient(async (c) => (await c.query<EventRow>(page(cursor, n))).rows);
        return { fetch, start: 0n, forward: true, limit: options.limit, pageSize, key: byPosition };
      },
      readContext,
      true,
    );
  }

  return { readAll, readByType, readByTime };
}
