import type { Database, Statement } from 'better-sqlite3';
import type { FiredMessage, FiredOutcome, ScheduledTimer, ScheduleRequest, TransactionTimers } from 'tidings';
import {
  assertClaim,
  assertTimerId,
  parkedTimerLimit,
  prepareParking,
  prepareTimer,
  toScheduledTimer,
  type PreparedTimer,
} from 'tidings/store-kit';

interface TimerRow {
  id: string;
  due_at: number;
  stream_id: string;
  message: string;
  scheduled_at: number;
  parked_at: number | null;
  error: string | null;
}

const toTimer = (r: TimerRow): ScheduledTimer =>
  toScheduledTimer({
    id: r.id,
    streamId: r.stream_id,
    dueAt: r.due_at,
    scheduledAt: r.scheduled_at,
    message: r.message,
    parkedAt: r.parked_at,
    error: r.error,
  });

const COLUMNS = 'id, due_at, stream_id, message, scheduled_at, parked_at, error';

/**
 * Timer statements on the writer connection, run inside the store's `BEGIN IMMEDIATE` transactions.
 * Pending timers have `parked_at IS NULL`; the due index covers only them (migration 5), and every
 * statement on pending timers repeats that predicate so SQLite can use it.
 */
export class TimersSql {
  private readonly insert: Statement;
  private readonly remove: Statement;
  private readonly select: Statement;
  private readonly claim: Statement;
  private readonly next: Statement;
  private readonly total: Statement;
  private readonly parkRow: Statement;
  private readonly parkedList: Statement;
  private readonly unpark: Statement;
  private readonly removeParked: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(
      'INSERT INTO timers (id, due_at, stream_id, message, scheduled_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.remove = db.prepare('DELETE FROM timers WHERE id = ? AND parked_at IS NULL');
    this.select = db.prepare(`SELECT ${COLUMNS} FROM timers WHERE id = ?`);
    // The write lock (BEGIN IMMEDIATE) is the claim lock: no other writer runs until COMMIT.
    this.claim = db.prepare(
      `DELETE FROM timers WHERE id IN (SELECT id FROM timers WHERE parked_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?) RETURNING ${COLUMNS}`,
    );
    this.next = db.prepare('SELECT min(due_at) AS due FROM timers WHERE parked_at IS NULL');
    this.total = db.prepare('SELECT count(*) AS n FROM timers WHERE parked_at IS NULL');
    this.parkRow = db.prepare(`INSERT INTO timers (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.parkedList = db.prepare(
      `SELECT ${COLUMNS} FROM timers WHERE parked_at IS NOT NULL ORDER BY parked_at, id LIMIT ?`,
    );
    this.unpark = db.prepare('UPDATE timers SET parked_at = NULL, error = NULL WHERE id = ? AND parked_at IS NOT NULL');
    this.removeParked = db.prepare('DELETE FROM timers WHERE id = ? AND parked_at IS NOT NULL');
  }

  schedule(t: PreparedTimer): boolean {
    return this.insert.run(t.id, t.dueAt, t.streamId, t.message, t.scheduledAt).changes === 1;
  }
  cancel(id: string): boolean {
    return this.remove.run(id).changes === 1;
  }
  get(id: string): ScheduledTimer | undefined {
    const row = this.select.get(id) as TimerRow | undefined;
    return row === undefined ? undefined : toTimer(row);
  }
  claimDue(now: number, limit: number): ScheduledTimer[] {
    const rows = this.claim.all(now, limit) as TimerRow[];
    return rows.map(toTimer).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : 1));
  }
  nextDueAt(): Date | undefined {
    const row = this.next.get() as { due: number | null };
    return row.due === null ? undefined : new Date(row.due);
  }
  count(): number {
    return (this.total.get() as { n: number }).n;
  }
  park(t: ReturnType<typeof prepareParking>): void {
    this.parkRow.run(t.id, t.dueAt, t.streamId, t.message, t.scheduledAt, t.parkedAt, t.error);
  }
  listParked(limit: number): ScheduledTimer[] {
    return (this.parkedList.all(limit) as TimerRow[]).map(toTimer);
  }
  retryParked(id: string): boolean {
    return this.unpark.run(id).changes === 1;
  }
  skipParked(id: string): boolean {
    return this.removeParked.run(id).changes === 1;
  }
}

/** What `tx.timers` needs from the transaction. */
export interface SqliteTimerContext {
  /** Throws unless the transaction is still usable. */
  readonly active: (what: string) => void;
  /** The store clock, epoch ms. */
  readonly now: () => number;
  readonly maxEventBytes: number;
  /** The transaction's appends, one per message (see `appendEach`). */
  readonly appendFired: (messages: readonly FiredMessage[]) => Promise<FiredOutcome[]>;
}

/** `tx.timers` on SQLite: statements on the writer connection inside the transaction. */
export function sqliteTransactionTimers(sql: TimersSql, ctx: SqliteTimerContext): TransactionTimers {
  const { active, now, maxEventBytes } = ctx;
  const run = <T>(what: string, fn: () => T): Promise<T> =>
    new Promise<T>((resolve) => {
      active(`timers.${what}`);
      resolve(fn());
    });
  return {
    schedule: (request: ScheduleRequest) =>
      run('schedule', () => sql.schedule(prepareTimer(request, now(), maxEventBytes))),
    cancel: (id) => run('cancel', () => sql.cancel(assertTimerId('cancel', id))),
    get: (id) => run('get', () => sql.get(assertTimerId('get', id))),
    claimDue: (at, limit) =>
      run('claimDue', () => {
        assertClaim(at, limit);
        return sql.claimDue(at.getTime(), limit);
      }),
    nextDueAt: () => run('nextDueAt', () => sql.nextDueAt()),
    count: () => run('count', () => sql.count()),
    appendFired: async (messages) => {
      active('timers.appendFired');
      return ctx.appendFired(messages);
    },
    park: (timer, error) => run('park', () => sql.park(prepareParking(timer, error, now()))),
    listParked: (filter) => run('listParked', () => sql.listParked(parkedTimerLimit(filter))),
    retryParked: (id) => run('retryParked', () => sql.retryParked(assertTimerId('retryParked', id))),
    skipParked: (id) => run('skipParked', () => sql.skipParked(assertTimerId('skipParked', id))),
  };
}
