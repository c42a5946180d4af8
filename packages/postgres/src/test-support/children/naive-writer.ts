// Child, deliberately broken (negative control): positions come from a plain sequence
// (bigserial), handed out at insert rather than at commit, with no head row. A reader following
// positions skips events whose transaction commits after a later position's.
import pg from 'pg';

const [url, schema, durationArg, idArg] = process.argv.slice(2) as [string, string, string, string];
const client = new pg.Client({ connectionString: url });
await client.connect();
const end = Date.now() + Number(durationArg);
let ok = 0;
let failed = 0;
try {
  for (let i = 0; Date.now() < end; i++) {
    try {
      await client.query('begin');
      await client.query(`insert into "${schema}".naive_events (event_id, stream_id) values (gen_random_uuid(), $1)`, [
        `n${idArg}-${i % 7}`,
      ]);
      await client.query('commit');
      ok++;
    } catch {
      failed++;
      await client.query('rollback').catch(() => {});
    }
  }
  console.log(JSON.stringify({ ok, failed }));
} finally {
  await client.end();
}
