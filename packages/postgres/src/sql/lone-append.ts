/**
 * The lone-append statement: one append with events to an existing stream, outside a caller's
 * transaction (what a single writer does on nearly every call), as one plain SQL statement in
 * autocommit. It locks the stream row, checks the expected version (and, when the caller supplied
 * event ids, that none is stored), moves the head, inserts the events and updates the stream row.
 * It returns one row `(version, position)` when it wrote, and no row when it wrote nothing (new
 * stream, tombstone, version conflict, stored ids): the caller then asks `append_batch`, whose
 * general path gives the exact answer.
 *
 * Why a top-level statement and not the function's fast path (decision 0304): a PL/pgSQL call
 * with `SET` clauses and 17 array parameters cost about twice the server time of the same work as
 * a prepared statement with scalar parameters. Per-event values are scalars for a one-event
 * append and arrays (unnest) otherwise; per-append values are always scalars.
 *
 * Lock order is the same as everywhere: the stream row before the head. The statement's snapshot
 * predates any wait for the stream lock, so an id committed meanwhile by the writer it waited for
 * is not seen by the look-up; the insert then fails with `unique_violation` and, autocommit, the
 * failed statement left nothing behind (the caller retries through the general path).
 *
 * Parameters: $1 stream, $2 expected-version kind (0 any, 2 exists, 3 exact; never 1), $3 the
 * exact version, $4 category, $5 stream hash, $6 recorded-at candidate, then per event $7 id,
 * $8 type, $9 data, $10 metadata, $11 correlation id, $12 causation id, $13 schema version
 * (scalars when `single`, arrays otherwise).
 */
export function loneAppendSql(s: string, shape: { single: boolean; lookup: boolean }): string {
  const n = shape.single ? '1' : 'cardinality($7::uuid[])';
  const source = shape.single
    ? `(select 1 as u_k, $7::uuid as u_id, $8::text as u_type, $9::text as u_data, $10::text as u_meta,
             $11::text as u_corr, $12::text as u_caus, $13::integer as u_sv) e`
    : `unnest($7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::integer[])
         with ordinality as e(u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv, u_k)`;
  // Ids the store generated (fresh UUIDv7s) cannot be stored already: no look-up for them. The
  // unique index on event_id still refuses a collision, as a unique_violation.
  const lookup = !shape.lookup
    ? ''
    : `and not exists (select 1 from ${s}.events x where x.event_id ${shape.single ? '= $7::uuid' : '= any($7::uuid[])'})`;
  return `with s as (
  select t.version, t.deleted from ${s}.streams t where t.stream_id = $1 for update
), ok as (
  select s.version as v0 from s
   where s.deleted is distinct from 'hard'
     and case $2::smallint when 0 then true when 2 then s.version > 0 and s.deleted is distinct from 'soft'
           else s.version = $3::bigint end
     ${lookup}
), h as (
  update ${s}.head set position = position + ${n}, recorded_at = greatest(recorded_at, $6::timestamptz)
   where id and exists (select 1 from ok)
   returning position - ${n} as h_base, recorded_at as h_ts
), ins as (
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                           correlation_id, causation_id, schema_version, recorded_at)
  select h.h_base + e.u_k, e.u_id, $1, ok.v0 + e.u_k, $4, $5::integer, e.u_type, e.u_data, e.u_meta,
         e.u_corr, e.u_caus, e.u_sv, h.h_ts
    from h, ok, ${source}
), upd as (
  update ${s}.streams t set version = ok.v0 + ${n}, last_position = h.h_base + ${n}, deleted = null
    from h, ok where t.stream_id = $1
)
select (ok.v0 + ${n})::text as version, (h.h_base + ${n})::text as position from h, ok`;
}
