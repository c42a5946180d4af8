--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: __schema__; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA __schema__;


--
-- Name: append_batch(text[], smallint[], bigint[], integer[], text[], integer[], integer[], integer[], uuid[], text[], text[], text[], text[], text[], integer[], timestamp with time zone, boolean); Type: FUNCTION; Schema: __schema__; Owner: -
--

CREATE FUNCTION __schema__.append_batch(p_stream text[], p_kind smallint[], p_expected bigint[], p_count integer[], p_category text[], p_hash integer[], p_app integer[], p_k integer[], p_id uuid[], p_type text[], p_data text[], p_meta text[], p_corr text[], p_caus text[], p_schema integer[], p_now timestamp with time zone, p_fast boolean) RETURNS TABLE(r_status smallint, r_version bigint, r_position bigint, r_detail text)
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET jit TO 'off'
    AS $$
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
        select t.version, t.deleted from "__schema__".streams t where t.stream_id = p_stream[1] for update
      ), ok as (
        select s.version as v0 from s
          where s.deleted is distinct from 'hard'
            and case p_kind[1] when 0 then true when 2 then s.version > 0 and s.deleted is distinct from 'soft'
                  else s.version = p_expected[1] end
            and not exists (select 1 from "__schema__".events x where x.event_id = any(p_id))
      ), h as (
        update "__schema__".head set position = position + p_count[1], recorded_at = greatest(recorded_at, p_now)
          where id and exists (select 1 from ok)
          returning position - p_count[1] as h_base, recorded_at as h_ts
      ), ins as (
        insert into "__schema__".events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                                 correlation_id, causation_id, schema_version, recorded_at)
          select h.h_base + e.u_k, e.u_id, p_stream[1], ok.v0 + e.u_k, p_category[1], p_hash[1],
                 e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, h.h_ts
            from h, ok, unnest(p_k, p_id, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
                 as e(u_k, u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
      ), upd as (
        update "__schema__".streams t set version = ok.v0 + p_count[1], last_position = h.h_base + p_count[1], deleted = null
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
        insert into "__schema__".streams (stream_id)
          select distinct u.u_s from unnest(p_stream) as u(u_s) order by 1
          on conflict (stream_id) do nothing;
      end if;
      tried := true;
      select array_agg(t.stream_id), array_agg(t.version), array_agg(t.last_position), array_agg(t.deleted)
        into s_id, s_ver, s_last, s_del
        from (select stream_id, version, last_position, deleted from "__schema__".streams
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
      from "__schema__".events e where e.event_id = any(p_id);

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
      delete from "__schema__".streams t
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
        update "__schema__".head set position = position + total, recorded_at = greatest(recorded_at, p_now)
          where id returning position - total as h_base, recorded_at as h_ts
      ), ins as (
        insert into "__schema__".events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                                 correlation_id, causation_id, schema_version, recorded_at)
          select h.h_base + a_rel[e.u_app] + e.u_k, e.u_id, p_stream[e.u_app], a_ver[e.u_app] + e.u_k,
                 p_category[e.u_app], p_hash[e.u_app], e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, h.h_ts
            from h, unnest(p_app, p_k, p_id, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
                 as e(u_app, u_k, u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
            where a_rel[e.u_app] >= 0
      ), upd as (
        update "__schema__".streams t set version = u.u_v, last_position = h.h_base + u.u_r, deleted = null
          from h, unnest(s_id, s_ver, s_rel) as u(u_id, u_v, u_r)
          where u.u_r is not null and t.stream_id = u.u_id
      )
      select st[g.gi], rv[g.gi], case when a_rel[g.gi] >= 0 then h.h_base + rp[g.gi] else rp[g.gi] end, rd[g.gi]
        from h, generate_series(1, n) as g(gi) order by g.gi;
  end;
end
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: events; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.events (
    "position" bigint NOT NULL,
    event_id uuid NOT NULL,
    stream_id text NOT NULL,
    version bigint NOT NULL,
    category text NOT NULL,
    stream_hash integer NOT NULL,
    type text NOT NULL,
    data text NOT NULL,
    metadata text NOT NULL,
    correlation_id text,
    causation_id text,
    schema_version integer NOT NULL,
    recorded_at timestamp with time zone NOT NULL
);


--
-- Name: head; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.head (
    id boolean DEFAULT true NOT NULL,
    "position" bigint NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    CONSTRAINT head_id_check CHECK (id)
);


--
-- Name: streams; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.streams (
    stream_id text NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    last_position bigint DEFAULT 0 NOT NULL,
    truncated_before bigint DEFAULT 0 NOT NULL,
    deleted text,
    metadata text DEFAULT '{}'::text NOT NULL,
    max_count bigint,
    max_age_ms bigint,
    CONSTRAINT streams_deleted_check CHECK ((deleted = ANY (ARRAY['soft'::text, 'hard'::text])))
);


--
-- Name: tidings_store; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.tidings_store (
    id boolean DEFAULT true NOT NULL,
    kind text NOT NULL,
    schema_version integer NOT NULL,
    store_id uuid DEFAULT gen_random_uuid() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tidings_store_id_check CHECK (id)
);


--
-- Data for Name: events; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.events VALUES (1, '01a21491-04a7-7178-afcb-07be87d58ff9', 'order-1', 1, 'order', 1853851049, 'order.placed', '{"total":30}', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.965+00');
INSERT INTO __schema__.events VALUES (2, '01a21491-04a9-75e8-bd63-acb5eb3208eb', 'order-1', 2, 'order', 1853851049, 'order.line-added', '{"sku":"a","n":1}', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.965+00');
INSERT INTO __schema__.events VALUES (3, '01a21491-04a9-75e9-be50-523063696478', 'order-2', 1, 'order', 411671933, 'order.placed', '{"total":12.5,"note":"ünïcødé ✓ \"quoted\" \\ back"}', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.965+00');
INSERT INTO __schema__.events VALUES (4, '01a21491-04a9-75ea-a7a4-6ae27e501889', 'order-1', 3, 'order', 1853851049, 'order.paid', '{"at":"2026-01-01T00:00:00Z"}', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.965+00');
INSERT INTO __schema__.events VALUES (5, '01a21491-04a9-75eb-8822-52a7a03dca89', 'cart-9', 1, 'cart', 2070064031, 'cart.opened', 'null', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.965+00');
INSERT INTO __schema__.events VALUES (6, '0190a0a0-0000-7000-8000-000000000001', 'order-2', 2, 'order', 411671933, 'order.paid', '{"big":12345678901234567000}', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.989+00');
INSERT INTO __schema__.events VALUES (7, '0190a0a0-0000-7000-8000-000000000002', 'order-2', 3, 'order', 411671933, 'order.shipped', '{"carrier":"x"}', '{"correlationId":"corr-1","causationId":"cause-1","schemaVersion":2,"user":"u"}', 'corr-1', 'cause-1', 2, '2026-11-25 21:16:17.989+00');
INSERT INTO __schema__.events VALUES (8, '01a21491-04cb-71d8-bbc2-01c613d2f14b', 'ledger-1', 1, 'ledger', -1064535870, 'ledger.opened', '{"by":"tx"}', '{}', NULL, NULL, 1, '2026-11-25 21:16:17.995+00');
INSERT INTO __schema__.events VALUES (9, '01a21491-04d4-76f0-9e57-c9b0f216c50a', 'log-1', 1, 'log', -1845692293, 'log.line', '{"i":0}', '{}', NULL, NULL, 1, '2026-11-25 21:16:18.004+00');
INSERT INTO __schema__.events VALUES (10, '01a21491-04da-7420-8401-06f595f2c7e4', 'log-1', 2, 'log', -1845692293, 'log.line', '{"i":1}', '{}', NULL, NULL, 1, '2026-11-25 21:16:18.01+00');
INSERT INTO __schema__.events VALUES (11, '01a21491-04e8-73a0-b417-47d9dd180802', 'log-1', 3, 'log', -1845692293, 'log.line', '{"i":2}', '{}', NULL, NULL, 1, '2026-11-25 21:16:18.024+00');
INSERT INTO __schema__.events VALUES (12, '01a21491-04ea-75a0-b49e-b4ae28b41165', 'log-1', 4, 'log', -1845692293, 'log.line', '{"i":3}', '{}', NULL, NULL, 1, '2026-11-25 21:16:18.026+00');
INSERT INTO __schema__.events VALUES (13, '01a21491-04eb-7030-8668-05dfcdef1cf3', 'log-1', 5, 'log', -1845692293, 'log.line', '{"i":4}', '{}', NULL, NULL, 1, '2026-11-25 21:16:18.027+00');
INSERT INTO __schema__.events VALUES (20, '01a21491-0518-7368-ad59-a6ba739f10a8', 'order-1', 4, 'order', 1853851049, 'order.closed', '{}', '{}', NULL, NULL, 1, '2026-11-25 21:16:18.072+00');


--
-- Data for Name: head; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.head VALUES (true, 20, '2026-11-25 21:16:18.072+00');


--
-- Data for Name: streams; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.streams VALUES ('cart-9', 1, 5, 0, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('order-2', 3, 7, 0, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('ledger-1', 1, 8, 0, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('log-1', 5, 13, 0, NULL, '{"maxCount":3,"owner":"ops"}', 3, NULL);
INSERT INTO __schema__.streams VALUES ('trunc-1', 3, 16, 4, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('soft-1', 2, 18, 3, 'soft', '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('hard-1', 1, 19, 2, 'hard', '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('order-1', 4, 20, 0, NULL, '{}', NULL, NULL);


--
-- Data for Name: tidings_store; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.tidings_store VALUES (true, 'tidings-event-store', 2, '1e13274b-54fd-4849-a77d-48fb2bb2c0b3', '2026-11-25 21:16:17.796158+00');


--
-- Name: events events_event_id_key; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.events
    ADD CONSTRAINT events_event_id_key UNIQUE (event_id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.events
    ADD CONSTRAINT events_pkey PRIMARY KEY ("position");


--
-- Name: events events_stream_id_version_key; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.events
    ADD CONSTRAINT events_stream_id_version_key UNIQUE (stream_id, version);


--
-- Name: head head_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.head
    ADD CONSTRAINT head_pkey PRIMARY KEY (id);


--
-- Name: streams streams_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.streams
    ADD CONSTRAINT streams_pkey PRIMARY KEY (stream_id);


--
-- Name: tidings_store tidings_store_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.tidings_store
    ADD CONSTRAINT tidings_store_pkey PRIMARY KEY (id);


--
-- Name: events_category; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX events_category ON __schema__.events USING btree (category, "position");


--
-- Name: events_causation; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX events_causation ON __schema__.events USING btree (causation_id) WHERE (causation_id IS NOT NULL);


--
-- Name: events_correlation; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX events_correlation ON __schema__.events USING btree (correlation_id) WHERE (correlation_id IS NOT NULL);


--
-- Name: events_recorded_at; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX events_recorded_at ON __schema__.events USING btree (recorded_at, "position");


--
-- Name: events_type; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX events_type ON __schema__.events USING btree (type, "position");


--
-- Name: streams_retention; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX streams_retention ON __schema__.streams USING btree (stream_id) WHERE ((max_count IS NOT NULL) OR (max_age_ms IS NOT NULL));


--
-- PostgreSQL database dump complete
--


