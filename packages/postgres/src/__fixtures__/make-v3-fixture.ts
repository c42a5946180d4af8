// Writes the schema-version-3 fixture (v3-schema.sql) used by migrate.int.test.ts. It must run
// against the code that wrote that layout — @tidings/postgres at main ad8c687, schema version 3
// (processing tables), before the batch statement replaced append_batch — so it is kept for the
// record, not run by the tests:
//   git archive ad8c687 | tar -x -C /tmp/v3 && (link node_modules) && cp this file there, then
//   node <esbuild bundle of it> > v3-schema.sql
// It fills one schema through the store's own API (group-committed batches, lone appends,
// caller ids, a transaction, metadata, truncation, soft and hard deletion), then prints
// `pg_dump --schema <it> --inserts` with the schema renamed to a placeholder the test replaces.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { postgresEventStore } from '../index.js';

const url = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `fixture_v3_${Math.random().toString(36).slice(2, 8)}`;
const store = postgresEventStore({ connectionString: url, schema });
const ev = (type: string, data: unknown, id?: string) => (id === undefined ? { type, data } : { id, type, data });
try {
  await store.migrate();
  // Concurrent callers: group-committed batches, several appends to one stream among them.
  await Promise.all([
    store.append('order-1', [ev('order.placed', { total: 30 }), ev('order.line-added', { sku: 'a', n: 1 })], {
      expectedVersion: 'no-stream',
    }),
    store.append('order-2', [ev('order.placed', { total: 12.5, note: 'ünïcødé ✓ "quoted" \\ back' })]),
    store.append('order-1', [ev('order.paid', { at: '2026-01-01T00:00:00Z' })], { expectedVersion: 2n }),
    store.append('cart-9', [ev('cart.opened', null)]),
  ]);
  // Lone appends, caller-supplied ids and metadata (correlation, causation, schema version).
  await store.append(
    'order-2',
    [
      // eslint-disable-next-line no-loss-of-precision -- a number JSON cannot keep exactly, stored as JSON writes it.
      ev('order.paid', { big: 12345678901234567890 }, '0190a0a0-0000-7000-8000-000000000001'),
      {
        id: '0190a0a0-0000-7000-8000-000000000002',
        type: 'order.shipped',
        data: { carrier: 'x' },
        metadata: { correlationId: 'corr-1', causationId: 'cause-1', schemaVersion: 2, user: 'u' },
      },
    ],
    { expectedVersion: 1n },
  );
  await store.transaction(async (tx) => {
    await tx.append('ledger-1', [ev('ledger.opened', { by: 'tx' })], { expectedVersion: 'no-stream' });
  });
  for (let i = 0; i < 5; i++) await store.append('log-1', [ev('log.line', { i })]);
  await store.setStreamMetadata('log-1', { maxCount: 3, owner: 'ops' });
  await store.append('trunc-1', [ev('t.x', 1), ev('t.x', 2), ev('t.x', 3)]);
  await store.truncateBefore('trunc-1', 4n); // every event of it removed
  await store.append('soft-1', [ev('s.x', 1), ev('s.x', 2)]);
  await store.deleteStream('soft-1');
  await store.append('hard-1', [ev('h.x', 1)]);
  await store.deleteStream('hard-1', { mode: 'hard' });
  await store.append('order-1', [ev('order.closed', {})], { expectedVersion: 3n });
  // Processing state (schema version 3): a processor's checkpoint, written with an append.
  await store.transaction(async (tx) => {
    await tx.append('ledger-1', [ev('ledger.posted', { amount: 5 })], { expectedVersion: 1n });
    await tx.processing.saveCheckpoint({ processor: 'projector', position: 21n });
  });
} finally {
  await store.close();
}
const dump = execFileSync('pg_dump', ['--schema', schema, '--inserts', '--no-owner', '--no-privileges', url], {
  encoding: 'utf8',
});
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`drop schema ${schema} cascade`);
await client.end();
// pg_dump's psql-only lines (\restrict …) are dropped: the test runs the file as plain SQL.
const lines = dump.split('\n').filter((line) => !line.startsWith('\\'));
process.stdout.write(lines.join('\n').replaceAll(schema, '__schema__'));
