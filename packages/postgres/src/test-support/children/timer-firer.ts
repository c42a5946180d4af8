// Child: fires the due timers of one schema, racing another process, then prints { fired }.
// mode `poller`: the real timer poller (claim with FOR UPDATE SKIP LOCKED + delete + append in one
// transaction). mode `broken` (negative control): lists due timers without a lock, appends each
// message with a fresh event id, and deletes the timers afterwards in another transaction.
import { createTimerPoller, uuidv7 } from 'tidings';
import { postgresEventStore } from '../../index.js';

const [url, schema, mode, startAtArg] = process.argv.slice(2) as [string, string, 'poller' | 'broken', string];
const store = postgresEventStore({ connectionString: url, schema, lockTimeoutMs: 20_000, statementTimeoutMs: 40_000 });
const deadline = Date.now() + 60_000;

// Start barrier: both processes begin at the same moment, so they race for the same timers.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAtArg) - Date.now())));

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
    const due = await store.transaction(
      async (tx) =>
        (await tx.connection.query<Row>(`select * from "${schema}".timers where due_at <= $1`, [Date.now()])).rows,
    );
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
  console.log(JSON.stringify({ fired }));
} finally {
  await store.close();
}
