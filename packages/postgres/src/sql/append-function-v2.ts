/**
 * FROZEN: the append function as migration 2 created it (migration 4 drops it; the batch
 * statement, sql/batch-append.ts, replaced it — decision 0310). Kept only so that migrating a
 * version-1 schema replays migration 2 exactly; never edit it.
 *
 * The append function: one call appends a whole group-commit batch in one round trip.
 *
 * Inputs are parallel arrays. Per append: stream, expected-version kind and value, event count,
 * category and stream hash (computed by the client, so the server evaluates no expression per
 * row). Per event, in append order: the index of its append (1-based), its 1-based index within
 * that append, then id, type, data, metadata, correlation and causation ids and schema version.
 * Per-event values that are the same for a whole append are read from the per-append arrays by
 * subscript rather than sent once per event (fewer bytes to encode, send and parse). Output is
 * one row per append with a status:
 *   1 appended (or an empty append that passed its check), 3 some event ids already stored (not
 *   written; r_detail lists them as JSON), 4 stream hard-deleted, 5 version conflict.
 *
 * Order of work, chosen to keep the head row's lock as short as possible: stream rows are locked
 * first (sorted, so concurrent batches cannot deadlock on them), ids and versions are checked
 * with the stream locks only, and the head row is updated last, immediately before the insert.
 * The head update is what serialises committing writers of the schema: a second writer waits on
 * it until the first commits, so positions are handed out in commit order and a rollback gives
 * its positions back (no holes).
 *
 * Cost (decision 0303): per call, a fixed number of statements whatever the batch size; the only
 * loop runs once per append (not per event). Every statement is planned once per connection
 * (`force_generic_plan`): re-planning each call cost more than the work itself for small appends.
 * A generic plan made while the tables are still tiny could pick a sequential scan and keep it as
 * they grow, so sequential scans are disabled inside the function: every lookup here is by key.
 *
 * Expected-version kinds: 0 any, 1 no-stream, 2 exists, 3 exact (p_expected).
 */
export function appendFunctionV2Sql(s: string): string {
  return `
create or replace function ${s}.append_batch(
  p_stream text[], p_kind smallint[], p_expected bigint[], p_count integer[],
  p_category text[], p_hash integer[], p_app integer[], p_k integer[],
  p_id uuid[], p_type text[], p_data text[], p_meta text[], p_corr text[], p_caus text[], p_schema integer[],
  p_now timestamptz, p_fast boolean
) returns table (r_status smallint, r_version bigint, r_position bigint, r_detail text)
language plpgsql
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
-- Disabling sequential scans inflates costs; never let that trigger JIT compilation (tens of ms).
set jit = off
as $fn$
begin
  if coalesce(array_length(p_stream, 1), 0) = 0 then return; end if;
  -- Fast path for the most common call, one append with events to an existing stream (outside a
  -- caller's transaction): everything in one statement. It writes only when the stream row is
  -- there, its check passes and none of the ids is stored; otherwise it writes nothing and the
  -- general path below answers. Its snapshot predates any wait for the stream lock, so an id
  -- committed meanwhile by the writer it waited for is not seen here: the insert then fails
  -- with unique_violation and the client calls again without the fast path (autocommit: the
  -- failed call left nothing). That is why a caller's transaction never uses it.
  if p_fast and array_length(p_stream, 1) = 1 and p_count[1] > 0 and p_kind[1] <> 1 and not (p_kind[1] = 3 and p_expected[1] = 0) then
    return query
      with s as (
        select t.version, t.deleted from ${s}.streams t where t.stream_id = p_stream[1] for update
      ), ok as (
        select s.version as v0 from s
          where s.deleted is distinct from 'hard'
            and case p_kind[1] when 0 then true when 2 then s.version > 0 and s.deleted is distinct from 'soft'
                  else s.version = p_expected[1] end
            and not exists (select 1 from ${s}.events x where x.event_id = any(p_id))
      ), h as (
        update ${s}.head set position = position + p_count[1], recorded_at = greatest(recorded_at, p_now)
          where id and exists (select 1 from ok)
          returning position - p_count[1] as h_base, recorded_at as h_ts
      ), ins as (
        insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                                 correlation_id, causation_id, schema_version, recorded_at)
          select h.h_base + e.u_k, e.u_id, p_stream[1], ok.v0 + e.u_k, p_category[1], p_hash[1],
                 e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, h.h_ts
            from h, ok, unnest(p_k, p_id, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
                 as e(u_k, u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
      ), upd as (
        update ${s}.streams t set version = ok.v0 + p_count[1], last_position = h.h_base + p_count[1], deleted = null
          from h, ok where t.stream_id = p_stream[1]
      )
      select 1::smallint, ok.v0 + p_count[1], h.h_base + p_count[1], null::text from h, ok;
    if found then return; end if;
  end if;

  -- The general path. Its variables live in this inner block so the fast path above does not
  -- pay for initialising them.
  declare
    n integer := coalesce(array_length(p_stream, 1), 0);
    s_id text[]; s_ver bigint[]; s_last bigint[]; s_del text[]; s_rel bigint[];
    x_id uuid[]; x_stream text[]; x_ver bigint[]; x_pos bigint[];
    st smallint[] := array_fill(0::smallint, array[n]);
    rv bigint[] := array_fill(0::bigint, array[n]);
    rp bigint[] := array_fill(0::bigint, array[n]);
    rd text[] := array_fill(null::text, array[n]);
    -- Per append, null-free so that subscripting them per event is O(1): the relative position
    -- before its first event (-1 when it writes nothing) and its version before its first event.
    a_rel bigint[] := array_fill(-1::bigint, array[n]);
    a_ver bigint[] := array_fill(0::bigint, array[n]);
    total bigint := 0; off integer := 0;
    i integer; j integer; k integer; m integer; cnt integer; cur bigint; del text;
    refs jsonb; pass boolean; found_all boolean; tried boolean := false;
  begin
    loop
      -- Missing streams get a version-0 row so that every writer, in every process, locks a row.
      -- Inserted before locking anything (in sorted order), so two batches creating overlapping
      -- streams cannot deadlock. A lone append locks only its one row, so it may lock first and
      -- insert only when the stream is new, saving a statement in the common case.
      if n > 1 or tried then
        insert into ${s}.streams (stream_id)
          select distinct u.u_s from unnest(p_stream) as u(u_s) order by 1
          on conflict (stream_id) do nothing;
      end if;
      tried := true;
      select array_agg(t.stream_id), array_agg(t.version), array_agg(t.last_position), array_agg(t.deleted)
        into s_id, s_ver, s_last, s_del
        from (select stream_id, version, last_position, deleted from ${s}.streams
              where stream_id = any(p_stream) order by stream_id for update) t;
      -- A stream may be new, or its blank row may vanish between the insert and the lock (another
      -- writer's clean-up below, after its append failed): then insert and lock again.
      found_all := s_id is not null;
      if found_all and n > 1 then
        for i in 1..n loop
          if array_position(s_id, p_stream[i]) is null then found_all := false; exit; end if;
        end loop;
      end if;
      exit when found_all;
    end loop;
    s_rel := array_fill(null::bigint, array[array_length(s_id, 1)]);

    select array_agg(e.event_id), array_agg(e.stream_id), array_agg(e.version), array_agg(e.position)
      into x_id, x_stream, x_ver, x_pos
      from ${s}.events e where e.event_id = any(p_id);

    for i in 1..n loop
      k := case when n = 1 then 1 else array_position(s_id, p_stream[i]) end;
      cur := s_ver[k]; del := s_del[k];
      cnt := p_count[i];
      if x_id is not null and cnt > 0 and del is distinct from 'hard' then
        -- Some ids are already stored: not written here. The caller decides between the original
        -- result and DuplicateEventError with the rule every store shares (resolveIdempotentAppend).
        refs := '[]';
        for j in 1..cnt loop
          m := array_position(x_id, p_id[off + j]);
          if m is not null then
            refs := refs || jsonb_build_array(jsonb_build_object('id', x_id[m], 'streamId', x_stream[m],
                                                                 'version', x_ver[m]::text, 'position', x_pos[m]::text));
          end if;
        end loop;
        if jsonb_array_length(refs) > 0 then st[i] := 3; rd[i] := refs::text; end if;
      end if;
      if st[i] = 0 then
        -- A soft-deleted stream counts as absent for 'no-stream' and 'exists' (versions continue).
        pass := case p_kind[i] when 0 then true when 1 then cur = 0 or del is not distinct from 'soft'
                  when 2 then cur > 0 and del is distinct from 'soft' else cur = p_expected[i] end;
        if del is not distinct from 'hard' then
          st[i] := 4;
        elsif not pass then
          st[i] := 5; rv[i] := cur;
        elsif cnt = 0 then
          st[i] := 1; rv[i] := cur; rp[i] := s_last[k];
        else
          -- Running versions: a later append to the same stream in this batch starts after this one.
          st[i] := 1; rv[i] := cur + cnt;
          a_rel[i] := total; a_ver[i] := cur;
          total := total + cnt;
          rp[i] := total;
          s_ver[k] := cur + cnt; s_rel[k] := total; s_del[k] := null;
        end if;
      end if;
      off := off + cnt;
    end loop;

    -- Rows created above only to be locked, for streams this batch writes nothing to (still at
    -- version 0 after it), are removed again. Done before the write below, which is why the
    -- streams are picked by their new version, not by the row's.
    if 0 = any(s_ver) then
      delete from ${s}.streams t
        where t.stream_id = any(array(select u.u_id from unnest(s_id, s_ver) as u(u_id, u_v) where u.u_v = 0))
          and t.version = 0 and t.deleted is null
          and t.metadata = '{}' and t.truncated_before = 0;
    end if;

    if total = 0 then
      return query
        select st[g.gi], rv[g.gi], rp[g.gi], rd[g.gi] from generate_series(1, n) as g(gi) order by g.gi;
      return;
    end if;
    -- One statement for the head, the events, the stream rows and the answer (each statement has a
    -- fixed cost that is most of a small append's). The ordering section starts at the head update
    -- and ends at COMMIT. The stream rows are already locked by this transaction, so this
    -- statement's snapshot, taken before it may wait for the head, sees them as they are.
    return query
      with h as (
        update ${s}.head set position = position + total, recorded_at = greatest(recorded_at, p_now)
          where id returning position - total as h_base, recorded_at as h_ts
      ), ins as (
        insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                                 correlation_id, causation_id, schema_version, recorded_at)
          select h.h_base + a_rel[e.u_app] + e.u_k, e.u_id, p_stream[e.u_app], a_ver[e.u_app] + e.u_k,
                 p_category[e.u_app], p_hash[e.u_app], e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, h.h_ts
            from h, unnest(p_app, p_k, p_id, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
                 as e(u_app, u_k, u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
            where a_rel[e.u_app] >= 0
      ), upd as (
        update ${s}.streams t set version = u.u_v, last_position = h.h_base + u.u_r, deleted = null
          from h, unnest(s_id, s_ver, s_rel) as u(u_id, u_v, u_r)
          where u.u_r is not null and t.stream_id = u.u_id
      )
      select st[g.gi], rv[g.gi], case when a_rel[g.gi] >= 0 then h.h_base + rp[g.gi] else rp[g.gi] end, rd[g.gi]
        from h, generate_series(1, n) as g(gi) order by g.gi;
  end;
end
$fn$;
`;
}
