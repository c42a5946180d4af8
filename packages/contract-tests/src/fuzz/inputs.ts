import type { Prng } from './prng.js';

// Random arguments for the store's append and read entry points: mostly well-formed (so streams
// grow, versions conflict and ids repeat), often slightly wrong, sometimes nonsense. Everything is
// drawn from the seeded generator, so a run is replayed exactly from its seed.

/** The streams most calls target, so that appends accumulate and later calls conflict with them. */
export const POOL = ['fz-1', 'fz-2', 'fuzz_3-x'] as const;

class Money {
  constructor(readonly cents: number) {}
}

const TEXT_PIECES = ['a', 'Z', '0', '-', '.', '_', ' ', 'é', '注', '🎉', '\n', '\t', '\\', '"', "'", '%', '\u2028'];
const BAD_PIECES = ['\u0000', '\ud800', '\udc00', '\u001f'];

export class FuzzInputs {
  /** Event ids handed out so far: re-used to provoke idempotent retries and duplicates. */
  private readonly ids: string[] = [];

  constructor(private readonly rng: Prng) {}

  text(max = 12, bad = 0.05): string {
    const n = this.rng.int(max + 1);
    let out = '';
    for (let i = 0; i < n; i++) out += this.rng.chance(bad) ? this.rng.pick(BAD_PIECES) : this.rng.pick(TEXT_PIECES);
    return out;
  }

  streamId(): unknown {
    const r = this.rng.next();
    if (r < 0.7) return this.rng.pick(POOL);
    if (r < 0.8) return `fz-${this.text(8, 0)}`;
    if (r < 0.9) return this.text(20);
    return this.rng.pick<unknown>([
      '',
      'x'.repeat(513),
      'x'.repeat(512),
      42,
      null,
      undefined,
      1n,
      { id: 'fz-1' },
      ['fz-1'],
    ]);
  }

  uuid(): string {
    const r = this.rng;
    return `${r.hex(8)}-${r.hex(4)}-7${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`;
  }

  eventId(): unknown {
    const r = this.rng.next();
    if (r < 0.4) return undefined;
    if (r < 0.55 && this.ids.length > 0) return this.rng.pick(this.ids);
    if (r < 0.95) {
      const id = this.uuid();
      this.ids.push(id);
      return this.rng.chance(0.1) ? id.toUpperCase() : id;
    }
    return this.rng.pick<unknown>(['not-a-uuid', '', 7, null, 1n]);
  }

  /** A JSON-ish value: mostly JSON, sometimes something JSON cannot hold or would change. */
  value(depth = 0): unknown {
    const r = this.rng.next();
    if (depth > 3 || r < 0.45) return this.scalar();
    if (r < 0.65) return Array.from({ length: this.rng.int(4) }, () => this.value(depth + 1));
    if (r < 0.85) {
      const out: Record<string, unknown> = {};
      for (let i = this.rng.int(4); i > 0; i--) out[this.text(6, 0.02)] = this.value(depth + 1);
      return out;
    }
    return this.oddity(depth);
  }

  private scalar(): unknown {
    const r = this.rng.next();
    if (r < 0.25) return this.text();
    if (r < 0.45) return this.rng.int(2000) - 1000;
    if (r < 0.55) return this.rng.next() * 1e6;
    if (r < 0.65) return this.rng.chance(0.5);
    if (r < 0.75) return null;
    return this.rng.pick<unknown>([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -0,
      2 ** 60,
      1e308,
      undefined,
      5n,
      Symbol('s'),
      () => 1,
      new Date(Date.UTC(2026, 0, 1)),
      new Date(Number.NaN),
    ]);
  }

  private oddity(depth: number): unknown {
    const r = this.rng.int(9);
    switch (r) {
      case 0:
        return new Map([['a', 1]]);
      case 1:
        return new Set([1]);
      case 2:
        return new Money(5);
      case 3: {
        const cycle: Record<string, unknown> = { a: 1 };
        cycle['self'] = cycle;
        return cycle;
      }
      case 4: {
        let deep: unknown = 0;
        for (let i = this.rng.pick([10, 255, 300, 5000]); i > 0; i--) deep = [deep];
        return deep;
      }
      case 5: {
        const inner = this.value(depth + 1);
        return { toJSON: () => inner };
      }
      case 6:
        return Object.assign(Object.create(null) as object, { k: this.scalar() });
      case 7:
        return [1, undefined, 3];
      default:
        return 'x'.repeat(this.rng.pick([100, 5000]));
    }
  }

  metadata(): unknown {
    const r = this.rng.next();
    if (r < 0.5) return undefined;
    if (r < 0.9) {
      const out: Record<string, unknown> = {};
      if (this.rng.chance(0.5)) out['correlationId'] = this.idLike();
      if (this.rng.chance(0.3)) out['causationId'] = this.idLike();
      if (this.rng.chance(0.3))
        out['schemaVersion'] = this.rng.pick<unknown>([1, 2, 0, -1, 1.5, 2 ** 31 - 1, 2 ** 31, '2', null]);
      if (this.rng.chance(0.3)) out[this.text(5, 0)] = this.value(1);
      return out;
    }
    return this.rng.pick<unknown>([null, 'meta', [], new Date(0), 7]);
  }

  private idLike(): unknown {
    return this.rng.pick<unknown>([this.uuid(), 'c'.repeat(256), 'c'.repeat(257), 'é'.repeat(3000), 42, null, '']);
  }

  event(): unknown {
    if (this.rng.chance(0.03)) return this.rng.pick<unknown>([null, 'event', 3, []]);
    const type = this.rng.chance(0.9)
      ? this.rng.pick(['fz.happened', 'fz.other-thing', 'order.placed'])
      : this.rng.pick<unknown>(['', 'Bad Type', 'a..b', 'x'.repeat(201), 5, undefined]);
    const event: Record<string, unknown> = { type, data: this.value() };
    const id = this.eventId();
    if (id !== undefined) event['id'] = id;
    const metadata = this.metadata();
    if (metadata !== undefined) event['metadata'] = metadata;
    return event;
  }

  events(): unknown {
    if (this.rng.chance(0.04)) return this.rng.pick<unknown>([null, undefined, 'events', {}, 1]);
    return Array.from({ length: this.rng.pick([0, 1, 1, 1, 2, 3]) }, () => this.event());
  }

  expectedVersion(): unknown {
    return this.rng.pick<unknown>([
      'any',
      'no-stream',
      'exists',
      0n,
      1n,
      2n,
      3n,
      BigInt(this.rng.int(8)),
      -1n,
      2n ** 63n - 1n,
      2n ** 63n,
      1,
      null,
      'latest',
      undefined,
    ]);
  }

  /** An options object for `entry`: usually sensible, sometimes with a wrong key, type or shape. */
  options(known: readonly string[], value: (key: string) => unknown): unknown {
    const r = this.rng.next();
    if (r < 0.25) return undefined;
    if (r < 0.33) return this.rng.pick<unknown>([null, 'no-stream', 0n, 1, [], 'backward', true]);
    const out: Record<string, unknown> = {};
    for (const key of known) if (this.rng.chance(0.5)) out[key] = value(key);
    if (this.rng.chance(0.12)) {
      out[this.rng.pick(['expectedversion', 'From', 'limt', 'filter', 'mode', 'junk', known[0]!.toUpperCase()])] =
        this.value(2);
    }
    return out;
  }

  readValue(key: string): unknown {
    switch (key) {
      case 'from':
        return this.rng.pick<unknown>([0n, 1n, 2n, 5n, 100n, -1n, 2n ** 63n - 1n, 2n ** 63n, 1, null, '1']);
      case 'direction':
        return this.rng.pick<unknown>(['forward', 'backward', 'sideways', null]);
      case 'limit':
        return this.rng.pick<unknown>([0, 1, 2, 10, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null]);
      case 'filter':
        return this.rng.pick<unknown>([
          { types: ['fz.happened'] },
          { categories: ['fz'] },
          { types: [] },
          { types: 'fz.happened' },
          { type: ['fz.happened'] },
          null,
          'fz',
        ]);
      case 'time':
        return this.rng.pick<unknown>([
          new Date(0),
          new Date(Date.UTC(2100, 0, 1)),
          new Date(8.64e15),
          new Date(-8.64e15),
          new Date(Number.NaN),
          0,
          null,
        ]);
      default:
        return this.value(2);
    }
  }
}
