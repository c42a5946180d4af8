import { Deque } from '../bus/deque.js';
import { TidingsError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { systemClock } from '../time/clock.js';
import { StageError } from './errors.js';
import type { StageErrorPolicy } from './options.js';
import type {
  PipelineOptions,
  PipelineState,
  PipelineStats,
  RunningPipeline,
  Sink,
  Source,
  StageStats,
} from './pipeline-types.js';
import type { Op, RunnerHost } from './runner.js';
import { END, PUSH, Runner, TIMER } from './runner.js';
import type { DecouplingStage, DiscardReason, Discarded, Stage, StageContext, StageLogic } from './stage.js';
import { isThenable } from './stage.js';

interface Slot {
  name: string;
  readonly kind: string;
  readonly policy: StageErrorPolicy;
  readonly runner: Runner;
  logic: StageLogic<unknown>;
  timer: TimerHandle | undefined;
  timerAt: number;
  in: number;
  out: number;
  skipped: number;
  late: number;
  dropped: number;
  throttled: number;
}

interface Consumer<O> {
  resolve(result: IteratorResult<O>): void;
  reject(error: unknown): void;
}

const IDLE_LOGIC: StageLogic<unknown> = {
  push() {
    throw new TidingsError('INTERNAL', 'The end of a pipeline received an item before it was consumed.');
  },
};

/**
 * One run of a pipeline: the stages' logic, the runners that serialize them (one per segment; a
 * `buffer` starts a new segment), the driver that pulls the source whenever the first segment is
 * idle, and the end that hands results to an iterator's consumer or to a sink.
 */
export class PipelineRun<O> implements RunningPipeline<O>, RunnerHost {
  readonly #source: Source<unknown>;
  readonly #slots: Slot[] = [];
  readonly #runners: Runner[] = [];
  readonly #clock: Clock;
  readonly #onDiscard: ((discarded: Discarded) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => void this.stop();
  #state: PipelineState = 'ready';
  #halted = false;
  #mode: 'iterate' | 'sink' | undefined;
  #iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  #in = 0;
  #out = 0;
  #discardedOnStop = 0;
  #startedAt = 0;
  #lastStats = { at: 0, in: 0 };
  #failure: StageError | undefined;
  #failureSurfaced = false;
  readonly #outbox = new Deque<O>();
  readonly #consumers = new Deque<Consumer<O>>();
  #taken: (() => void) | undefined;
  #done: { promise: Promise<PipelineStats>; resolve(s: PipelineStats): void; reject(e: unknown): void } | undefined;

  constructor(source: Source<unknown>, stages: readonly Stage<unknown, unknown>[], options: PipelineOptions) {
    this.#source = source;
    this.#clock = options.clock ?? systemClock;
    this.#onDiscard = options.onDiscard;
    this.#signal = options.signal;
    let runner = new Runner(this);
    this.#runners.push(runner);
    const names = new Map<string, number>();
    const unique = (name: string): string => {
      const seen = names.get(name) ?? 0;
      names.set(name, seen + 1);
      return seen === 0 ? name : `${name}#${seen + 1}`;
    };
    for (const stage of stages) {
      this.#slots.push(
        this.#slot(unique(stage.name), stage.kind, stage.onError ?? options.onError ?? stage.defaultOnError, runner),
      );
      if ((stage as Partial<DecouplingStage<unknown, unknown>>).decouples === true) {
        runner = new Runner(this);
        this.#runners.push(runner);
      }
    }
    // The end of the pipeline (iterator or sink) is a slot too: it is serialized and counted like a stage.
    this.#slots.push(this.#slot('output', 'output', options.onError ?? 'stop', runner));
    stages.forEach((stage, index) => {
      const slot = this.#slots[index] as Slot;
      slot.logic = stage.open(this.#context(index));
    });
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) this.#halt('stopped');
      else this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  get stopped(): boolean {
    return this.#halted;
  }

  // ---- consuming ------------------------------------------------------------------------

  next(): Promise<IteratorResult<O>> {
    if (this.#mode !== 'iterate') this.#consume('iterate', this.#iterateOutput);
    if (this.#outbox.length > 0) {
      const value = this.#outbox.shift() as O;
      this.#out++;
      if (this.#outbox.length === 0) this.#releaseTaken();
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure !== undefined && !this.#failureSurfaced) {
      this.#failureSurfaced = true;
      return Promise.reject(this.#failure);
    }
    if (this.#halted) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#consumers.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<O>> {
    await this.stop();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  pipeTo(sink: Sink<O>): Promise<PipelineStats> {
    const write = typeof sink === 'function' ? sink : sink.write.bind(sink);
    const name = typeof sink === 'function' ? undefined : sink.name;
    this.#consume(
      'sink',
      {
        push: (item) => {
          this.#out++;
          const written = write(item as O);
          return isThenable(written) ? Promise.resolve(written).then(() => undefined) : undefined;
        },
      },
      name,
    );
    return this.#whenDone();
  }

  stop(): Promise<PipelineStats> {
    this.#halt('stopped');
    return Promise.resolve(this.stats());
  }

  stats(): PipelineStats {
    const now = this.#clock.now();
    const started = this.#state !== 'ready';
    const elapsedMs = started ? Math.max(0, now - this.#startedAt) : 0;
    const since = Math.max(0, now - this.#lastStats.at);
    const recentPerSecond = started && since > 0 ? ((this.#in - this.#lastStats.in) * 1000) / since : 0;
    if (started) this.#lastStats = { at: now, in: this.#in };
    let buffered = 0;
    let lagMs = 0;
    const totals = { skipped: 0, late: 0, dropped: 0, throttled: 0 };
    const stages: StageStats[] = this.#slots.slice(0, -1).map((slot) => {
      const held = this.#halted ? 0 : (slot.logic.held?.() ?? 0);
      const details = slot.logic.details?.();
      const lag = details?.['lagMs'];
      if (typeof lag === 'number' && lag > lagMs) lagMs = lag;
      buffered += held;
      totals.skipped += slot.skipped;
      totals.late += slot.late;
      totals.dropped += slot.dropped;
      totals.throttled += slot.throttled;
      return {
        name: slot.name,
        kind: slot.kind,
        in: slot.in,
        out: slot.out,
        skipped: slot.skipped,
        late: slot.late,
        dropped: slot.dropped,
        throttled: slot.throttled,
        held,
        details,
      };
    });
    const output = this.#slots[this.#slots.length - 1] as Slot;
    totals.skipped += output.skipped;
    const source = this.#source as { stats?: unknown };
    return {
      state: this.#state,
      in: this.#in,
      out: this.#out,
      elapsedMs,
      perSecond: elapsedMs > 0 ? (this.#in * 1000) / elapsedMs : 0,
      recentPerSecond,
      lagMs,
      buffered,
      ...totals,
      discardedOnStop: this.#discardedOnStop,
      error: this.#failure,
      source: typeof source.stats === 'function' ? (source.stats as () => unknown).call(this.#source) : undefined,
      stages,
    };
  }

  // ---- the runners' host ----------------------------------------------------------------

  call(index: number, op: Op, value: unknown): void | PromiseLike<unknown> {
    const slot = this.#slots[index] as Slot;
    if (op === PUSH) {
      slot.in++;
      return slot.logic.push(value);
    }
    if (op === TIMER) return slot.logic.onTimer?.(this.#clock.now());
    let ended: void | Promise<void>;
    try {
      ended = slot.logic.end?.();
    } catch (error) {
      this.failed(index, END, undefined, error);
      ended = undefined;
    }
    if (ended === undefined) {
      this.#endAfter(index);
      return undefined;
    }
    return ended.then(
      () => this.#endAfter(index),
      (error: unknown) => {
        this.failed(index, END, undefined, error);
        this.#endAfter(index);
      },
    );
  }

  failed(index: number, op: Op, value: unknown, error: unknown): void {
    if (this.#halted) return;
    const slot = this.#slots[index] as Slot;
    const item = op === PUSH ? value : undefined;
    if (slot.policy === 'skip') {
      slot.skipped++;
      this.#report({ stage: slot.name, reason: 'error', item, error });
      return;
    }
    this.#fail(new StageError(slot.name, error, item));
  }

  // ---- internals ------------------------------------------------------------------------

  #slot(name: string, kind: string, policy: StageErrorPolicy, runner: Runner): Slot {
    return {
      name,
      kind,
      policy,
      runner,
      logic: IDLE_LOGIC,
      timer: undefined,
      timerAt: Number.POSITIVE_INFINITY,
      in: 0,
      out: 0,
      skipped: 0,
      late: 0,
      dropped: 0,
      throttled: 0,
    };
  }

  #context(index: number): StageContext<unknown> {
    const slot = this.#slots[index] as Slot;
    const next = this.#slots[index + 1] as Slot;
    const crossing = next.runner !== slot.runner;
    return {
      clock: this.#clock,
      name: slot.name,
      // Typed `void` for stage authors; across a buffer it returns a promise that only the buffer reads (emitAndWait).
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      emit: (item: unknown): void | Promise<void> => {
        slot.out++;
        next.runner.submit(index + 1, PUSH, item);
        // Across a buffer, the buffer's worker waits until the next segment has taken the item.
        if (crossing && !next.runner.idle) return next.runner.whenIdle();
        return undefined;
      },
      wakeAt: (at: number): void => {
        if (this.#halted || (slot.timer !== undefined && slot.timerAt <= at)) return;
        slot.timer?.cancel();
        slot.timerAt = at;
        slot.timer = this.#clock.setTimeout(
          () => {
            slot.timer = undefined;
            slot.timerAt = Number.POSITIVE_INFINITY;
            slot.runner.submit(index, TIMER, undefined);
          },
          Math.max(0, at - this.#clock.now()),
        );
      },
      discard: (item, reason, detail) => {
        this.#count(slot, reason);
        this.#report({ stage: slot.name, reason, item, ...detail });
      },
    };
  }

  #count(slot: Slot, reason: DiscardReason): void {
    if (reason === 'late') slot.late++;
    else if (reason === 'overflow') slot.dropped++;
    else if (reason === 'throttled') slot.throttled++;
    else slot.skipped++;
  }

  #report(discarded: Discarded): void {
    if (this.#onDiscard === undefined) return;
    try {
      this.#onDiscard(discarded);
    } catch (error) {
      this.#fail(new StageError('onDiscard', error, discarded.item));
    }
  }

  #consume(mode: 'iterate' | 'sink', output: StageLogic<unknown>, name?: string): void {
    if (this.#mode !== undefined) {
      throw new TidingsError(
        'PIPELINE_CONSUMED',
        `This pipeline is already consumed by ${this.#mode === 'iterate' ? 'an iterator' : 'pipeTo()'}; a running pipeline has one consumer. Start the pipeline again for another.`,
      );
    }
    this.#mode = mode;
    const slot = this.#slots[this.#slots.length - 1] as Slot;
    slot.logic = output;
    if (name !== undefined) slot.name = name;
    if (!this.#halted) void this.#drive();
  }

  async #drive(): Promise<void> {
    this.#state = 'running';
    this.#startedAt = this.#clock.now();
    this.#lastStats = { at: this.#startedAt, in: 0 };
    const first = (this.#slots[0] as Slot).runner;
    const source = this.#source;
    let iterator: Iterator<unknown> | AsyncIterator<unknown>;
    let sync: boolean;
    try {
      sync = !(Symbol.asyncIterator in source);
      iterator = sync
        ? (source as Iterable<unknown>)[Symbol.iterator]()
        : (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      this.#iterator = iterator;
      for (;;) {
        if (!first.idle) await first.whenIdle();
        if (this.#halted) return;
        const step = sync ? (iterator as Iterator<unknown>).next() : await iterator.next();
        if (this.#halted) {
          if (step.done !== true) this.#discardedOnStop++;
          return;
        }
        if (step.done === true) break;
        this.#in++;
        first.submit(0, PUSH, step.value);
      }
    } catch (error) {
      this.#fail(new StageError('source', error, undefined));
      return;
    }
    first.submit(0, END, undefined);
  }

  #endAfter(index: number): void {
    if (index === this.#slots.length - 1) {
      this.#finish();
      return;
    }
    (this.#slots[index + 1] as Slot).runner.submit(index + 1, END, undefined);
  }

  #finish(): void {
    if (this.#halted) return;
    this.#halted = true;
    this.#state = 'ended';
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#cancelTimers();
    for (let c = this.#consumers.shift(); c !== undefined; c = this.#consumers.shift()) {
      c.resolve({ value: undefined, done: true });
    }
    this.#done?.resolve(this.stats());
  }

  #fail(error: StageError): void {
    if (this.#halted) return;
    this.#failure = error;
    this.#halt('failed');
  }

  #halt(state: 'stopped' | 'failed'): void {
    if (this.#halted) return;
    this.#halted = true;
    this.#state = state;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#cancelTimers();
    for (const slot of this.#slots) this.#discardedOnStop += slot.logic.stop?.() ?? 0;
    for (const runner of this.#runners) this.#discardedOnStop += runner.clear();
    if (state === 'stopped') {
      this.#discardedOnStop += this.#outbox.length;
      this.#outbox.clear();
    }
    this.#releaseTaken();
    const iterator = this.#iterator;
    if (iterator?.return !== undefined) {
      // Not awaited: an async generator blocked in its own await would hold stop() forever.
      try {
        const returned = iterator.return();
        if (isThenable(returned)) returned.then(undefined, () => undefined);
      } catch {
        // The source's own cleanup failed; the pipeline is stopped either way.
      }
    }
    for (let c = this.#consumers.shift(); c !== undefined; c = this.#consumers.shift()) {
      if (this.#failure !== undefined && !this.#failureSurfaced) {
        this.#failureSurfaced = true;
        c.reject(this.#failure);
      } else {
        c.resolve({ value: undefined, done: true });
      }
    }
    if (this.#done !== undefined) {
      if (this.#failure !== undefined) {
        this.#failureSurfaced = true;
        this.#done.reject(this.#failure);
      } else {
        this.#done.resolve(this.stats());
      }
    }
  }

  #cancelTimers(): void {
    for (const slot of this.#slots) {
      slot.timer?.cancel();
      slot.timer = undefined;
    }
  }

  #releaseTaken(): void {
    const taken = this.#taken;
    this.#taken = undefined;
    taken?.();
  }

  #whenDone(): Promise<PipelineStats> {
    if (this.#done === undefined) {
      let resolve!: (s: PipelineStats) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<PipelineStats>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#done = { promise, resolve, reject };
      if (this.#state === 'ended' || this.#state === 'stopped') resolve(this.stats());
      else if (this.#state === 'failed' && this.#failure !== undefined) {
        this.#failureSurfaced = true;
        reject(this.#failure);
      }
    }
    return this.#done.promise;
  }

  /** The end of an iterated pipeline: hand the item to a waiting consumer, or hold it until one comes. */
  readonly #iterateOutput: StageLogic<unknown> = {
    push: (item) => {
      const consumer = this.#consumers.shift();
      if (consumer !== undefined) {
        this.#out++;
        consumer.resolve({ value: item as O, done: false });
        return undefined;
      }
      this.#outbox.push(item as O);
      return new Promise<void>((resolve) => (this.#taken = resolve));
    },
  };
}
