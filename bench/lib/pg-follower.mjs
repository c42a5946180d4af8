// Reader lag for the PostgreSQL write cases: a follower reads the global order from where it
// starts, as a subscriber would (next page after the last position it saw), while writers append
// events that carry their key (`data.w`, `data.n`); each writer notes when its append was
// acknowledged (the commit), the follower when it first saw each event. Lag = seen − acknowledged
// (0 when the follower saw it first). Events acknowledged but never seen by a follower that has
// caught up are skipped: the negative control (a plain sequence read by position) shows them.
//
// Clocks: performance.timeOrigin + performance.now(), wall-clock milliseconds with sub-ms
// resolution that agree between processes of one host (for the multi-process case).

export const wallNow = () => performance.timeOrigin + performance.now();

/** The event of the lag phase: the bench event plus its key. */
export const lagEvent = (base, w, n) => ({ ...base, data: { ...base.data, w, n } });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** The key of a lag-phase event. */
export const keyOf = (data) => `${data.w}:${data.n}`;

/**
 * Starts a follower of `kind` ('tidings' or 'raw pg') on `schema`, from the current head.
 * Returns undefined for contenders without a follower here.
 */
export async function startFollower(kind, schema, url) {
  let read;
  let head;
  let close;
  if (kind === 'tidings') {
    const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
    const store = postgresEventStore({ connectionString: url, schema, poolSize: 1 });
    read = async (after) => {
      const rows = [];
      for await (const e of store.readAll({ from: after + 1n, limit: 1000 }))
        rows.push({ position: e.position, data: e.data });
      return rows;
    };
    head = () => store.headPosition();
    close = () => store.close();
  } else if (kind === 'raw pg') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const page = {
      name: 'follow',
      text: `select position, data from ${schema}.events where position > $1 order by position limit 1000`,
    };
    read = async (after) =>
      (await client.query({ ...page, values: [after.toString()] })).rows.map((r) => ({
        position: BigInt(r.position),
        data: JSON.parse(r.data),
      }));
    head = async () =>
      BigInt((await client.query(`select coalesce(max(position), 0)::text as m from ${schema}.events`)).rows[0].m);
    close = () => client.end();
  } else {
    return undefined;
  }
  const seen = new Map();
  let duplicates = 0;
  let last = await head();
  let stopping = false;
  const loop = (async () => {
    for (;;) {
      const rows = await read(last);
      const at = wallNow();
      for (const row of rows) {
        if (row.position > last) last = row.position;
        // Events of the timed phase carry no key: passed over.
        if (row.data === null || typeof row.data !== 'object' || row.data.w === undefined) continue;
        const key = keyOf(row.data);
        if (seen.has(key)) duplicates++;
        else seen.set(key, at);
      }
      if (rows.length > 0) continue;
      if (stopping) {
        // Caught up once everything committed so far is behind the follower.
        if (last >= (await head())) return;
      }
      await sleep(1);
    }
  })();
  return {
    /** Stops once caught up (bounded) and reports lag over the acknowledged events. */
    async stop(acks) {
      stopping = true;
      await Promise.race([loop, sleep(20_000)]);
      await close();
      const lags = [];
      let skipped = 0;
      for (const [key, ackAt] of acks) {
        const at = seen.get(key);
        if (at === undefined) skipped++;
        else lags.push(Math.max(0, at - ackAt));
      }
      lags.sort((a, b) => a - b);
      const pct = (p) =>
        lags.length === 0 ? undefined : lags[Math.min(lags.length - 1, Math.floor((lags.length * p) / 100))];
      return { lagP50Ms: pct(50), lagP99Ms: pct(99), skipped, duplicates, followed: acks.size };
    },
  };
}

/**
 * The lag phase of an in-process write case: starts a follower at the head, runs `callers` loops of
 * `step(caller, ack)` for `ms` (each step appends `lagEvent`s and calls `ack(events)` once the
 * append is acknowledged), then stops the follower once it caught up. Resolves to the follower's
 * report, or undefined when the contender has no follower here.
 */
export async function lagPhase(kind, schema, url, callers, ms, step) {
  const follower = await startFollower(kind, schema, url);
  if (follower === undefined) return undefined;
  const acks = new Map();
  const ack = (events) => {
    const at = wallNow();
    for (const e of events) acks.set(keyOf(e.data), at);
  };
  const deadline = wallNow() + ms;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (wallNow() < deadline) await step(caller, ack);
    }),
  );
  return follower.stop(acks);
}
