// Child: fires the due timers of one SQLite file, racing another process, then prints `fired N`.
// mode `poller`: the real timer poller (claim + delete + append in one transaction).
// mode `broken` (negative control): lists due timers without a claim, appends each message with a
// fresh event id, and deletes the timers afterwards in another transaction.
import Database from 'better-sqlite3';
import { createTimerPoller, uuidv7 } from 'tidings';
import { sqliteEventStore } from '../store.js';

const [path, mode] = process.argv.slice(2) as [string, 'poller' | 'broken'];
const store = await sqliteEventStore(path, { lockTimeoutMs: 20_000 });
const deadline = Date.now() + 60_000;

// Start barrier: both processes are ready before either begins (the parent says `go` on stdin once
// both printed `ready`), so they race for the same timers.
console.log('ready');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.pause();

let fired = 0;
try {
  if (mode === 'poller') {
    const poller = createTimerPoller(store, { batchSize: 20, pollIntervalMs: 20 });
    poller.start();
    while ((await store.timers.count()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await poller.stop();
    fired = poller.fired;
  } else {
    interface Row {
      id: string;
      stream_id: string;
      message: string;
    }
    // A plain read on its own connection: no claim, no write lock.
    const reader = new Database(path, { readonly: true });
    const due = reader.prepare('SELECT * FROM timers WHERE due_at <= ?').all(Date.now()) as Row[];
    reader.close();
    for (let i = 0; i < due.length; i += 100) {
      const batch = due.slice(i, i + 100);
      await store.transaction(async (tx) => {
        for (const row of batch) {
          const message = JSON.parse(row.message) as { type: string; data: unknown };
          await tx.append(row.stream_id, [{ ...message, id: uuidv7(), metadata: { timer: { id: row.id } } }]);
        }
      });
      await store.transaction(async (tx) => {
        for (const row of batch) await tx.timers.cancel(row.id);
      });
      fired += batch.length;
    }
  }
  console.log(`fired ${fired}`);
} catch (error) {
  console.log(`error ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await store.close();
}
