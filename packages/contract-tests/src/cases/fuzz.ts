import { TidingsError, type EventStore } from 'tidings';
import { describe, expect } from 'vitest';
import { brief, collect } from '../fixtures.js';
import { FuzzInputs, POOL } from '../fuzz/inputs.js';
import { fuzzSeed, Prng } from '../fuzz/prng.js';
import type { ContractContext } from '../harness.js';

// Issue 8, acceptance: random arguments to the append and read entry points get a success or a
// TidingsError — never a raw driver error, never a hang — and a call that fails leaves the store
// exactly as it was. The seed is printed; TIDINGS_FUZZ_SEED replays a run, TIDINGS_FUZZ_CASES
// changes its length.

const CASES = Number(process.env['TIDINGS_FUZZ_CASES'] ?? 250);
/** A watchdog, not a wait: every call must settle long before it. */
const CALL_BOUND_MS = 10_000;

interface Snapshot {
  readonly head: bigint;
  readonly all: unknown[];
  readonly streams: unknown[];
}

async function snapshot(store: EventStore): Promise<Snapshot> {
  const streams = [];
  for (const id of POOL) streams.push(await store.streamInfo(id));
  return { head: await store.headPosition(), all: (await collect(store.readAll())).map(brief), streams };
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`HANG: ${what} did not settle within ${CALL_BOUND_MS} ms`)),
      CALL_BOUND_MS,
    );
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/** Shows a fuzz input in a failure message, whatever it holds (bigint, cycles, functions). */
function show(value: unknown, depth = 0): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…(${value.length})` : value);
  if (typeof value !== 'object' || value === null) return String(value);
  if (depth > 2) return '…';
  if (Array.isArray(value)) return `[${value.map((v) => show(v, depth + 1)).join(', ')}]`;
  const name = (value.constructor as { name?: string } | undefined)?.name;
  const entries = Object.entries(value).map(([k, v]) => `${k}: ${show(v, depth + 1)}`);
  return `${name !== undefined && name !== 'Object' ? name : ''}{${entries.join(', ')}}`;
}

type Call = { readonly what: string; readonly run: () => Promise<unknown> };

function drawCall(store: EventStore, inputs: FuzzInputs, rng: Prng): Call {
  const read = (source: () => AsyncIterable<unknown>) => () => collect(source);
  const readOptions = (known: readonly string[]) => inputs.options(known, (key) => inputs.readValue(key));
  switch (rng.int(10)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      const [id, events, options] = [
        inputs.streamId(),
        inputs.events(),
        inputs.options(['expectedVersion'], () => inputs.expectedVersion()),
      ];
      return {
        what: `append(${show(id)}, ${show(events)}, ${show(options)})`,
        run: () => store.append(id as string, events as never, options as never),
      };
    }
    case 4: {
      const [id, events, options] = [
        inputs.streamId(),
        inputs.events(),
        inputs.options(['expectedVersion'], () => inputs.expectedVersion()),
      ];
      return {
        what: `transaction(tx.append(${show(id)}, ${show(events)}, ${show(options)}))`,
        run: () => store.transaction((tx) => tx.append(id as string, events as never, options as never)),
      };
    }
    case 5: {
      const [id, options] = [inputs.streamId(), readOptions(['from', 'direction', 'limit'])];
      return {
        what: `readStream(${show(id)}, ${show(options)})`,
        run: read(() => store.readStream(id as string, options as never)),
      };
    }
    case 6: {
      const options = readOptions(['from', 'direction', 'limit', 'filter']);
      return { what: `readAll(${show(options)})`, run: read(() => store.readAll(options as never)) };
    }
    case 7: {
      const types = rng.pick<unknown>([
        ['fz.happened'],
        [],
        ['fz.other-thing', 'order.placed'],
        'fz.happened',
        [1],
        null,
      ]);
      const options = readOptions(['from', 'direction', 'limit']);
      return {
        what: `readByType(${show(types)}, ${show(options)})`,
        run: read(() => store.readByType(types as never, options as never)),
      };
    }
    case 8: {
      const options = inputs.options(['from', 'to', 'limit', 'filter'], (key) =>
        inputs.readValue(key === 'from' || key === 'to' ? 'time' : key),
      );
      return { what: `readByTime(${show(options)})`, run: read(() => store.readByTime(options as never)) };
    }
    default: {
      const id = inputs.streamId();
      return { what: `streamInfo(${show(id)})`, run: () => store.streamInfo(id as string) };
    }
  }
}

export function fuzzCases({ name, open, test }: ContractContext): void {
  describe('fuzz', () => {
    test('random arguments to append and the reads get a result or a TidingsError, never hang, and a failed call changes nothing', async () => {
      const seed = fuzzSeed();
      console.log(`[${name}] fuzz: ${CASES} cases, seed ${seed} (replay with TIDINGS_FUZZ_SEED=${seed})`);
      const rng = new Prng(seed);
      const inputs = new FuzzInputs(rng);
      const store = await open();
      let before = await snapshot(store);
      let failures = 0;
      for (let i = 0; i < CASES; i++) {
        const call = drawCall(store, inputs, rng);
        const where = `[${name}] seed ${seed}, case ${i}: ${call.what}`;
        let error: unknown;
        let failed = false;
        try {
          await bounded(call.run(), where);
        } catch (e) {
          failed = true;
          error = e;
        }
        if (failed) {
          failures++;
          if (!(error instanceof TidingsError)) {
            throw new Error(
              `${where}\n  threw a raw ${String((error as Error | undefined)?.name)}: ${String((error as Error | undefined)?.message ?? error)}`,
              {
                cause: error,
              },
            );
          }
        }
        const after = await snapshot(store);
        if (failed)
          expect(after, `${where}\n  failed with ${(error as TidingsError).code} but changed the store`).toEqual(
            before,
          );
        else expect(after.head >= before.head, `${where}: the head moved back`).toBe(true);
        before = after;
      }
      // The run proved something only if both outcomes occurred often.
      expect(failures).toBeGreaterThan(CASES / 10);
      expect(CASES - failures).toBeGreaterThan(CASES / 10);
      expect(before.head).toBeGreaterThan(0n);
    }, 120_000);
  });
}
