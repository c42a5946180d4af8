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
-- Name: checkpoints; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.checkpoints (
    processor text NOT NULL,
    partition integer NOT NULL,
    "position" bigint NOT NULL,
    epoch bigint NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


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
-- Name: inbox; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.inbox (
    processor text NOT NULL,
    event_id text NOT NULL,
    "position" bigint NOT NULL
);


--
-- Name: leases; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.leases (
    processor text NOT NULL,
    partition integer NOT NULL,
    owner text NOT NULL,
    epoch bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: parked; Type: TABLE; Schema: __schema__; Owner: -
--

CREATE TABLE __schema__.parked (
    id text NOT NULL,
    processor text NOT NULL,
    partition integer NOT NULL,
    event_id text NOT NULL,
    "position" bigint NOT NULL,
    stream_id text NOT NULL,
    version bigint NOT NULL,
    type text NOT NULL,
    error text NOT NULL,
    attempts bigint NOT NULL,
    first_failed_at timestamp with time zone NOT NULL,
    last_failed_at timestamp with time zone NOT NULL,
    blocking boolean NOT NULL
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
-- Data for Name: checkpoints; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.checkpoints VALUES ('projector', 0, 21, 0, '2026-11-25 22:15:50.746+00');


--
-- Data for Name: events; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.events VALUES (1, '01a214c7-88a3-72b8-9758-3b553b63fff4', 'order-1', 1, 'order', 1853851049, 'order.placed', '{"total":30}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.694+00');
INSERT INTO __schema__.events VALUES (2, '01a214c7-88a4-77d8-bbcc-5df10061ca6c', 'order-1', 2, 'order', 1853851049, 'order.line-added', '{"sku":"a","n":1}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.694+00');
INSERT INTO __schema__.events VALUES (3, '01a214c7-88a4-77d9-9862-e620655567e1', 'order-2', 1, 'order', 411671933, 'order.placed', '{"total":12.5,"note":"ünïcødé ✓ \"quoted\" \\ back"}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.694+00');
INSERT INTO __schema__.events VALUES (4, '01a214c7-88a4-77da-857f-5755f774ff1b', 'order-1', 3, 'order', 1853851049, 'order.paid', '{"at":"2026-01-01T00:00:00Z"}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.694+00');
INSERT INTO __schema__.events VALUES (5, '01a214c7-88a4-77db-801b-f57490c0826a', 'cart-9', 1, 'cart', 2070064031, 'cart.opened', 'null', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.694+00');
INSERT INTO __schema__.events VALUES (6, '0190a0a0-0000-7000-8000-000000000001', 'order-2', 2, 'order', 411671933, 'order.paid', '{"big":12345678901234567000}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.71+00');
INSERT INTO __schema__.events VALUES (7, '0190a0a0-0000-7000-8000-000000000002', 'order-2', 3, 'order', 411671933, 'order.shipped', '{"carrier":"x"}', '{"correlationId":"corr-1","causationId":"cause-1","schemaVersion":2,"user":"u"}', 'corr-1', 'cause-1', 2, '2026-11-25 22:15:50.71+00');
INSERT INTO __schema__.events VALUES (8, '01a214c7-88bc-7680-903a-b472911ec7b9', 'ledger-1', 1, 'ledger', -1064535870, 'ledger.opened', '{"by":"tx"}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.716+00');
INSERT INTO __schema__.events VALUES (9, '01a214c7-88be-7058-8b2f-fff157d876af', 'log-1', 1, 'log', -1845692293, 'log.line', '{"i":0}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.718+00');
INSERT INTO __schema__.events VALUES (10, '01a214c7-88c4-7488-91b7-335140cfef7f', 'log-1', 2, 'log', -1845692293, 'log.line', '{"i":1}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.724+00');
INSERT INTO __schema__.events VALUES (11, '01a214c7-88c6-71e8-bd85-3b10c90bd8c3', 'log-1', 3, 'log', -1845692293, 'log.line', '{"i":2}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.726+00');
INSERT INTO __schema__.events VALUES (12, '01a214c7-88c7-7130-a671-caf949682f08', 'log-1', 4, 'log', -1845692293, 'log.line', '{"i":3}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.728+00');
INSERT INTO __schema__.events VALUES (13, '01a214c7-88c9-76a0-941e-691dd495abdc', 'log-1', 5, 'log', -1845692293, 'log.line', '{"i":4}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.729+00');
INSERT INTO __schema__.events VALUES (20, '01a214c7-88d7-7538-a76f-e238e961c997', 'order-1', 4, 'order', 1853851049, 'order.closed', '{}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.743+00');
INSERT INTO __schema__.events VALUES (21, '01a214c7-88d9-7060-8c9d-a5ae78645f68', 'ledger-1', 2, 'ledger', -1064535870, 'ledger.posted', '{"amount":5}', '{}', NULL, NULL, 1, '2026-11-25 22:15:50.745+00');


--
-- Data for Name: head; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.head VALUES (true, 21, '2026-11-25 22:15:50.745+00');


--
-- Data for Name: inbox; Type: TABLE DATA; Schema: __schema__; Owner: -
--



--
-- Data for Name: leases; Type: TABLE DATA; Schema: __schema__; Owner: -
--



--
-- Data for Name: parked; Type: TABLE DATA; Schema: __schema__; Owner: -
--



--
-- Data for Name: streams; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.streams VALUES ('cart-9', 1, 5, 0, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('order-2', 3, 7, 0, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('log-1', 5, 13, 0, NULL, '{"maxCount":3,"owner":"ops"}', 3, NULL);
INSERT INTO __schema__.streams VALUES ('trunc-1', 3, 16, 4, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('soft-1', 2, 18, 3, 'soft', '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('hard-1', 1, 19, 2, 'hard', '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('order-1', 4, 20, 0, NULL, '{}', NULL, NULL);
INSERT INTO __schema__.streams VALUES ('ledger-1', 2, 21, 0, NULL, '{}', NULL, NULL);


--
-- Data for Name: tidings_store; Type: TABLE DATA; Schema: __schema__; Owner: -
--

INSERT INTO __schema__.tidings_store VALUES (true, 'tidings-event-store', 3, '4136bcc3-a89c-4780-9537-cfca8eb663c0', '2026-11-25 22:15:50.641132+00');


--
-- Name: checkpoints checkpoints_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.checkpoints
    ADD CONSTRAINT checkpoints_pkey PRIMARY KEY (processor, partition);


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
-- Name: inbox inbox_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (processor, event_id);


--
-- Name: leases leases_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.leases
    ADD CONSTRAINT leases_pkey PRIMARY KEY (processor, partition);


--
-- Name: parked parked_pkey; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.parked
    ADD CONSTRAINT parked_pkey PRIMARY KEY (id);


--
-- Name: parked parked_processor_event_id_key; Type: CONSTRAINT; Schema: __schema__; Owner: -
--

ALTER TABLE ONLY __schema__.parked
    ADD CONSTRAINT parked_processor_event_id_key UNIQUE (processor, event_id);


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
-- Name: inbox_position; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX inbox_position ON __schema__.inbox USING btree (processor, "position");


--
-- Name: parked_position; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX parked_position ON __schema__.parked USING btree ("position", id COLLATE "C");


--
-- Name: streams_retention; Type: INDEX; Schema: __schema__; Owner: -
--

CREATE INDEX streams_retention ON __schema__.streams USING btree (stream_id) WHERE ((max_count IS NOT NULL) OR (max_age_ms IS NOT NULL));


--
-- PostgreSQL database dump complete
--


