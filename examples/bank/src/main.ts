// The bank demo (SCENARIOS S4): `npm run bank` at the repository root runs a few accounts and
// transfers on an embedded SQLite file, then prints the balances and one transfer's audit trail.
import { sqliteEventStore } from '@tidings/sqlite';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TidingsError } from 'tidings';
import { createBank } from './bank-app.js';
import { replayBalances } from './balances.js';
import { CloseAccount, Deposit, OpenAccount, Withdraw } from './messages.js';
import { transfer, type TransferInput } from './transfer.js';
import { sqliteBalanceViews } from './views.sqlite.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const cents = (n: number): string => `${(n / 100).toFixed(2)}`;

async function main(): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'tidings-bank-')), 'bank.db');
  const store = await sqliteEventStore(file);
  const views = sqliteBalanceViews();
  const bank = createBank({ store, views });
  out(`Tidings bank demo on ${file}`);
  out();

  for (const [accountId, owner] of [
    ['alice', 'Alice'],
    ['bob', 'Bob'],
    ['carol', 'Carol'],
  ] as const) {
    await bank.send(OpenAccount({ accountId, owner }));
  }
  await bank.send(Deposit({ accountId: 'alice', amount: 100_00 }));
  await bank.send(Deposit({ accountId: 'bob', amount: 20_00 }));
  await bank.send(CloseAccount({ accountId: 'carol' }));
  out('Opened alice (100.00), bob (20.00) and carol (closed again at once).');
  try {
    await bank.send(Withdraw({ accountId: 'bob', amount: 50_00 }));
  } catch (error) {
    out(
      `Withdraw 50.00 from bob: refused, ${error instanceof TidingsError ? `${error.code}: ${error.message}` : String(error)}`,
    );
  }
  out();

  await bank.start();
  const transfers: TransferInput[] = [
    { transferId: 'tr-1', from: 'alice', to: 'bob', amount: 30_00 },
    { transferId: 'tr-2', from: 'bob', to: 'alice', amount: 80_00 },
    { transferId: 'tr-3', from: 'alice', to: 'carol', amount: 10_00 },
  ];
  for (const t of transfers) {
    await bank.workflows.start(transfer, t);
    out(`Transfer ${t.transferId}: ${t.from} -> ${t.to}, ${cents(t.amount)}`);
  }
  // Wait (bounded) until every transfer ended: tr-3's deposit is retried once after 500 ms.
  const deadline = Date.now() + 15_000;
  const ended = async () => {
    const states = await Promise.all(transfers.map((t) => bank.workflows.get(transfer, t.transferId)));
    return states.every((s) => s?.status === 'completed' || s?.status === 'failed');
  };
  while (!(await ended())) {
    if (Date.now() > deadline) throw new Error('the transfers did not end within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  out();
  for (const t of transfers) {
    const s = (await bank.workflows.get(transfer, t.transferId))!;
    const why =
      s.failure === undefined ? '' : ` (${s.failure.step}: ${s.failure.error.code ?? s.failure.error.message})`;
    out(`  ${t.transferId}: ${s.status}${why}; steps ${s.steps.map((x) => `${x.name}=${x.status}`).join(', ')}`);
  }
  out();
  out('Audit trail of tr-3 (the workflow stream):');
  for (const e of (await bank.workflows.get(transfer, 'tr-3'))!.history) {
    const d = e.data as { step?: string; attempt?: number; error?: { code?: string } };
    out(
      `  v${e.version} ${e.type}${d.step === undefined ? '' : ` ${d.step}`}${d.attempt === undefined ? '' : ` #${d.attempt}`}${d.error?.code === undefined ? '' : ` ${d.error.code}`}`,
    );
  }
  out();
  const live = await views.list(store);
  out('Balances (read model):');
  for (const b of live) out(`  ${b.accountId.padEnd(6)} ${cents(b.balance).padStart(8)}${b.open ? '' : '  (closed)'}`);
  const events = [];
  for await (const e of store.readAll({ filter: { categories: ['account'] } })) events.push(e);
  const replayed = await replayBalances(events);
  const same = JSON.stringify(replayed) === JSON.stringify(live);
  out(
    `Replayed from ${events.length} account events: ${same ? 'equal to the read model' : 'DIFFERENT from the read model'}.`,
  );
  await bank.close();
  await store.close();
  out();
  out(`Look inside: sqlite3 ${file} "select position, stream_id, type from events order by position"`);
  if (!same) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
