import type { PoolClient } from 'pg';
import type { FiredMessage, FiredOutcome, ScheduledTimer, ScheduleRequest, TransactionTimers } from 'tidings';
import {
  assertClaim,
  assertTimerId,
  parkedTimerLimit,
  prepareParking,
  prepareTimer,
  toScheduledTimer,
} from 'tidings/store-kit';
import type { WithClient } from './reads.js';

interface TimerRow {
  id: string;
  due_at: string;
  stream_id: string;
  message: string;
  scheduled_at: string;
  parked_at: string | null;
  error: string | null;
}

const toTimer = (r: TimerRow): ScheduledTimer =>
  toScheduledTimer({
    id: r.id,
    streamId: r.stream_id,
    dueAt: Number(r.due_at),
    scheduledAt: Number(r.scheduled_at),
    message: r.message,
    parkedAt: r.parked_at === null ? null : Number(r.parked_at),
    error: r.error,
  });

const COLUMNS = 'id, due_at, stream_id, message, scheduled_at, parked_at, error';

/** What `tx.timers` needs from the transaction. */
export interface PostgresTimerContext {
  /** The store clock, epoch ms. */
  readonly now: () => number;
  readonly maxEventBytes: number;
  /** Throws unless the transaction is still usable. */
  readonly active: () => void;
  /** The transaction's batch append of fired messages. */
  readonly appendFired: (messages: readonly FiredMessage[]) => Promise<FiredOutcome[]>;
}

/**
 * `tx.timers` on PostgreSQL: statements on the transaction's connection. `claimDue` deletes the
 * due rows it locks with `FOR UPDATE SKIP LOCKED`, so concurrent firing transactions claim
 * disjoint sets and a row deleted by a committed transaction is gone for every later one. Pending
 * timers have `parked_at is null` (the due index is partial on it, migration 6).
 */
export function postgresTransactionTimers(s: string, useTx: WithClient, ctx: PostgresTimerContext): TransactionTimers {
  const { now, maxEventBytes, active } = ctx;
  const run = async <T>(validate: () => void, use: (c: PoolClient) => Promise<T>): Promise<T> => {
    active();
    validate();
    return useTx(use);
  };
  /** A statement on one timer id, answering whether it changed a row. */
  const byId = (what: string, sql: string) => async (id: string) => {
    let key = '';
    return run(
      () => (key = assertTimerId(what, id)),
      async (c) => (await c.query(sql, [key])).rowCount === 1,
    );
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
    cancel: byId('cancel', `delete from ${s}.timers where id = $1 and parked_at is null`),
    get: async (id) => {
      let key = '';
      return run(
        () => (key = assertTimerId('get', id)),
        async (c) => {
          const r = await c.query<TimerRow>(`select ${COLUMNS} from ${s}.timers where id = $1`, [key]);
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
               select id from ${s}.timers where parked_at is null and due_at <= $1
               order by due_at, id limit $2 for update skip locked
             ) returning ${COLUMNS}`,
            [at.getTime(), limit],
          );
          return r.rows.map(toTimer).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : 1));
        },
      ),
    nextDueAt: () =>
      run(
        () => undefined,
        async (c) => {
          const r = await c.query<{ due: string | null }>(
            `select min(due_at) as due from ${s}.timers where parked_at is null`,
          );
          const due = r.rows[0]?.due ?? null;
          return due === null ? undefined : new Date(Number(due));
        },
      ),
    count: () =>
      run(
        () => undefined,
        async (c) =>
          Number(
            (await c.query<{ n: string }>(`select count(*) as n from ${s}.timers where parked_at is null`)).rows[0]!.n,
          ),
      ),
    appendFired: async (messages) => {
      active();
      return ctx.appendFired(messages);
    },
    park: async (timer, error) => {
      let t: ReturnType<typeof prepareParking> | undefined;
      await run(
        () => (t = prepareParking(timer, error, now())),
        (c) =>
          c.query(`insert into ${s}.timers (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7)`, [
            t!.id,
            t!.dueAt,
            t!.streamId,
            t!.message,
            t!.scheduledAt,
            t!.parkedAt,
            t!.error,
          ]),
      );
    },
    listParked: async (filter) => {
      let limit = 0;
      return run(
        () => (limit = parkedTimerLimit(filter)),
        async (c) =>
          (
            await c.query<TimerRow>(
              `select ${COLUMNS} from ${s}.timers where parked_at is not null order by parked_at, id limit $1`,
              [limit],
            )
          ).rows.map(toTimer),
      );
    },
    retryParked: byId(
      'retryParked',
      `update ${s}.timers set parked_at = null, error = null where id = $1 and parked_at is not null`,
    ),
    skipParked: byId('skipParked', `delete from ${s}.timers where id = $1 and parked_at is not null`),
  };
}
