/**
 * The batch statement: one group-commit batch, any number of appends to any streams, as one
 * set-based SQL statement (decision 0310; it replaced the PL/pgSQL `append_batch`, whose function
 * entry, `SET` clauses, loop and `RETURN QUERY` were about 40% of a batch's server time).
 *
 * Parameters. Per append (arrays of the batch's length, in batch order): $1 stream, $2 expected
 * kind (0 any, 1 no-stream, 2 exists, 3 exact), $3 exact version (null otherwise), $4 event count,
 * $5 `j` — its rank among the batch's appends to the same stream (1 for the first), computed by
 * the client, $6 category, $7 stream hash, $8 `off` — the events of all earlier appends of the
 * batch (where this append's events start in the event arrays). Per event (in append order): $9 id, $10 type, $11
 * data, $12 metadata, $13 correlation id, $14 causation id, $15 schema version, $16 the index of
 * its append (1-based). Then $17 the recorded-at candidate and $18 the ids to look up (the ids the
 * caller supplied; ids the store generated cannot be stored already, and the unique index still
 * guards them).
 *
 * Several appends to one stream in one batch get running versions: each is checked against the
 * state the earlier ones left (a recursive step per rank `j`; an earlier one that failed left the
 * state unchanged), so one conflict fails only its caller and the others are decided exactly, in
 * the same transaction.
 *
 * Outcome per append, one row each in batch order (`status, version, position, detail`):
 *   1 written, or an empty append that passed (version and position of its last event, or the
 *     stream's current ones for an empty append);
 *   3 some ids already stored: nothing written, `detail` lists them (JSON) for the shared
 *     idempotency rule (`resolveIdempotentAppend`);
 *   4 the stream is hard-deleted;
 *   5 version conflict (`version` is the stream's version at that point of the batch).
 *
 * Order of locks, the same in every writer: the existing stream rows of the batch, in sorted
 * order (`order by … for update` locks in sort order), then the head row — its update needs the
 * total of passing events, an aggregate over the locked rows, so every stream lock is held first —
 * then new stream rows (inserted last; only the head holder can insert them, so two batches never
 * wait on each other's new rows). The head row serialises committing writers of the schema:
 * positions are handed out in commit order and a rollback gives them back (decision 0300).
 *
 * One statement has one snapshot, taken before it waits for any lock. Two consequences, both
 * answered by a unique violation that leaves nothing behind (autocommit) and a retry of the
 * statement with a new snapshot: a stream created by another writer while this one waited looks
 * new here and its insert collides (`streams_pkey`); an id committed meanwhile by the writer this
 * one waited for is missed by the look-up and its insert collides (`events_event_id_key`). Inside
 * a caller's transaction that collision would abort the caller's work, so there the stream rows
 * are locked (and created) first by a statement of their own (`lockStreamsSql`), and this one then
 * only finds existing rows under locks it already holds, with a snapshot taken after.
 *
 * Stream rows that exist only because `lockStreamsSql` created them and that the batch did not
 * write to (a failed append to a new stream) are removed, so a failed append leaves nothing.
 */
export function batchAppendSql(s: string): string {
  // The outcome of one append, given the stream's state before it (v: version, del: deletion mark).
  const status = (v: string, del: string): string => `case when ${del} is not distinct from 'hard' then 4
      when m.stored then 3
      when case m.kind when 0 then true
             when 1 then ${v} = 0 or ${del} is not distinct from 'soft'
             when 2 then ${v} > 0 and ${del} is distinct from 'soft'
             else ${v} = m.expected end then 1
      else 5 end`;
  return `with recursive a as (
  select * from unnest($1::text[], $2::smallint[], $3::bigint[], $4::integer[], $5::integer[], $6::text[], $7::integer[], $8::integer[])
    with ordinality as a(stream, kind, expected, cnt, j, category, hash, off, i)
), s as (
  select t.stream_id, t.version, t.last_position, t.deleted from ${s}.streams t
   where t.stream_id = any($1::text[]) order by t.stream_id for update
), x as (
  select x.event_id, x.stream_id, x.version, x.position from ${s}.events x where x.event_id = any($18::uuid[])
), xa as (
  select distinct u.app from x join unnest($9::uuid[], $16::integer[]) as u(id, app) on u.id = x.event_id
), m as (
  select a.*, exists (select 1 from xa where xa.app = a.i) as stored from a
), chain as (
  -- Each stream's appends in batch order (j), each checked against the state the earlier ones
  -- left: one step per append to the same stream, usually just the first.
  select m.i, m.stream, m.j, m.cnt, coalesce(s.version, 0) as v, s.deleted as del,
         ${status('coalesce(s.version, 0)', 's.deleted')} as status,
         s.stream_id is not null as existing, s.last_position as last0
    from m left join s on s.stream_id = m.stream where m.j = 1
  union all
  select m.i, m.stream, m.j, m.cnt, n.v, n.del, ${status('n.v', 'n.del')}, c.existing, c.last0
    from chain c
    join m on m.stream = c.stream and m.j = c.j + 1
    cross join lateral (select c.v + case when c.status = 1 then c.cnt else 0 end as v,
                               case when c.status = 1 and c.cnt > 0 then null else c.del end as del) n
), w as (
  select c.i, c.stream, c.cnt, c.v, c.existing, a.off, a.category, a.hash,
         sum(c.cnt) over (order by c.i) - c.cnt as rel
    from chain c join a on a.i = c.i where c.status = 1 and c.cnt > 0
), h as (
  update ${s}.head set position = position + (select sum(w.cnt) from w), recorded_at = greatest(recorded_at, $17::timestamptz)
   where id and exists (select 1 from w)
   returning position - (select sum(w.cnt) from w) as base, recorded_at as ts
), ins as (
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                           correlation_id, causation_id, schema_version, recorded_at)
  select h.base + w.rel + (e.ord - w.off), e.id, w.stream, w.v + (e.ord - w.off), w.category, w.hash,
         e.type, e.data, e.meta, e.corr, e.caus, e.sv, h.ts
    from h, unnest($9::uuid[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::integer[])
           with ordinality as e(id, type, data, meta, corr, caus, sv, app, ord)
    join w on w.i = e.app
), f as (
  select w.stream, bool_or(w.existing) as existing, max(w.v + w.cnt) as version, max(w.rel + w.cnt) as last_rel
    from w group by w.stream
), upd as (
  update ${s}.streams t set version = f.version, last_position = h.base + f.last_rel, deleted = null
    from h, f where f.existing and t.stream_id = f.stream
), created as (
  insert into ${s}.streams (stream_id, version, last_position)
  select f.stream, f.version, h.base + f.last_rel from h, f where not f.existing order by f.stream
), blank as (
  delete from ${s}.streams t using s
   where t.stream_id = s.stream_id and s.version = 0 and s.deleted is null
     and not exists (select 1 from f where f.stream = s.stream_id)
     and t.metadata = '{}' and t.truncated_before = 0 and t.max_count is null and t.max_age_ms is null
), r as (
  -- An empty append reports the position of its stream's last event, which may be one an earlier
  -- append of this batch wrote.
  select c.i, c.status, c.v, c.cnt, c.last0, w.rel,
         max(w.rel + w.cnt) over (partition by c.stream order by c.i rows between unbounded preceding and 1 preceding)
           as prior_rel
    from chain c left join w on w.i = c.i
)
select r.status,
       case when r.status = 1 then r.v + r.cnt when r.status = 5 then r.v end as version,
       case when r.status <> 1 then null
            when r.cnt > 0 then (select h.base from h) + r.rel + r.cnt
            when r.prior_rel is not null then (select h.base from h) + r.prior_rel
            else coalesce(r.last0, 0) end as position,
       case when r.status = 3 then
         (select json_agg(json_build_array(x.event_id, x.stream_id, x.version::text, x.position::text))
            from x, unnest($9::uuid[], $16::integer[]) as u(id, app) where u.app = r.i and x.event_id = u.id)::text
       end as detail
  from r order by r.i`;
}

/**
 * Inside a caller's transaction, before the batch statement: locks the batch's stream rows in
 * sorted order, creating missing ones (blank, version 0), so that the batch statement, whose
 * snapshot is taken after, finds every row and sees every id committed by a writer it waited for.
 * `do update` (not `do nothing`) because only it locks a row committed after this statement's
 * snapshot. $1: the batch's streams.
 */
export function lockStreamsSql(s: string): string {
  return `insert into ${s}.streams as t (stream_id)
  select distinct u.stream from unnest($1::text[]) as u(stream) order by 1
  on conflict (stream_id) do update set stream_id = t.stream_id`;
}
