import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleChild } from './__fixtures__/bundle-child.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tidings-shop-crash-'));
let script = '';
let files = 0;

beforeAll(async () => {
  script = await bundleChild('shop-child', dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  readonly signal: NodeJS.Signals | null;
  readonly done?: { points: number; orders: number; stock: number };
  readonly stderr: string;
}

function run(file: string, orders: number, mode: 'safe' | 'unsafe', crashAfter: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, file, String(orders), mode, String(crashAfter)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('DONE '));
      resolve({
        signal,
        ...(line === undefined ? {} : { done: JSON.parse(line.slice(5)) as Outcome['done'] & object }),
        stderr,
      });
    });
  });
}

/** Kills the shop at the crashAfter-th points update, restarts it, and returns what the restarted shop reports. */
async function crashAndRestart(mode: 'safe' | 'unsafe', orders: number, crashAfter: number) {
  const file = join(dir, `shop-${++files}.db`);
  const crashed = await run(file, orders, mode, crashAfter);
  expect(crashed.signal, `the first run should be killed (stderr: ${crashed.stderr})`).toBe('SIGKILL');
  const restarted = await run(file, orders, mode, 0);
  expect(restarted.done, `the restarted run should finish (stderr: ${restarted.stderr})`).toBeDefined();
  return restarted.done!;
}

const ORDERS = 12;
const seed = Number(process.env['TIDINGS_CRASH_SEED'] ?? Date.now() % 100_000);
const kills = Array.from({ length: 4 }, (_, i) => 1 + ((seed * 7 + i * 5) % ORDERS));

describe('the shop killed mid-run (SIGKILL) and restarted', () => {
  it(`resumes where it stopped: no observer effect lost or doubled (seed ${seed}, kill points ${kills.join(', ')})`, async () => {
    console.log(
      `shop crash test: seed ${seed} (TIDINGS_CRASH_SEED to replay), kills after points update ${kills.join(', ')}`,
    );
    for (const crashAfter of kills) {
      const done = await crashAndRestart('safe', ORDERS, crashAfter);
      expect(done, `killed after points update ${crashAfter}`).toEqual({
        points: 99 * ORDERS,
        orders: ORDERS,
        stock: 1_000_000 - 2 * ORDERS,
      });
    }
  });

  it('negative control: state written outside the checkpoint transaction is doubled after the same crash', async () => {
    const done = await crashAndRestart('unsafe', ORDERS, kills[0]!);
    expect(done.points).toBeGreaterThan(99 * ORDERS);
  });
});
