/**
 * The append function: one call appends a whole group-commit batch in one round trip.
 *
 * Inputs are parallel arrays: per append (stream, expected-version kind and value, event count)
 * and per event, in append order. Output is one row per append with a status:
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
 * Expected-version kinds: 0 any, 1 no-stream, 2 exists, 3 exact (p_expected).
 */
export function appendFunctionSql(s: string): string {
  return `
create or replace function ${s}.append_batch(
  p_stream text[], p_kind smallint[], p_expected bigint[], p_count integer[],
  p_id uuid[], p_type text[], p_data text[], p_meta text[], p_corr text[], p_caus text[], p_schema integer[],
  p_now timestamptz
) returns table (r_status smallint, r_version bigint, r_position bigint, r_detail text)
language plpgsql
-- PL/pgSQL switches to generic plans after five calls; for these array-driven statements the
-- generic plans were measured 8-10x slower on 100-event appends. Plan every call for its arrays.
set plan_cache_mode = force_custom_plan
as $fn$
declare
  n integer := coalesce(array_length(p_stream, 1), 0);
  s_id text[]; s_ver bigint[]; s_last bigint[]; s_del text[]; s_rel bigint[];
  x_id uuid[]; x_stream text[]; x_ver bigint[]; x_pos bigint[];
  st smallint[] := array_fill(0::smallint, array[n]);
  rv bigint[] := array_fill(0::bigint, array[n]);
  rp bigint[] := array_fill(0::bigint, array[n]);
  rd text[] := array_fill(null::text, array[n]);
  rrel boolean[] := array_fill(false, array[n]);
  n_ev integer := coalesce(array_length(p_id, 1), 0);
  -- Per event: relative position (0 = not written), version, stream. Filled element by element
  -- (O(1) on plpgsql's expanded arrays) so the insert below reads every input array once, via
  -- unnest, instead of subscripting large text arrays per row.
  ev_rel bigint[] := array_fill(0::bigint, array[greatest(n_ev, 1)]);
  ev_ver bigint[] := array_fill(0::bigint, array[greatest(n_ev, 1)]);
  ev_stream text[] := array_fill(null::text, array[greatest(n_ev, 1)]);
  sid text;
  total bigint := 0; off integer := 0; base bigint := 0; ts timestamptz;
  i integer; j integer; k integer; m integer; cnt integer; cur bigint;
  refs jsonb; pass boolean;
begin
  if n = 0 then return; end if;
  -- Missing streams get a version-0 row so that every writer, in every process, locks a row.
  insert into ${s}.streams (stream_id)
    select distinct u.u_s from unnest(p_stream) as u(u_s) order by 1
    on conflict (stream_id) do nothing;
  select array_agg(t.stream_id order by t.stream_id), array_agg(t.version order by t.stream_id),
         array_agg(t.last_position order by t.stream_id), array_agg(t.deleted order by t.stream_id)
    into s_id, s_ver, s_last, s_del
    from (select stream_id, version, last_position, deleted from ${s}.streams
          where stream_id = any(p_stream) order by stream_id for update) t;
  s_rel := array_fill(null::bigint, array[array_length(s_id, 1)]);

  select array_agg(e.event_id), array_agg(e.stream_id), array_agg(e.version), array_agg(e.position)
    into x_id, x_stream, x_ver, x_pos
    from ${s}.events e where e.event_id = any(p_id);

  for i in 1..n loop
    k := array_position(s_id, p_stream[i]);
    cur := s_ver[k];
    cnt := p_count[i];
    if x_id is not null and cnt > 0 and s_del[k] is distinct from 'hard' then
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
      pass := case p_kind[i] when 0 then true when 1 then cur = 0 or s_del[k] is not distinct from 'soft'
                when 2 then cur > 0 and s_del[k] is distinct from 'soft' else cur = p_expected[i] end;
      if s_del[k] is not distinct from 'hard' then
        st[i] := 4;
      elsif not pass then
        st[i] := 5; rv[i] := cur;
      elsif cnt = 0 then
        st[i] := 1; rv[i] := cur; rp[i] := s_last[k];
      else
        st[i] := 1; rv[i] := cur + cnt; rrel[i] := true;
        sid := p_stream[i];
        for j in 1..cnt loop
          ev_rel[off + j] := total + j; ev_ver[off + j] := cur + j; ev_stream[off + j] := sid;
        end loop;
        total := total + cnt;
        rp[i] := total;
        s_ver[k] := cur + cnt; s_rel[k] := total; s_del[k] := null;
      end if;
    end if;
    off := off + cnt;
  end loop;

  if total > 0 then
    -- The ordering section starts here and ends at COMMIT.
    update ${s}.head set position = position + total, recorded_at = greatest(recorded_at, p_now)
      returning position - total, recorded_at into base, ts;
    insert into ${s}.events (position, event_id, stream_id, version, type, data, metadata,
                             correlation_id, causation_id, schema_version, recorded_at)
      select base + e.u_rel, e.u_id, e.u_stream, e.u_ver, e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, ts
        from unnest(ev_rel, p_id, ev_stream, ev_ver, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
             as e(u_rel, u_id, u_stream, u_ver, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
        where e.u_rel > 0
        order by e.u_rel;
    update ${s}.streams t set version = u.u_v, last_position = base + u.u_r, deleted = null
      from unnest(s_id, s_ver, s_rel) as u(u_id, u_v, u_r)
      where u.u_r is not null and t.stream_id = u.u_id;
  end if;
  -- Rows created above only to be locked, for appends that wrote nothing, are removed again.
  if 0 = any(s_ver) then
    delete from ${s}.streams t
      where t.stream_id = any(s_id) and t.version = 0 and t.deleted is null
        and t.metadata = '{}' and t.truncated_before = 0;
  end if;

  return query
    select st[g.gi], rv[g.gi], case when rrel[g.gi] then base + rp[g.gi] else rp[g.gi] end, rd[g.gi]
      from generate_series(1, n) as g(gi) order by g.gi;
end
$fn$;
`;
}
