// One writer process of multi-process.mjs (raw SQL, not the store): appends one event per
// statement to its own stream for `ms`, in one of three ways of ordering the global position:
//   head   — the store's way: the schema's one-row head, updated in the append's transaction and
//            held until its commit, WAL flush included (decision 0300);
//   early  — the same head, but the append commits asynchronously (synchronous_commit off, set in
//            the statement) so the head is released before the flush, and a second transaction
//            (a transactional logical message, synchronous: see FLUSH_BARRIER_SQL) then waits for
//            the flush before the append counts as acknowledged (decision 0311, candidate B);
//   seq    — a plain sequence (raw pg's way; a follower by position can skip: negative control).
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const [mode, url, schema, ms, id, startAt] = process.argv.slice(2);
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query('set enable_seqscan = off; set jit = off');
const s = `"${schema}"`;
const stream = `w-${id}`;
await c.query(`insert into ${s}.streams (stream_id) values ($1) on conflict do nothing`, [stream]);
const early = mode === 'early' ? `, sc as (select set_config('synchronous_commit', 'off', true) as v)` : '';
const headSql = `with st as (update ${s}.streams t set version = t.version + 1 where t.stream_id = $1 and t.version = $2 returning t.version - 1 as v0)${early},
h as (update ${s}.head set position = position + 1, recorded_at = greatest(recorded_at, now()) where id and exists (select 1 from st) returning position as p, recorded_at as ts)
insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
select h.p, $3, $1, st.v0 + 1, 'w', 0, 't.x', $4, '{}', 1, h.ts from h, st${mode === 'early' ? ', sc' : ''}`;
const seqSql = `with st as (update ${s}.streams t set version = t.version + 1 where t.stream_id = $1 and t.version = $2 returning t.version - 1 as v0)
insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
select nextval('${s}.seq'), $3, $1, st.v0 + 1, 'w', 0, 't.x', $4, '{}', 1, now() from st`;
const text = mode === 'seq' ? seqSql : headSql;
const wait = Number(startAt) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
let v = 0;
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  const r = await c.query({
    name: 'a',
    text,
    values: [stream, v, randomUUID(), JSON.stringify({ n: v, note: 'an ordinary short note' })],
  });
  if (r.rowCount !== 1) throw new Error('conflict');
  if (mode === 'early') await c.query({ name: 'b', text: `select pg_logical_emit_message(true, 'tidings', '')` });
  v++;
}
console.log(JSON.stringify({ n: v }));
await c.end();
