import type { Database, Statement } from 'better-sqlite3';
import type { ScheduledTimer, ScheduleRequest, TransactionTimers } from 'tidings';
import { assertClaim, assertTimerId, prepareTimer, toScheduledTimer, type PreparedTimer } from 'tidings/store-kit';

interface TimerRow {
  id: string;
  due_at: number;
  stream_id: string;
  message: string;
  scheduled_at: number;
}

const toTimer = (r: TimerRow): ScheduledTimer =>
  toScheduledTimer({
    id: r.id,
    streamId: r.stream_id,
    dueAt: r.due_at,
    scheduledAt: r.scheduled_at,
    message: r.message,
  });

/** Timer statements on the writer connection, run inside the store's `BEGIN IMMEDIATE` transactions. */
export class TimersSql {
  private readonly insert: Statement;
  private readonly remove: Statement;
  private readonly select: Statement;
  private readonly claim: Statement;
  private readonly next: Statement;
  private readonly total: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(
      'INSERT INTO timers (id, due_at, stream_id, message, scheduled_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.remove = db.prepare('DELETE FROM timers WHERE id = ?');
    this.select = db.prepare('SELECT * FROM timers WHERE id = ?');
    // The write lock (BEGIN IMMEDIATE) is the claim lock: no other writer runs until COMMIT.
    this.claim = db.prepare(
      'DELETE FROM timers WHERE id IN (SELECT id FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?) RETURNING *',
    );
    this.next = db.prepare('SELECT min(due_at) AS due FROM timers');
    this.total = db.prepare('SELECT count(*) AS n FROM timers');
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
}

/** `tx.timers` on SQLite: statements on the writer connection inside the transaction. */
export function sqliteTransactionTimers(
  sql: TimersSql,
  active: (what: string) => void,
  now: () => number,
  maxEventBytes: number,
): TransactionTimers {
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
  };
}
