import type { PoolClient } from 'pg';
import type { ScheduledTimer, ScheduleRequest, TransactionTimers } from 'tidings';
import { assertClaim, assertTimerId, prepareTimer, toScheduledTimer } from 'tidings/store-kit';
import type { WithClient } from './reads.js';

interface TimerRow {
  id: string;
  due_at: string;
  stream_id: string;
  message: string;
  scheduled_at: string;
}

const toTimer = (r: TimerRow): ScheduledTimer =>
  toScheduledTimer({
    id: r.id,
    streamId: r.stream_id,
    dueAt: Number(r.due_at),
    scheduledAt: Number(r.scheduled_at),
    message: r.message,
  });

/**
 * `tx.timers` on PostgreSQL: statements on the transaction's connection. `claimDue` deletes the
 * due rows it locks with `FOR UPDATE SKIP LOCKED`, so concurrent firing transactions claim
 * disjoint sets and a row deleted by a committed transaction is gone for every later one.
 */
export function postgresTransactionTimers(
  s: string,
  useTx: WithClient,
  now: () => number,
  maxEventBytes: number,
  active: () => void,
): TransactionTimers {
  const run = async <T>(validate: () => void, use: (c: PoolClient) => Promise<T>): Promise<T> => {
    active();
    validate();
    return useTx(use);
  };
  return {
    schedule: async (request: ScheduleRequest) => {
      active();
      const t = prepareTimer(request, now(), maxEventBytes);
      return useTx(async (c) => {
        const r = await c.query(
          `insert into ${s}.timers (id, due_at, stream_id, message, scheduled_at) values ($1, $2, $3, $4, $5) on conflict (id) do nothing`,
          [t.id, t.dueAt, t.streamId, t.message, t.scheduledAt],
        );
        return r.rowCount === 1;
      });
    },
    cancel: async (id) => {
      let key = '';
      return run(
        () => (key = assertTimerId('cancel', id)),
        async (c) => (await c.query(`delete from ${s}.timers where id = $1`, [key])).rowCount === 1,
      );
    },
    get: async (id) => {
      let key = '';
      return run(
        () => (key = assertTimerId('get', id)),
        async (c) => {
          const r = await c.query<TimerRow>(`select * from ${s}.timers where id = $1`, [key]);
          return r.rows[0] === undefined ? undefined : toTimer(r.rows[0]);
        },
      );
    },
    claimDue: (at, limit) =>
      run(
        () => assertClaim(at, limit),
        async (c) => {
          const r = await c.query<TimerRow>(
            `delete from ${s}.timers where id in (
               select id from ${s}.timers where due_at <= $1 order by due_at, id limit $2 for update skip locked
             ) returning *`,
            [at.getTime(), limit],
          );
          return r.rows.map(toTimer).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : 1));
        },
      ),
    nextDueAt: () =>
      run(
        () => undefined,
        async (c) => {
          const r = await c.query<{ due: string | null }>(`select min(due_at) as due from ${s}.timers`);
          const due = r.rows[0]?.due ?? null;
          return due === null ? undefined : new Date(Number(due));
        },
      ),
    count: () =>
      run(
        () => undefined,
        async (c) => Number((await c.query<{ n: string }>(`select count(*) as n from ${s}.timers`)).rows[0]!.n),
      ),
  };
}
