// Two processes start the same processor on one SQLite file: only the lease holder handles events.
// The holder is stopped (SIGSTOP) inside a handler past its lease, the other takes over and
// checkpoints, then the first is continued (SIGCONT): its late checkpoint write must be refused.
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildChild, Children, type Child } from './__fixtures__/children.js';
import { tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './store.js';

const EVENTS = 12;
const HOLD_AT = 5;

interface Outcome {
  /** The checkpoint row after the first process finished its late work. */
  readonly checkpoint: { position: number; epoch: number } | undefined;
  readonly first: readonly string[];
  readonly second: readonly string[];
}

function checkpointOf(path: string): { position: number; epoch: number } | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT position, epoch FROM checkpoints WHERE processor = 'leased'").get() as
      { position: number; epoch: number } | undefined;
  } finally {
    db.close();
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('processor lease across processes (SQLite)', () => {
  let tmp: TempDir;
  let script = '';
  let files = 0;
  const children = new Children(() => script);

  beforeAll(async () => {
    tmp = tempDir('tidings-processor-lease-');
    script = await buildChild(tmp.dir, 'processor-child.ts');
  });
  afterEach(() => children.killAll());
  afterAll(() => tmp.remove());

  async function scenario(fencing: 'fenced' | 'unfenced'): Promise<Outcome> {
    const path = tmp.path(`lease-${++files}.db`);
    {
      await using store = await sqliteEventStore(path);
      for (let n = 1; n <= EVENTS; n++) await store.append('item-1', [{ type: 'item.changed', data: { n } }]);
    }
    const hold = `${HOLD_AT}:${fencing}`;
    const first: Child = children.spawn('lease', path, '0', 'first', hold);
    await first.waitFor((l) => l.startsWith('running '));
    // The second never holds a handler and always fences its writes: only the first may be broken.
    const second: Child = children.spawn('lease', path, '0', 'second', '0:fenced');
    await second.waitFor((l) => l === 'standby');
    await first.waitFor((l) => l === `handling ${HOLD_AT}`);
    // Only the holder handled anything so far.
    expect(second.lines.filter((l) => l.startsWith('handling'))).toEqual([]);
    first.process.kill('SIGSTOP');
    await second.waitFor((l) => l.startsWith('running '));
    // The new holder resumes after the old one's checkpoint (events before HOLD_AT) and reaches the end.
    await until('the second holder to checkpoint the end', () => {
      const c = checkpointOf(path);
      return c?.position === EVENTS && c.epoch === 2 ? c : undefined;
    });
    // Continue the first inside its handler: completing it, it writes a checkpoint with its old epoch.
    first.process.stdin?.write('go\n');
    first.process.kill('SIGCONT');
    await first.waitFor((l) => l.startsWith('lease-lost '));
    return { checkpoint: checkpointOf(path), first: [...first.lines], second: [...second.lines] };
  }

  it('one holder handles events; after a takeover the paused holder’s late checkpoint is refused', async () => {
    const { checkpoint, first, second } = await scenario('fenced');
    expect(checkpoint).toEqual({ position: EVENTS, epoch: 2 });
    expect(first.find((l) => l.startsWith('lease-lost '))).toContain('lease epoch 1 is no longer current (now 2)');
    expect(first.filter((l) => l.startsWith('handled '))).toEqual(
      Array.from({ length: HOLD_AT }, (_, i) => `handled ${i + 1}`),
    );
    // The successor started after the old holder's checkpoint, so it did not redo everything.
    expect(second.filter((l) => l.startsWith('handling ')).length).toBeLessThan(EVENTS);
    expect(second).toContain(`handled ${EVENTS}`);
  }, 60_000);

  it('negative control: without the epoch on its writes the paused holder overwrites the checkpoint', async () => {
    const { checkpoint } = await scenario('unfenced');
    expect(checkpoint).not.toEqual({ position: EVENTS, epoch: 2 });
  }, 60_000);
});
