import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeadNotifier, type HeadChannel, type HeadChannelEvents, type HeadProbe } from './head-notifier.js';

/** Lets queued microtasks and promise chains run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

interface FakeStorage {
  head: bigint;
  reads: number;
  probe: HeadProbe;
}

function storage(extra: Partial<HeadProbe> = {}): FakeStorage {
  const s: FakeStorage = {
    head: 0n,
    reads: 0,
    probe: {
      readHead: () => {
        s.reads++;
        return Promise.resolve(s.head);
      },
      ...extra,
    },
  };
  return s;
}

function collector() {
  const errors: { error: unknown; context: string }[] = [];
  return { errors, onError: (error: unknown, context: string) => errors.push({ error, context }) };
}

describe('HeadNotifier: local commits', () => {
  it('tells listeners after the call, coalesced, with heads that only increase', async () => {
    const s = storage();
    const notifier = new HeadNotifier(s.probe, collector());
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    notifier.moved(1n);
    notifier.moved(3n);
    notifier.moved(2n);
    expect(heads).toEqual([]); // never inside the writer's call
    await flush();
    expect(heads).toEqual([3n]);
    notifier.moved(2n);
    notifier.moved(3n);
    await flush();
    expect(heads).toEqual([3n]);
    notifier.moved(4n);
    await flush();
    expect(heads).toEqual([3n, 4n]);
  });

  it('check() reads the head through the probe', async () => {
    const s = storage();
    const notifier = new HeadNotifier(s.probe, collector());
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    s.head = 7n;
    notifier.check();
    await flush();
    expect(heads).toEqual([7n]);
  });

  it('coalesces check() calls made during a read into one more read', async () => {
    let release!: () => void;
    let reads = 0;
    let head = 0n;
    const probe: HeadProbe = {
      readHead: () => {
        reads++;
        const at = head;
        return new Promise((resolve) => (release = () => resolve(at)));
      },
    };
    const notifier = new HeadNotifier(probe, collector());
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    head = 1n;
    notifier.check();
    head = 2n;
    notifier.check();
    notifier.check();
    expect(reads).toBe(1);
    release();
    await flush();
    expect(reads).toBe(2); // one more, for the calls made meanwhile
    release();
    await flush();
    expect(reads).toBe(2);
    expect(heads).toEqual([1n, 2n]);
  });

  it('reports listener errors (thrown or rejected) and still calls the other listeners', async () => {
    const c = collector();
    const notifier = new HeadNotifier(storage().probe, c);
    const heads: bigint[] = [];
    using _a = notifier.add(() => {
      throw new Error('sync');
    });
    // A listener typed as returning void may still return a promise: its rejection is reported too.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the case under test
    using _b = notifier.add(() => Promise.reject(new Error('async')));
    using _c = notifier.add((h) => heads.push(h));
    notifier.moved(1n);
    await flush();
    expect(heads).toEqual([1n]);
    expect(c.errors.map((e) => [(e.error as Error).message, e.context])).toEqual([
      ['sync', 'onHeadMoved listener'],
      ['async', 'onHeadMoved listener'],
    ]);
  });

  it('does not tell a listener about moves made before it registered, and stops after dispose', async () => {
    const notifier = new HeadNotifier(storage().probe, collector());
    notifier.moved(5n);
    await flush();
    const heads: bigint[] = [];
    const sub = notifier.add((h) => heads.push(h));
    notifier.moved(5n);
    await flush();
    expect(heads).toEqual([]);
    notifier.moved(6n);
    await flush();
    sub[Symbol.dispose]();
    notifier.moved(7n);
    await flush();
    expect(heads).toEqual([6n]);
  });

  it('after close() nothing is delivered', async () => {
    const notifier = new HeadNotifier(storage().probe, collector());
    const heads: bigint[] = [];
    notifier.add((h) => heads.push(h));
    notifier.moved(1n);
    await notifier.close();
    notifier.moved(2n);
    await flush();
    expect(heads).toEqual([]);
  });
});

describe('HeadNotifier: polling for other writers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls only while listeners exist, from a baseline, and reports what moved', async () => {
    const s = storage();
    s.head = 10n; // committed before anyone listened: never reported
    const notifier = new HeadNotifier(s.probe, { ...collector(), pollIntervalMs: 100 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.reads).toBe(0);
    const heads: bigint[] = [];
    const sub = notifier.add((h) => heads.push(h));
    await vi.advanceTimersByTimeAsync(250);
    expect(heads).toEqual([]);
    s.head = 12n; // another process commits
    await vi.advanceTimersByTimeAsync(100);
    expect(heads).toEqual([12n]);
    sub[Symbol.dispose]();
    const reads = s.reads;
    s.head = 13n;
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.reads).toBe(reads);
    expect(heads).toEqual([12n]);
    await notifier.close();
  });

  it('reads the head only when the cheap change test says something was committed', async () => {
    let version = 0;
    let seen = -1;
    const s = storage({
      changed: () => {
        const changed = seen !== -1 && version !== seen;
        seen = version;
        return changed;
      },
    });
    const notifier = new HeadNotifier(s.probe, { ...collector(), pollIntervalMs: 100 });
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    await vi.advanceTimersByTimeAsync(1000);
    const reads = s.reads; // the baseline only
    expect(reads).toBe(1);
    s.head = 4n;
    version++;
    await vi.advanceTimersByTimeAsync(100);
    expect(heads).toEqual([4n]);
    expect(s.reads).toBe(reads + 1);
    await notifier.close();
  });

  it('ignores transient poll errors, reports others, and keeps polling', async () => {
    const c = collector();
    const s = storage();
    let fail: Error | undefined;
    const probe: HeadProbe = {
      readHead: () => (fail === undefined ? s.probe.readHead() : Promise.reject(fail)),
    };
    const notifier = new HeadNotifier(probe, {
      ...c,
      pollIntervalMs: 100,
      isTransient: (e) => (e as Error).message === 'busy',
    });
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    await vi.advanceTimersByTimeAsync(100);
    fail = new Error('busy');
    await vi.advanceTimersByTimeAsync(300);
    fail = new Error('disk on fire');
    await vi.advanceTimersByTimeAsync(100);
    expect(c.errors.map((e) => [(e.error as Error).message, e.context])).toEqual([['disk on fire', 'head poll']]);
    fail = undefined;
    s.head = 2n;
    await vi.advanceTimersByTimeAsync(100);
    expect(heads).toEqual([2n]);
    await notifier.close();
  });
});

/** A push channel under the test's control. */
function fakeChannels() {
  const opened: { events: HeadChannelEvents; signal: AbortSignal; closed: boolean }[] = [];
  let mode: 'open' | 'fail' | 'hang' = 'open';
  let closeHangs = false;
  return {
    opened,
    set mode(m: 'open' | 'fail' | 'hang') {
      mode = m;
    },
    set closeHangs(v: boolean) {
      closeHangs = v;
    },
    open(events: HeadChannelEvents, signal: AbortSignal): Promise<HeadChannel> {
      const entry = { events, signal, closed: false };
      opened.push(entry);
      if (mode === 'fail') return Promise.reject(new Error('connection refused'));
      if (mode === 'hang') return new Promise<HeadChannel>(() => undefined);
      return Promise.resolve({
        close: () => {
          entry.closed = true;
          return closeHangs ? new Promise<void>(() => undefined) : Promise.resolve();
        },
      });
    },
  };
}

describe('HeadNotifier: push channel with polling as the fallback', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('verifies pushed heads by a read (a forged one is never delivered) and pauses the poll while open', async () => {
    const s = storage();
    const ch = fakeChannels();
    const notifier = new HeadNotifier(
      { ...s.probe, openChannel: (e, sig) => ch.open(e, sig) },
      {
        ...collector(),
        pollIntervalMs: 100,
      },
    );
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    await vi.advanceTimersByTimeAsync(0);
    expect(notifier.channelOpen).toBe(true);
    const reads = s.reads; // baseline + the read after opening
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.reads).toBe(reads);
    s.head = 3n;
    ch.opened[0]!.events.moved(3n);
    await flush();
    expect(heads).toEqual([3n]);
    expect(s.reads).toBe(reads + 1);
    ch.opened[0]!.events.moved(3n); // known already: not even a read
    ch.opened[0]!.events.moved(99n); // a stray message on the channel
    await flush();
    expect(heads).toEqual([3n]);
    expect(s.reads).toBe(reads + 2);
    await notifier.close();
    expect(ch.opened[0]!.closed).toBe(true);
  });

  it('after the channel drops: polls at once, keeps polling, reopens with back-off, reads the head again', async () => {
    const c = collector();
    const s = storage();
    const ch = fakeChannels();
    const notifier = new HeadNotifier(
      { ...s.probe, openChannel: (e, sig) => ch.open(e, sig) },
      {
        ...c,
        pollIntervalMs: 100,
        reconnectDelayMs: 50,
      },
    );
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    await vi.advanceTimersByTimeAsync(0);
    s.head = 5n; // committed while the channel dies: its notification never came
    ch.mode = 'fail';
    ch.opened[0]!.events.lost(new Error('terminated'));
    expect(ch.opened[0]!.closed).toBe(true);
    await flush();
    expect(heads).toEqual([5n]); // the immediate poll
    await vi.advanceTimersByTimeAsync(50); // first reopen fails
    expect(ch.opened.length).toBe(2);
    s.head = 6n;
    await vi.advanceTimersByTimeAsync(60); // the poll every 100 ms
    expect(heads).toEqual([5n, 6n]); // polling meanwhile
    ch.mode = 'open';
    s.head = 7n;
    await vi.advanceTimersByTimeAsync(40); // second reopen 100 ms after the first failure (doubled)
    expect(ch.opened.length).toBe(3);
    expect(notifier.channelOpen).toBe(true);
    expect(heads).toEqual([5n, 6n, 7n]);
    // One report per outage.
    expect(c.errors.map((e) => e.context)).toEqual(['head channel lost; polling until it is open again']);
    await notifier.close();
  });

  it('abandons an attempt that hangs (its signal aborts), polls meanwhile, and tries again', async () => {
    const s = storage();
    const ch = fakeChannels();
    ch.mode = 'hang';
    const c = collector();
    const notifier = new HeadNotifier(
      { ...s.probe, openChannel: (e, sig) => ch.open(e, sig) },
      {
        ...c,
        pollIntervalMs: 100,
        channelTimeoutMs: 1000,
        reconnectDelayMs: 10,
      },
    );
    const heads: bigint[] = [];
    using _l = notifier.add((h) => heads.push(h));
    s.head = 1n;
    await vi.advanceTimersByTimeAsync(100);
    expect(heads).toEqual([1n]);
    await vi.advanceTimersByTimeAsync(900);
    expect(ch.opened[0]!.signal.aborted).toBe(true);
    expect(c.errors[0]!.context).toBe('opening the head channel failed; polling until it opens');
    ch.mode = 'open';
    await vi.advanceTimersByTimeAsync(10);
    expect(notifier.channelOpen).toBe(true);
    await notifier.close();
  });

  it('close() returns within its bound even when the channel never finishes closing or opening', async () => {
    const ch = fakeChannels();
    ch.closeHangs = true;
    const notifier = new HeadNotifier(
      { ...storage().probe, openChannel: (e, sig) => ch.open(e, sig) },
      {
        ...collector(),
        channelTimeoutMs: 500,
      },
    );
    using _l = notifier.add(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    let closed = false;
    void notifier.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);

    const hanging = fakeChannels();
    hanging.mode = 'hang';
    const opening = new HeadNotifier(
      { ...storage().probe, openChannel: (e, sig) => hanging.open(e, sig) },
      {
        ...collector(),
        channelTimeoutMs: 500,
      },
    );
    using _m = opening.add(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    let done = false;
    void opening.close().then(() => (done = true));
    expect(hanging.opened[0]!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(true);
  });
});
