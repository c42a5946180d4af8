import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleChild } from './__fixtures__/bundle-child.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from 'tidings/testing';

const dir = mkdtempSync(join(tmpdir(), 'tidings-flash-crash-'));
let script = '';
let files = 0;

beforeAll(async () => {
  script = await bundleChild('flash-sale-child', dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Done {
  readonly problems: string[];
  readonly orders: { 'awaiting-payment': number; paid: number; cancelled: number };
  readonly coupons: number;
  readonly timedOut: number;
  readonly placed: number;
  readonly parked: string[];
  readonly transactions: number;
  readonly transitions: number;
}
interface Outcome {
  readonly signal: NodeJS.Signals | null;
  readonly done?: Done;
  readonly stderr: string;
}

function run(file: string, mode: 'safe' | 'broken', kill: string, origin: number, seed: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, file, mode, kill, String(origin), String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('DONE '));
      resolve({ signal, ...(line === undefined ? {} : { done: JSON.parse(line.slice(5)) as Done }), stderr });
    });
  });
}

/**
 * Runs a sale that kills itself at `kill`, restarts it on the same file and clock, and returns
 * what the restarted run finds (`killed: false` when the run ended before reaching the point).
 */
async function crashAndRestart(
  mode: 'safe' | 'broken',
  kill: string,
  seed: number,
): Promise<Done & { killed: boolean; stderr: string }> {
  const file = join(dir, `sale-${++files}.db`);
  const origin = Date.now();
  const crashed = await run(file, mode, kill, origin, seed);
  if (crashed.signal !== 'SIGKILL') {
    expect(crashed.done, `a run that was not killed must finish (stderr: ${crashed.stderr})`).toBeDefined();
    return { ...crashed.done!, killed: false, stderr: crashed.stderr };
  }
  const restarted = await run(file, mode, 'none', origin, seed);
  expect(restarted.done, `the restarted run should finish (stderr: ${restarted.stderr})`).toBeDefined();
  return { ...restarted.done!, killed: true, stderr: restarted.stderr };
}

/** What must hold after any crash: every rule of the sale, and every order settled one way. */
function rulesHold(done: Done): boolean {
  return (
    done.problems.length === 0 &&
    done.parked.length === 0 &&
    done.orders['awaiting-payment'] === 0 &&
    done.coupons === done.orders.paid &&
    done.orders.paid + done.orders.cancelled === done.placed
  );
}

const seed = Number(process.env['TIDINGS_CRASH_SEED'] ?? Date.now() % 100_000);
const TRIALS = 20;

describe('the flash sale killed mid-flow (SIGKILL) and restarted', () => {
  it(`after ${TRIALS} kills at points drawn from seed ${seed}: orders settled once, stock conserved, no coupon or timer twice, no command lost`, async () => {
    // Calibration: an uninterrupted run keeps every rule, and says how many transactions a run makes.
    const calibration = await run(join(dir, 'calibration.db'), 'safe', 'none', Date.now(), seed);
    expect(calibration.done, calibration.stderr).toBeDefined();
    const { transactions, transitions } = calibration.done!;
    expect(calibration.done!.problems).toEqual([]);
    expect(rulesHold(calibration.done!)).toBe(true);
    expect(transitions).toBeGreaterThanOrEqual(3); // a few locks at least (demand is twice the stock)

    const random = seededRandom(seed);
    // Kill points spread over the flow: any store transaction (stock, order, coupon appends,
    // processors' checkpoints, timers firing) or specifically a saga transition, before or after
    // its commit. Runs differ a little in length (timing), so points are drawn from the first
    // 70% and a run that ends before its point does not count as a kill.
    const nextKill = (i: number): string => {
      const when = i % 2 === 0 ? 'before' : 'after';
      return i % 4 < 2
        ? `saga:${1 + Math.floor(random() * Math.max(1, Math.floor(transitions * 0.7)))}:${when}`
        : `tx:${1 + Math.floor(random() * Math.max(1, Math.floor(transactions * 0.7)))}:${when}`;
    };
    const tried: string[] = [];
    let kills = 0;
    for (let i = 0; kills < TRIALS && i < TRIALS * 2; i++) {
      const kill = nextKill(i);
      const done = await crashAndRestart('safe', kill, seed);
      tried.push(`${kill}${done.killed ? '' : ' (ended first)'}`);
      if (done.killed) kills++;
      const seen = `killed at ${kill}: ${JSON.stringify(done)}`; // stderr: the child explains its problem orders
      expect(done.problems, seen).toEqual([]);
      expect(done.parked, seen).toEqual([]);
      expect(done.orders['awaiting-payment'], `killed at ${kill}: every order paid or cancelled`).toBe(0);
      expect(done.coupons, `killed at ${kill}: one coupon per paid order`).toBe(done.orders.paid);
      expect(done.orders.paid + done.orders.cancelled, `killed at ${kill}: every order settled`).toBe(done.placed);
    }
    console.log(`flash-sale crash test: seed ${seed} (TIDINGS_CRASH_SEED to replay), kill points: ${tried.join(', ')}`);
    expect(kills).toBe(TRIALS);
  });

  it('negative control: with the sends made outside the transition transaction, a kill right after a transition loses a command', async () => {
    const outcomes: Done[] = [];
    for (const n of [1, 2, 3]) {
      const done = await crashAndRestart('broken', `saga:${n}:after`, seed);
      expect(done.killed).toBe(true);
      outcomes.push(done);
    }
    console.log(`negative control found: ${outcomes.map((o) => o.problems.concat(o.parked).join('; ')).join(' | ')}`);
    expect(outcomes.some((o) => !rulesHold(o))).toBe(true);
  });
});
