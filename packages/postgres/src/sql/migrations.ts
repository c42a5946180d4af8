import { appendFunctionV2Sql } from './append-function-v2.js';
import { processingTablesSql } from './processing-tables.js';
import { parkedTimersSql, timerTablesSql } from './timer-tables.js';

/** Marks a schema as ours in the `tidings_store` row; anything else is refused, never migrated. */
export const STORE_KIND = 'tidings-event-store';

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** SQL for schema `s` (already quoted). Runs inside the migration transaction. */
  readonly sql: (s: string) => string;
}

/**
 * Every migration, in order. Never edit a released one: add the next. The code refuses a schema
 * whose version is above the last entry (written by newer code).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'head row, streams, events (append_batch() is created by migration 2)',
    sql: (s) => `
create table ${s}.head (
  id boolean primary key default true check (id),
  position bigint not null,
  recorded_at timestamptz not null
);
insert into ${s}.head (position, recorded_at) values (0, '-infinity');

create table ${s}.streams (
  stream_id text primary key,
  version bigint not null default 0,
  last_position bigint not null default 0,
  truncated_before bigint not null default 0,
  deleted text check (deleted in ('soft', 'hard')),
  metadata text not null default '{}',
  max_count bigint,
  max_age_ms bigint
);
create index streams_retention on ${s}.streams (stream_id) where max_count is not null or max_age_ms is not null;

-- data and metadata are JSON text, not jsonb: byte-exact round trips (key order, duplicate keys,
-- big numbers, "\\u0000" escapes that jsonb rejects) and no parse cost on the write path.
create table ${s}.events (
  position bigint primary key,
  event_id uuid not null unique,
  stream_id text not null,
  version bigint not null,
  category text not null generated always as (split_part(stream_id, '-', 1)) stored,
  stream_hash integer not null generated always as (('x' || substr(md5(stream_id), 1, 8))::bit(32)::integer) stored,
  type text not null,
  data text not null,
  metadata text not null,
  correlation_id text,
  causation_id text,
  schema_version integer not null,
  recorded_at timestamptz not null,
  unique (stream_id, version)
);
create index events_type on ${s}.events (type, position);
create index events_category on ${s}.events (category, position);
create index events_recorded_at on ${s}.events (recorded_at, position);
create index events_correlation on ${s}.events (correlation_id) where correlation_id is not null;
create index events_causation on ${s}.events (causation_id) where causation_id is not null;`,
  },
  {
    version: 2,
    description: 'category and stream_hash filled by the client; append_batch() planned once, with a fast path',
    // Decision 0303. DROP EXPRESSION keeps the values already stored and rewrites nothing. The
    // function's signature changed, so the old one is dropped rather than replaced.
    sql: (s) => `
alter table ${s}.events alter column category drop expression, alter column stream_hash drop expression;
drop function if exists ${s}.append_batch(text[], smallint[], bigint[], integer[], uuid[], text[], text[], text[],
  text[], text[], integer[], timestamptz);
${appendFunctionV2Sql(s)}`,
  },
  {
    version: 3,
    description: 'processing state: checkpoints, leases, parked events, inbox',
    sql: processingTablesSql,
  },
  {
    version: 4,
    description: 'appends are plain statements: append_batch() is dropped',
    // Decision 0310. Nothing stored changes: events keep their positions, streams their versions.
    // streams.last_position is no longer kept current by every append: the position an empty
    // append reports comes from the stream's last event, or from last_position when truncation or
    // deletion removed that event (they record it; it was exact when the old code wrote it).
    sql: (s) => `
drop function if exists ${s}.append_batch(text[], smallint[], bigint[], integer[], text[], integer[], integer[],
  integer[], uuid[], text[], text[], text[], text[], text[], integer[], timestamptz, boolean);`,
  },
  {
    version: 5,
    description: 'durable timers',
    sql: timerTablesSql,
  },
  {
    version: 6,
    description: 'parked timers',
    sql: parkedTimersSql,
  },
];

/** The store schema version this code writes; a schema above it is refused. */
export const CODE_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
