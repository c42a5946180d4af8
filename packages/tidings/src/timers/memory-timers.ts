import type { SerializedError } from '../reliability/serialize-error.js';
import type { AppendOptions, AppendResult, EventToAppend } from '../store/types.js';
import { appendEach } from './append-each.js';
import type {
  FiredMessage,
  FiredOutcome,
  ParkedTimerFilter,
  ScheduledTimer,
  ScheduleRequest,
  TransactionTimers,
} from './timer-types.js';
import {
  assertClaim,
  assertTimerId,
  parkedTimerLimit,
  prepareParking,
  prepareTimer,
  toScheduledTimer,
  type PreparedTimer,
} from './timer-validation.js';

/** A stored timer: pending, or parked (with when and why). */
type TimerRow = PreparedTimer & { readonly parkedAt?: number; readonly error?: string };
type Append = (streamId: string, events: readonly EventToAppend[], options: AppendOptions) => Promise<AppendResult>;

const pending = (t: TimerRow): boolean => t.parkedAt === undefined;

const byDue = (a: PreparedTimer, b: PreparedTimer): number =>
  a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The committed timers of an in-memory store. Changed only by a committing transaction (under the write lock). */
export class MemoryTimerState {
  readonly timers = new Map<string, TimerRow>();

  constructor(
    private readonly now: () => number,
    private readonly maxEventBytes: number,
  ) {}

  /** A transaction's view: its changes are kept aside and applied by `commit()`. `append` is the transaction's. */
  draft(append: Append): MemoryTimerDraft {
    return new MemoryTimerDraft(this, this.now, this.maxEventBytes, append);
  }
}

/** `tx.timers` of the in-memory store. The transaction holds the write lock, so claims cannot race. */
export class MemoryTimerDraft implements TransactionTimers {
  /** id -> timer, or null when removed in this transaction. */
  private readonly changes = new Map<string, TimerRow | null>();

  constructor(
    private readonly base: MemoryTimerState,
    private readonly now: () => number,
    private readonly maxEventBytes: number,
    private readonly append: Append,
  ) {}

  commit(): void {
    for (const [id, t] of this.changes) {
      if (t === null) this.base.timers.delete(id);
      else this.base.timers.set(id, t);
    }
  }

  private view(id: string): TimerRow | undefined {
    const changed = this.changes.get(id);
    return changed === null ? undefined : (changed ?? this.base.timers.get(id));
  }

  private all(): TimerRow[] {
    const out: TimerRow[] = [];
    for (const [id, t] of this.base.timers) if (!this.changes.has(id)) out.push(t);
    for (const t of this.changes.values()) if (t !== null) out.push(t);
    return out;
  }

  schedule(request: ScheduleRequest): Promise<boolean> {
    return settle(() => {
      const timer = prepareTimer(request, this.now(), this.maxEventBytes);
      if (this.view(timer.id) !== undefined) return false;
      this.changes.set(timer.id, timer);
      return true;
    });
  }

  cancel(id: string): Promise<boolean> {
    return settle(() => {
      const key = assertTimerId('cancel', id);
      const t = this.view(key);
      if (t === undefined || !pending(t)) return false;
      this.changes.set(key, null);
      return true;
    });
  }

  get(id: string): Promise<ScheduledTimer | undefined> {
    return settle(() => {
      const t = this.view(assertTimerId('get', id));
      return t === undefined ? undefined : toScheduledTimer(t);
    });
  }

  claimDue(now: Date, limit: number): Promise<ScheduledTimer[]> {
    return settle(() => {
      assertClaim(now, limit);
      const due = earliest(
        this.all().filter((t) => pending(t) && t.dueAt <= now.getTime()),
        limit,
      );
      for (const t of due) this.changes.set(t.id, null);
      return due.map(toScheduledTimer);
    });
  }

  nextDueAt(): Promise<Date | undefined> {
    return settle(() => {
      let min: number | undefined;
      for (const t of this.all()) if (pending(t) && (min === undefined || t.dueAt < min)) min = t.dueAt;
      return min === undefined ? undefined : new Date(min);
    });
  }

  count(): Promise<number> {
    return settle(() => this.all().filter(pending).length);
  }

  appendFired(messages: readonly FiredMessage[]): Promise<FiredOutcome[]> {
    return appendEach(this.append, () => undefined, messages);
  }

  park(timer: ScheduledTimer, error: SerializedError): Promise<void> {
    return settle(() => {
      const row = prepareParking(timer, error, this.now());
      this.changes.set(row.id, row);
    });
  }

  listParked(filter?: ParkedTimerFilter): Promise<ScheduledTimer[]> {
    return settle(() => {
      const limit = parkedTimerLimit(filter);
      return this.all()
        .filter((t) => !pending(t))
        .sort((a, b) => a.parkedAt! - b.parkedAt! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
        .map(toScheduledTimer);
    });
  }

  retryParked(id: string): Promise<boolean> {
    return settle(() => {
      const key = assertTimerId('retryParked', id);
      const t = this.view(key);
      if (t === undefined || pending(t)) return false;
      const { parkedAt: _at, error: _error, ...rest } = t;
      this.changes.set(key, rest);
      return true;
    });
  }

  skipParked(id: string): Promise<boolean> {
    return settle(() => {
      const key = assertTimerId('skipParked', id);
      const t = this.view(key);
      if (t === undefined || pending(t)) return false;
      this.changes.set(key, null);
      return true;
    });
  }
}

/**
 * The `limit` earliest timers by (due, id), sorted, without sorting them all: one pass keeping a
 * sorted window (a batch of 100 out of 100 000 due timers must not sort 100 000 per batch).
 */
function earliest(timers: readonly TimerRow[], limit: number): TimerRow[] {
  const best: TimerRow[] = [];
  for (const t of timers) {
    if (best.length === limit && byDue(t, best[limit - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byDue(best[mid]!, t) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, t);
    if (best.length > limit) best.pop();
  }
  return best;
}

const settle = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));
