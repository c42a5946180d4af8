// Durable processors under SIGKILL: a child appends to account streams while three processors
// (concurrency 3) follow it — a projection in the same file with its checkpoint in its
// transaction, a ledger guarded by the inbox, and an external effect appending event ids to a
// file. The child is killed at a seeded moment; this process restarts the processors to the head
// and checks every effect against the events. Replay a failure with TIDINGS_CRASH_SEED=<seed>.
import { existsSync, readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { createProcessorRunner, type EventStore } from 'tidings';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildChild, Children } from './__fixtures__/children.js';
import { CRASH_OWNER, crashProcessors, type CrashVariant } from './__fixtures__/crash-processors.js';
import { rng } from './__fixtures__/rng.js';
import { tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './store.js';

const TRIALS = 20;
const seed = Number(process.env['TIDINGS_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`processor crash test seed ${seed} (replay with TIDINGS_CRASH_SEED=${seed})`);

interface Report {
  readonly events: number;
  /** Streams whose projected count/total differs from a rebuild from the events. */
  readonly projection: string[];
  readonly ledgerMissing: number;
  readonly ledgerDuplicated: number;
  readonly fileMissing: number;
  /** External effects delivered more than once (allowed: at least once), counted and reported. */
  readonly fileDuplicates: number;
}

async function check(store: EventStore<Database>, effectsFile: string): Promise<Report> {
  const rebuilt = new Map<string, { count: number; total: number }>();
  const ids: string[] = [];
  for await (const e of store.readAll({ filter: { categories: ['acct'] } })) {
    ids.push(e.id);
    const r = rebuilt.get(e.streamId) ?? { count: 0, total: 0 };
    rebuilt.set(e.streamId, { count: r.count + 1, total: r.total + (e.data as { amount: number }).amount });
  }
  const { balance, ledger } = await store.transaction((tx) =>
    Promise.resolve({
      balance: tx.connection.prepare('SELECT stream_id, count, total FROM balance').all() as {
        stream_id: string;
        count: number;
        total: number;
      }[],
      ledger: tx.connection.prepare('SELECT event_id, count(*) AS n FROM ledger GROUP BY event_id').all() as {
        event_id: string;
        n: number;
      }[],
    }),
  );
  const projection: string[] = [];
  const projected = new Map(balance.map((b) => [b.stream_id, b]));
  for (const [stream, want] of rebuilt) {
    const got = projected.get(stream);
    if (got?.count !== want.count || got.total !== want.total) {
      projection.push(`${stream}: projected ${got?.count}/${got?.total}, rebuilt ${want.count}/${want.total}`);
    }
  }
  const ledgerCounts = new Map(ledger.map((l) => [l.event_id, l.n]));
  const lines = existsSync(effectsFile) ? readFileSync(effectsFile, 'utf8').split('\n').filter(Boolean) : [];
  const delivered = new Set(lines);
  return {
    events: ids.length,
    projection,
    ledgerMissing: ids.filter((id) => !ledgerCounts.has(id)).length,
    ledgerDuplicated: [...ledgerCounts.values()].filter((n) => n > 1).length,
    fileMissing: ids.filter((id) => !delivered.has(id)).length,
    fileDuplicates: lines.length - delivered.size,
  };
}

describe('durable processors under SIGKILL (SQLite)', () => {
  let tmp: TempDir;
  let script = '';
  const children = new Children(() => script);

  beforeAll(async () => {
    tmp = tempDir('tidings-processor-crash-');
    script = await buildChild(tmp.dir, 'processor-child.ts');
  });
  afterEach(() => children.killAll());
  afterAll(() => tmp.remove());

  async function trial(variant: CrashVariant, n: number, random: () => number): Promise<Report> {
    const path = tmp.path(`${variant}-${n}.db`);
    const effects = `${path}.effects`;
    const child = children.spawn('crash', path, String(seed + n), variant, effects);
    await child.waitFor((l) => l === 'ready');
    const acks = 10 + Math.floor(random() * 150);
    await child.waitFor((l, i) => l.startsWith('ack ') && i >= acks);
    await new Promise((resolve) => setTimeout(resolve, random() * 5));
    await child.kill('SIGKILL');
    const errors = child.lines.filter((l) => l.startsWith('error '));
    expect(errors).toEqual([]);
    // Restart: the same owner takes its lease back at once (the killed process was it).
    await using store = await sqliteEventStore(path);
    // #region restart
    const runner = createProcessorRunner(store, {
      processors: crashProcessors(store, variant, effects),
      owner: CRASH_OWNER, // unique per process; default: a random id
    });
    await runner.start(); // takes each lease (or waits in standby), resumes after the checkpoints
    await runner.catchUp({ timeoutMs: 30_000 });
    await runner.stop(); // in-flight handlers finish, checkpoints are written, leases released
    // #endregion restart
    return await check(store, effects);
  }

  it(`after ${TRIALS} kills: projection = rebuild, one ledger row per event, every id in the file at least once`, async () => {
    const random = rng(seed);
    let duplicates = 0;
    let events = 0;
    for (let n = 0; n < TRIALS; n++) {
      const report = await trial('correct', n, random);
      if (process.env['TIDINGS_CRASH_VERBOSE'] !== undefined) console.log('trial', n, report);
      events += report.events;
      duplicates += report.fileDuplicates;
      expect(report.events).toBeGreaterThan(0);
      expect({ trial: n, seed, ...report, events: 0, fileDuplicates: 0 }).toEqual({
        trial: n,
        seed,
        events: 0,
        projection: [],
        ledgerMissing: 0,
        ledgerDuplicated: 0,
        fileMissing: 0,
        fileDuplicates: 0,
      });
    }
    console.log(
      `processor crash test: ${TRIALS} kills, ${events} events; external effect delivered twice: ${duplicates} (at least once, the event id is the idempotency key)`,
    );
  }, 240_000);

  it('negative control: a projection written in its own transaction (checkpoint outside it) drifts from the rebuild', async () => {
    const random = rng(seed ^ 0x2545f491);
    const drift: string[] = [];
    for (let n = 0; n < TRIALS && drift.length === 0; n++)
      drift.push(...(await trial('broken-projection', n, random)).projection);
    expect(drift.length).toBeGreaterThan(0);
  }, 240_000);

  it('negative control: a ledger written without the inbox holds duplicate rows', async () => {
    const random = rng(seed ^ 0x68e31da4);
    let duplicated = 0;
    for (let n = 0; n < TRIALS && duplicated === 0; n++)
      duplicated += (await trial('broken-ledger', n, random)).ledgerDuplicated;
    expect(duplicated).toBeGreaterThan(0);
  }, 240_000);
});
