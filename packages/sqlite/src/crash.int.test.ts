// Crash tests with real child processes killed by SIGKILL at points drawn from a printed seed.
//
// What this proves: ATOMICITY. SIGKILL ends the process, but the OS keeps its page cache, so
// everything the process wrote to the file reaches disk. It cannot tell synchronous=NORMAL from
// FULL (that would need an OS crash or power cut); it shows that an append is all-or-nothing, that
// every acknowledged append survives a process crash, and that positions stay ordered.
// Replay a failure with TIDINGS_CRASH_SEED=<seed printed below>.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { buildChild, Children } from './__fixtures__/children.js';
import { checkCrashFile, type CrashReport } from './__fixtures__/crash-check.js';
import { rng } from './__fixtures__/rng.js';
import { tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { LATEST_VERSION, APPLICATION_ID } from './migrations.js';
import { sqliteEventStore } from './store.js';

const TRIALS = 10;
const seed = Number(process.env['TIDINGS_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.log(`crash test seed ${seed} (replay with TIDINGS_CRASH_SEED=${seed})`);

describe('SIGKILL crash trials', () => {
  let tmp: TempDir;
  let script = '';
  const children = new Children(() => script);

  beforeAll(async () => {
    tmp = tempDir('tidings-crash-');
    script = await buildChild(tmp.dir);
  });
  afterEach(() => children.killAll());
  afterAll(() => tmp.remove());

  /** One trial: start a writer, let it acknowledge some appends, kill it at a seeded moment, check the file. */
  async function trial(mode: 'atomic' | 'torn', n: number, random: () => number): Promise<CrashReport> {
    const path = tmp.path(`${mode}-${n}.db`);
    const child = children.spawn(mode, path, String(seed + n), `t${n}`);
    await child.waitFor((l) => l === 'ready');
    const acksBeforeKill = 1 + Math.floor(random() * 60);
    await child.waitFor((l, i) => l.startsWith('ack ') && i >= acksBeforeKill);
    // A further random delay of up to 5 ms puts the kill anywhere inside the following appends.
    await new Promise((resolve) => setTimeout(resolve, random() * 5));
    await child.kill('SIGKILL');
    return checkCrashFile(path, child.acks());
  }

  it(`keeps every acknowledged append and tears none, over ${TRIALS} kills of a group-committing writer`, async () => {
    const random = rng(seed);
    for (let n = 0; n < TRIALS; n++) {
      const report = await trial('atomic', n, random);
      if (process.env['TIDINGS_CRASH_VERBOSE'] !== undefined) console.log('atomic trial', n, report);
      expect(report.events).toBeGreaterThan(0);
      expect({ trial: n, seed, torn: report.torn, lost: report.lost, disorder: report.disorder }).toEqual({
        trial: n,
        seed,
        torn: [],
        lost: [],
        disorder: [],
      });
    }
  });

  it('negative control: the same check catches a writer that commits each event on its own', async () => {
    const random = rng(seed ^ 0x5bd1e995);
    const torn: string[] = [];
    for (let n = 0; n < TRIALS && torn.length === 0; n++) {
      const report = await trial('torn', n, random);
      if (process.env['TIDINGS_CRASH_VERBOSE'] !== undefined) console.log('torn trial', n, report);
      expect(report.lost).toEqual([]); // it does keep what it acknowledged...
      torn.push(...report.torn); // ...but leaves half-written appends behind
    }
    expect(torn.length).toBeGreaterThan(0);
  });

  it('SIGKILL inside a migration leaves a file that opens and migrates', async () => {
    const path = tmp.path('migrating.db');
    const child = children.spawn('migrate-hang', path, String(seed));
    await child.waitFor((l) => l.startsWith('migrating '));
    await child.kill('SIGKILL');
    const raw = new Database(path, { readonly: true });
    // Killed inside the transaction: nothing of the migration is visible.
    expect(raw.pragma('user_version', { simple: true })).toBe(0);
    raw.close();
    await using store = await sqliteEventStore(path);
    await store.append('after-1', [{ type: 'migration.survived', data: {} }]);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    db.close();
  });
});
