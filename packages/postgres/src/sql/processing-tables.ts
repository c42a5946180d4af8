/**
 * The processing state beside the events (decision 0620): checkpoints, leases, parked events and
 * the inbox, for schema `s` (already quoted). Positions, versions and epochs are bigint like the
 * events'; the parked error is JSON text, not jsonb, so every serialized error is stored as given.
 */
export function processingTablesSql(s: string): string {
  return `
create table ${s}.checkpoints (
  processor text not null,
  partition integer not null,
  position bigint not null,
  epoch bigint not null,
  updated_at timestamptz not null,
  primary key (processor, partition)
);

-- Timed by the database clock (clock_timestamp()). owner '' once released (or before the first
-- holder): the row keeps the epoch, so the next holder gets a higher one.
create table ${s}.leases (
  processor text not null,
  partition integer not null,
  owner text not null,
  epoch bigint not null,
  expires_at timestamptz not null,
  primary key (processor, partition)
);

create table ${s}.parked (
  id text primary key,
  processor text not null,
  partition integer not null,
  event_id text not null,
  position bigint not null,
  stream_id text not null,
  version bigint not null,
  type text not null,
  error text not null,
  attempts bigint not null,
  first_failed_at timestamptz not null,
  last_failed_at timestamptz not null,
  blocking boolean not null,
  unique (processor, event_id)
);
create index parked_position on ${s}.parked (position, id collate "C");

create table ${s}.inbox (
  processor text not null,
  event_id text not null,
  position bigint not null,
  primary key (processor, event_id)
);
-- Pruning at the checkpoint deletes by (processor, position).
create index inbox_position on ${s}.inbox (processor, position);`;
}
