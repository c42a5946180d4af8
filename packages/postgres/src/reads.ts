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

/**
 * Keyset pagination: each page starts after the last key of the previous one, so a long read
 * holds no cursor or transaction open and is never stalled by, or stalls, writers.
 */
export async function* paged(
  fetch: (cursor: bigint, n: number) => Promise<EventRow[]>,
  start: bigint,
  forward: boolean,
  limit: number | undefined,
  pageSize: number,
  key: (row: EventRow) => bigint,
  ctx: ReadContext,
): AsyncGenerator<RecordedEvent> {
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  let cursor = start;
  while (remaining > 0) {
    const n = Math.min(pageSize, remaining);
    const rows = await fetch(cursor, n);
    for (const row of rows) yield toRecorded(row, ctx);
    remaining -= rows.length;
    const last = rows[rows.length - 1];
    if (rows.length < n || last === undefined) return;
    cursor = forward ? key(last) + 1n : key(last) - 1n;
    if (cursor < 0n) return;
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

  // Validation errors surface on iteration, as in every store.
  async function* readAll(options?: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadAllOptions(options);
    const forward = (options?.direction ?? 'forward') === 'forward';
    const filter = options?.filter;
    // An empty list matches nothing (the shared rule).
    if (filter?.types?.length === 0 || filter?.categories?.length === 0) return;
    const start = options?.from ?? (forward ? 0n : await deps.headPosition());
    const page = allPageQuery(readContext, { forward, filter });
    const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
      withClient(async (c) => (await c.query<EventRow>(page(cursor, n))).rows);
    yield* paged(fetch, start, forward, options?.limit, pageSize, (r) => BigInt(r.position), readContext);
  }

  async function* readByType(
    types: readonly string[],
    options?: Omit<ReadAllOptions, 'filter'>,
  ): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadByTypeArguments(types, options);
    yield* readAll({ ...options, filter: { types } });
  }

  async function* readByTime(options: ReadByTimeOptions): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadByTimeOptions(options);
    const filter = options.filter;
    if (filter?.types?.length === 0 || filter?.categories?.length === 0) return;
    const page = allPageQuery(readContext, { forward: true, filter, time: { from: options.from, to: options.to } });
    const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
      withClient(async (c) => (await c.query<EventRow>(page(cursor, n))).rows);
    yield* paged(fetch, 0n, true, options.limit, pageSize, (r) => BigInt(r.position), readContext);
  }

  return { readAll, readByType, readByTime };
}
