/**
 * The lone-append statement: one append with events to an existing stream, outside a caller's
 * transaction (what a single writer does on nearly every call), as one plain SQL statement in
 * autocommit. Its first step is the stream row's update, which is also its version check and its
 * lock: `update streams set version = version + n where stream_id = $1 and <check>` (and, when
 * the caller supplied event ids, none of them stored). Only if that row was updated does it move
 * the head and insert the events. It returns one row `(version, position)` when it wrote, and no
 * row when it wrote nothing (new stream, tombstone, version conflict, stored ids): the caller then
 * runs the batch statement, which gives the exact answer.
 *
 * Why this shape (decisions 0304, 0310): a prepared statement with scalar parameters costs about
 * half the server time of the PL/pgSQL function it replaced, and checking the version in the
 * update itself writes the stream row once (one WAL record) instead of locking it (`for update`,
 * a WAL record) and updating it later in the statement (another). What it no longer writes is the
 * stream's `last_position`: the batch statement derives the position an empty append reports from
 * the stream's last event (decision 0310). Per-event values are scalars for a one-event append
 * and arrays (unnest) otherwise; per-append values are always scalars.
 *
 * Lock order is the same as everywhere: the stream row before the head. When another writer
 * holds the stream row, the update waits and then re-checks its condition on the row as that
 * writer left it (READ COMMITTED), so the version check is exact; the id look-up is not re-run:
 * its snapshot predates the wait, so an id committed meanwhile by that writer makes the insert
 * fail with `unique_violation`, and, autocommit, the failed statement left nothing behind (the
 * caller then runs the batch statement, which looks the ids up with a new snapshot).
 *
 * Parameters: $1 stream, $2 expected-version kind (0 any, 2 exists, 3 exact; never 1), $3 the
 * exact version, $4 category, $5 stream hash, $6 recorded-at candidate, then per event $7 id,
 * $8 type, $9 data, $10 metadata, $11 correlation id, $12 causation id, $13 schema version
 * (scalars when `single`, arrays otherwise; only $7–$10 when `plain`).
 *
 * `noListener`, when given, is the listener test of listener-lock.ts: the row then also says
 * (`quiet`) whether the commit needs no NOTIFY (decision 0312).
 */
export function loneAppendSql(
  s: string,
  shape: { single: boolean; lookup: boolean; plain?: boolean },
  noListener?: string,
): string {
  const n = shape.single ? '1' : 'cardinality($7::uuid[])';
  // `plain` (several events, none with a correlation or causation id, all at schema version 1, the
  // usual case): those three arrays are not sent, saving their encoding and parsing per event.
  const source = shape.single
    ? `(select 1 as u_k, $7::uuid as u_id, $8::text as u_type, $9::text as u_data, $10::text as u_meta,
             $11::text as u_corr, $12::text as u_caus, $13::integer as u_sv) e`
    : shape.plain === true
      ? `(select u.*, null::text as u_corr, null::text as u_caus, 1 as u_sv
            from unnest($7::uuid[], $8::text[], $9::text[], $10::text[]) with ordinality as u(u_id, u_type, u_data, u_meta, u_k)) e`
      : `unnest($7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::integer[])
         with ordinality as e(u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv, u_k)`;
  // Ids the store generated (fresh UUIDv7s) cannot be stored already: no look-up for them. The
  // unique index on event_id still refuses a collision, as a unique_violation.
  const lookup = !shape.lookup
    ? ''
    : `and not exists (select 1 from ${s}.events x where x.event_id ${shape.single ? '= $7::uuid' : '= any($7::uuid[])'})`;
  return `with st as (
  update ${s}.streams t set version = t.version + ${n}, deleted = null
   where t.stream_id = $1 and t.deleted is distinct from 'hard'
     and case $2::smallint when 0 then true when 2 then t.version > 0 and t.deleted is distinct from 'soft'
           else t.version = $3::bigint end
     ${lookup}
   returning t.version - ${n} as v0
), h as (
  update ${s}.head set position = position + ${n}, recorded_at = greatest(recorded_at, $6::timestamptz)
   where id and exists (select 1 from st)
   returning position - ${n} as h_base, recorded_at as h_ts
), ins as (
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                           correlation_id, causation_id, schema_version, recorded_at)
  select h.h_base + e.u_k, e.u_id, $1, st.v0 + e.u_k, $4, $5::integer, e.u_type, e.u_data, e.u_meta,
         e.u_corr, e.u_caus, e.u_sv, h.h_ts
    from h, st, ${source}
)
select (st.v0 + ${n})::text as version, (h.h_base + ${n})::text as position${noListener === undefined ? '' : `, ${noListener} as quiet`} from h, st`;
}
