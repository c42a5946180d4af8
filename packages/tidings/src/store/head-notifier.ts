import type { HeadListener } from './types.js';

/**
 * What a store tells the {@link HeadNotifier} about its storage: how to read the committed head,
 * and optionally a cheap change test and a push channel for other writers' commits.
 */
export interface HeadProbe {
  /** The highest committed position, as any reader would see it now. */
  readHead(): Promise<bigint>;
  /**
   * A cheap test run before each poll reads the head (SQLite: `PRAGMA data_version`): `false`
   * when nothing can have been committed since its previous call. Its first call sets the baseline.
   * Without it every poll reads the head.
   */
  changed?(): boolean;
  /**
   * Opens a push channel for other writers' commits (PostgreSQL: LISTEN on a dedicated
   * connection). While it is open the poll pauses; when it is lost the notifier polls and opens
   * it again with back-off. An attempt not settled within the notifier's `channelTimeoutMs` is
   * abandoned: `signal` aborts (stop connecting) and a channel that opens later is closed.
   */
  openChannel?(events: HeadChannelEvents, signal: AbortSignal): Promise<HeadChannel>;
}

/** Given to {@link HeadProbe.openChannel}: how the channel reports. */
export interface HeadChannelEvents {
  /**
   * A writer (another process, or this one) says it committed up to `head`. Taken as a hint: the
   * notifier reads the head through the probe before telling anyone, so a stray or forged message
   * on the channel can cause a read, never a wrong head.
   */
  moved(head: bigint): void;
  /** The channel stopped delivering (its connection dropped). Calling it more than once is harmless. */
  lost(error: unknown): void;
}

/** An open push channel. */
export interface HeadChannel {
  /** Stops delivering and releases the connection. The notifier bounds the wait. */
  close(): Promise<void>;
}

/** Options of {@link HeadNotifier}. */
export interface HeadNotifierOptions {
  /**
   * How often to look for other writers' commits while listeners exist and no channel is open,
   * in ms. Omit for a store that no other writer can reach (the in-memory store).
   */
  readonly pollIntervalMs?: number | undefined;
  /** Receives listener errors and failures of the poll and the channel, with what failed. */
  readonly onError: (error: unknown, context: string) => void;
  /** Poll errors that are expected and retried at the next tick without a report (SQLite's busy file). */
  readonly isTransient?: ((error: unknown) => boolean) | undefined;
  /** Bound on opening and on closing the channel, in ms. Default 10 000. */
  readonly channelTimeoutMs?: number | undefined;
  /** First delay before opening a lost channel again, doubled per failed attempt. Default 100 ms. */
  readonly reconnectDelayMs?: number | undefined;
  /** Longest delay between attempts to open the channel. Default 5000 ms. */
  readonly maxReconnectDelayMs?: number | undefined;
}

type Timer = ReturnType<typeof setTimeout>;

/** An unref'd platform timer: head polling is I/O liveness, not domain time, and never keeps a process alive. */
function later(ms: number, fn: () => void): Timer {
  const timer = setTimeout(fn, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Settles when `promise` does or after `ms`, whichever comes first; never rejects. */
function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = later(ms, resolve);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * The one implementation of `onHeadMoved` every store uses. Listeners are called asynchronously
 * (on a microtask) after the commit that moved the head, never inside the writer's call; calls
 * are coalesced (one call with the latest head when several moves land before it runs); the head
 * a listener sees only increases; listener errors go to `onError`.
 *
 * The store reports its own commits with {@link moved} (the head is known) or {@link check} (the
 * head is read through the probe). Other writers' commits are found through the probe while at
 * least one listener exists: a push channel when the store has one, else a poll every
 * `pollIntervalMs` (a cheap change test first, when the store has one). The poll is the fallback
 * while the channel is down; on every (re)open the head is read once, so a commit made while the
 * channel was down is not missed.
 *
 * @example
 * const notifier = new HeadNotifier({ readHead: async () => head }, { onError: console.error });
 * using _sub = notifier.add((h) => console.log('head moved to', h));
 * head = 3n;
 * notifier.moved(3n); // the listener runs on a microtask with 3n
 */
export class HeadNotifier {
  readonly #probe: HeadProbe;
  readonly #pollIntervalMs: number | undefined;
  readonly #onError: (error: unknown, context: string) => void;
  readonly #isTransient: (error: unknown) => boolean;
  readonly #channelTimeoutMs: number;
  readonly #reconnectDelayMs: number;
  readonly #maxReconnectDelayMs: number;
  readonly #listeners = new Set<HeadListener>();
  /** Highest head delivered, or taken as the baseline; -1n before any. */
  #known = -1n;
  /** Highest head waiting for the scheduled delivery; -1n when none is scheduled. */
  #pending = -1n;
  #closed = false;
  #reading = false;
  #readAgain = false;
  /** Incremented whenever watching stops, so late results of an earlier session are dropped. */
  #session = 0;
  #watching = false;
  #pollTimer: Timer | undefined;
  #polling = false;
  #channel: HeadChannel | undefined;
  #opening: { readonly abort: AbortController; readonly settled: Promise<unknown> } | undefined;
  #reconnectTimer: Timer | undefined;
  #attempts = 0;
  #reportedOutage = false;
  readonly #closing = new Set<Promise<unknown>>();

  constructor(probe: HeadProbe, options: HeadNotifierOptions) {
    this.#probe = probe;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#onError = options.onError;
    this.#isTransient = options.isTransient ?? (() => false);
    this.#channelTimeoutMs = options.channelTimeoutMs ?? 10_000;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? 100;
    this.#maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5000;
  }

  /** Number of registered listeners. */
  get size(): number {
    return this.#listeners.size;
  }

  /** True while the push channel is open (the poll is paused). */
  get channelOpen(): boolean {
    return this.#channel !== undefined;
  }

  /** Registers a listener; disposing the handle removes it. Watching runs only while listeners exist. */
  add(listener: HeadListener): Disposable {
    this.#listeners.add(listener);
    if (!this.#watching && !this.#closed) this.#start();
    return {
      [Symbol.dispose]: () => {
        this.#listeners.delete(listener);
        if (this.#listeners.size === 0 && this.#watching) this.#stop();
      },
    };
  }

  /** A commit reached `head`: listeners are told on a microtask unless they already know a higher head. */
  moved(head: bigint): void {
    if (this.#closed || head <= this.#known || head <= this.#pending) return;
    if (this.#listeners.size === 0) {
      // Nobody to tell: remember it, so a listener added later is not told about the past.
      this.#known = head;
      return;
    }
    const scheduled = this.#pending >= 0n;
    this.#pending = head;
    if (!scheduled) queueMicrotask(() => this.#deliver());
  }

  /**
   * A commit whose head is not at hand: read it through the probe, then as {@link moved}. Calls
   * during a read are coalesced into one more read after it.
   */
  check(): void {
    if (this.#closed || this.#listeners.size === 0) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    this.#probe
      .readHead()
      .then(
        (head) => this.moved(head),
        (error: unknown) => {
          // A read cut short by close() is not worth a report.
          if (!this.#closed && !this.#isTransient(error)) this.#onError(error, 'reading the head after a commit');
        },
      )
      .finally(() => {
        this.#reading = false;
        if (this.#readAgain) {
          this.#readAgain = false;
          this.check();
        }
      });
  }

  /** Stops watching and drops every listener. Always settles, within twice `channelTimeoutMs`. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#listeners.clear();
      this.#stop();
    }
    // Each wait is bounded; an attempt that still opened a channel adds that channel's close.
    while (this.#closing.size > 0) await Promise.all([...this.#closing]);
  }

  #deliver(): void {
    const head = this.#pending;
    this.#pending = -1n;
    if (this.#closed || head <= this.#known) return;
    this.#known = head;
    for (const listener of [...this.#listeners]) {
      try {
        const result: unknown = listener(head);
        if (result instanceof Promise) result.catch((error: unknown) => this.#onError(error, 'onHeadMoved listener'));
      } catch (error) {
        this.#onError(error, 'onHeadMoved listener');
      }
    }
  }

  #start(): void {
    this.#watching = true;
    const session = ++this.#session;
    if (this.#pollIntervalMs === undefined && this.#probe.openChannel === undefined) return;
    // Baseline first, so the first poll reports only commits made after watching started.
    if (this.#probe.changed !== undefined) this.#safeChanged();
    this.#probe.readHead().then(
      (head) => {
        if (session !== this.#session) return;
        if (head > this.#known && this.#pending < 0n) this.#known = head;
        this.#afterBaseline(session);
      },
      (error: unknown) => {
        if (session !== this.#session) return;
        if (!this.#isTransient(error)) this.#onError(error, 'reading the head');
        this.#afterBaseline(session);
      },
    );
  }

  #afterBaseline(session: number): void {
    if (this.#probe.openChannel !== undefined) this.#open(session);
    this.#schedulePoll(session);
  }

  #stop(): void {
    this.#watching = false;
    this.#session++;
    if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#pollTimer = undefined;
    this.#reconnectTimer = undefined;
    this.#attempts = 0;
    this.#reportedOutage = false;
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening !== undefined) {
      // Stop connecting; a channel the attempt still returns is closed by its own handler.
      opening.abort.abort();
      this.#track(bounded(opening.settled, this.#channelTimeoutMs));
    }
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel !== undefined) this.#closeChannel(channel);
  }

  /** Keeps `done` (which never rejects) until it settles, so close() can wait for it. */
  #track(done: Promise<void>): void {
    this.#closing.add(done);
    void done.then(() => this.#closing.delete(done));
  }

  #closeChannel(channel: HeadChannel): void {
    this.#track(
      bounded(
        channel.close().catch((error: unknown) => this.#onError(error, 'closing the head channel')),
        this.#channelTimeoutMs,
      ),
    );
  }

  // --- the poll: runs while watching and no channel is open -------------------------------------

  #schedulePoll(session: number): void {
    const interval = this.#pollIntervalMs;
    if (interval === undefined || session !== this.#session || this.#channel !== undefined) return;
    if (this.#pollTimer !== undefined || this.#polling) return;
    this.#pollTimer = later(interval, () => {
      this.#pollTimer = undefined;
      void this.#poll(session);
    });
  }

  async #poll(session: number): Promise<void> {
    if (session !== this.#session || this.#channel !== undefined) return;
    this.#polling = true;
    try {
      if (this.#probe.changed === undefined || this.#safeChanged()) {
        const head = await this.#probe.readHead();
        if (session === this.#session) this.moved(head);
      }
    } catch (error) {
      if (session === this.#session && !this.#isTransient(error)) this.#onError(error, 'head poll');
    } finally {
      this.#polling = false;
      this.#schedulePoll(session);
    }
  }

  #safeChanged(): boolean {
    try {
      return this.#probe.changed?.() ?? true;
    } catch (error) {
      if (!this.#isTransient(error)) this.#onError(error, 'head poll');
      return false;
    }
  }

  // --- the push channel ------------------------------------------------------------------------

  #open(session: number): void {
    const probe = this.#probe;
    if (probe.openChannel === undefined || this.#opening !== undefined || session !== this.#session) return;
    const abort = new AbortController();
    let current: HeadChannel | undefined;
    let lost = false;
    const events: HeadChannelEvents = {
      moved: (head) => {
        // A hint, verified by a read: only a head this notifier does not know yet is worth one.
        if (session === this.#session && !lost && head > this.#known && head > this.#pending) this.check();
      },
      lost: (error) => {
        if (lost) return;
        lost = true;
        if (current !== undefined && this.#channel === current) this.#channelLost(session, current, error);
      },
    };
    let attempt: Promise<HeadChannel>;
    try {
      attempt = probe.openChannel(events, abort.signal);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    let timedOut = false;
    const mine = (): boolean => this.#opening?.abort === abort;
    const timer = later(this.#channelTimeoutMs, () => {
      timedOut = true;
      abort.abort();
      if (mine()) this.#opening = undefined;
      this.#openFailed(
        session,
        new Error(`Opening the head channel took longer than ${this.#channelTimeoutMs} ms; polling meanwhile.`),
      );
    });
    const settled = attempt.then(
      (channel) => {
        clearTimeout(timer);
        if (mine()) this.#opening = undefined;
        if (timedOut || session !== this.#session || lost) {
          // Too late, watching stopped, or it dropped while opening: close it (and retry if still watching).
          this.#closeChannel(channel);
          if (!timedOut && lost) this.#openFailed(session, new Error('The head channel dropped while it was opening.'));
          return;
        }
        current = channel;
        this.#channel = channel;
        this.#attempts = 0;
        this.#reportedOutage = false;
        if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
        this.#pollTimer = undefined;
        // Anything committed while the channel was not listening yet.
        this.check();
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (mine()) this.#opening = undefined;
        if (!timedOut) this.#openFailed(session, error);
      },
    );
    this.#opening = { abort, settled };
  }

  #channelLost(session: number, channel: HeadChannel, error: unknown): void {
    this.#channel = undefined;
    this.#closeChannel(channel);
    if (session !== this.#session) return;
    this.#report(error, 'head channel lost; polling until it is open again');
    // Poll at once: a commit may have landed while the channel was dying.
    void this.#poll(session);
    this.#scheduleReopen(session);
  }

  #openFailed(session: number, error: unknown): void {
    if (session !== this.#session) return;
    this.#report(error, 'opening the head channel failed; polling until it opens');
    this.#schedulePoll(session);
    this.#scheduleReopen(session);
  }

  #scheduleReopen(session: number): void {
    if (this.#reconnectTimer !== undefined || session !== this.#session) return;
    const delay = Math.min(this.#maxReconnectDelayMs, this.#reconnectDelayMs * 2 ** this.#attempts);
    this.#attempts = Math.min(this.#attempts + 1, 30);
    this.#reconnectTimer = later(delay, () => {
      this.#reconnectTimer = undefined;
      this.#open(session);
    });
  }

  /** One report per outage: the first failure after the channel was last open. */
  #report(error: unknown, context: string): void {
    if (this.#reportedOutage) return;
    this.#reportedOutage = true;
    this.#onError(error, context);
  }
}
