// The three processors of the processor crash test, shared by the child that is killed and the
// test that restarts them. Each names its effect and where it lives:
//   balance  a projection in the store's file (table `balance`), checkpoint in its transaction;
//   ledger   a ledger row per event in the store's file, guarded by the inbox;
//   notify   an external effect: the event id appended to a file, at least once.
// The `broken-*` variants are the negative controls: the same effect written in a transaction of
// its own, so the checkpoint (or the inbox claim) is no longer in it.
import type { Database } from 'better-sqlite3';
import { appendFileSync } from 'node:fs';
import {
  defineProcessor,
  type EventStore,
  type Processor,
  type RecordedEvent,
  type TransactionalProcessorContext,
} from 'tidings';

export type CrashVariant = 'correct' | 'broken-projection' | 'broken-ledger';

export const CRASH_OWNER = 'crash-worker';

const amountOf = (event: RecordedEvent): number => (event.data as { amount: number }).amount;

export function createTables(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS balance (stream_id TEXT PRIMARY KEY, count INTEGER NOT NULL, total INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS ledger (event_id TEXT NOT NULL, amount INTEGER NOT NULL)`);
}

function addToBalance(db: Database, event: RecordedEvent): void {
  db.prepare(
    `INSERT INTO balance (stream_id, count, total) VALUES (?, 1, ?)
     ON CONFLICT (stream_id) DO UPDATE SET count = count + 1, total = total + excluded.total`,
  ).run(event.streamId, amountOf(event));
}

function addToLedger(db: Database, event: RecordedEvent): void {
  db.prepare('INSERT INTO ledger (event_id, amount) VALUES (?, ?)').run(event.id, amountOf(event));
}

export function crashProcessors(
  store: EventStore<Database>,
  variant: CrashVariant,
  effectsFile: string,
): Processor<Database>[] {
  // #region processors
  // A projection in the same database: its rows and the checkpoint commit in one transaction.
  const balance = defineProcessor({
    name: 'balance',
    events: ['acct.credited'],
    effects: 'transactional',
    concurrency: 3,
    batch: { maxEvents: 10 },
    handle: (event, { tx }: TransactionalProcessorContext<Database>) => addToBalance(tx.connection, event),
  });
  // A row per event in the same database, guarded by the inbox: a redelivered event is skipped.
  const ledger = defineProcessor({
    name: 'ledger',
    events: ['acct.credited'],
    effects: 'inbox',
    concurrency: 3,
    batch: { maxEvents: 10 },
    handle: (event, { tx }: TransactionalProcessorContext<Database>) => addToLedger(tx.connection, event),
  });
  // Anything else is at least once: the event id is the idempotency key the receiver dedupes on.
  const notify = defineProcessor({
    name: 'notify',
    events: ['acct.credited'],
    concurrency: 3,
    batch: { maxEvents: 10 },
    handle: (event) => appendFileSync(effectsFile, `${event.id}\n`),
  });
  // #endregion processors
  if (variant === 'broken-projection') return [ownTransaction(store, 'balance', addToBalance), ledger, notify];
  if (variant === 'broken-ledger') return [balance, ownTransaction(store, 'ledger', addToLedger), notify];
  return [balance, ledger, notify] as Processor<Database>[];
}

/** Negative control: the same effect in a transaction of its own (no checkpoint, no inbox claim in it). */
function ownTransaction(
  store: EventStore<Database>,
  name: string,
  effect: (db: Database, event: RecordedEvent) => void,
): Processor<Database> {
  return defineProcessor({
    name,
    events: ['acct.credited'],
    concurrency: 3,
    batch: { maxEvents: 10 },
    handle: (event) => store.transaction((tx) => Promise.resolve(effect(tx.connection, event))),
  });
}
