// A shop process for the crash test: `node shop-child.mjs <file> <orders> <safe|unsafe> <crashAfter>`.
// Creates and pays <orders> orders (fixed command ids, so a restarted run re-sends them harmlessly),
// waits until every observer caught up, prints DONE. With crashAfter > 0 it SIGKILLs itself right
// after the crashAfter-th points update is written (before its unit commits, in the safe mode).
// `unsafe` is the deliberately broken writer of the negative control: the observers' state goes
// to another file, committed at once, outside the transaction that saves the checkpoint.
import Database from 'better-sqlite3';
import { sqliteEventStore } from '@tidings/sqlite';
import { CreateOrder, PayOrder } from '../messages.js';
import { createShop } from '../shop.js';
import type { ShopState } from '../shop-state.js';
import { sqliteShopState } from '../shop-state.sqlite.js';

const [file = '', ordersArg = '10', mode = 'safe', crashArg = '0'] = process.argv.slice(2);
const orders = Number(ordersArg);
const crashAfter = Number(crashArg);

function unsafeState(path: string): ShopState {
  const db = new Database(path);
  db.exec('CREATE TABLE IF NOT EXISTS shop_state (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  const safe = sqliteShopState();
  return {
    readModel: safe.readModel,
    get: (_t, _c, key) => {
      const v = db.prepare('SELECT v FROM shop_state WHERE k = ?').pluck().get(key) as string | undefined;
      return v === undefined ? undefined : (JSON.parse(v) as unknown);
    },
    set: (_t, _c, key, value) =>
      db
        .prepare('INSERT INTO shop_state (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v')
        .run(key, JSON.stringify(value)),
    list: (_store, prefix) =>
      Promise.resolve(
        (
          db
            .prepare('SELECT v FROM shop_state WHERE substr(k, 1, ?) = ? ORDER BY k')
            .pluck()
            .all(prefix.length, prefix) as string[]
        ).map((v) => JSON.parse(v) as unknown),
      ),
  };
}

function crashing(state: ShopState): ShopState {
  let points = 0;
  return {
    ...state,
    set: async (target, connection, key, value) => {
      await state.set(target, connection, key, value);
      if (crashAfter > 0 && key.startsWith('points:') && ++points === crashAfter) process.kill(process.pid, 'SIGKILL');
    },
  };
}

const id = (n: number, kind: number): string =>
  `018f0000-0000-7000-8000-${(n * 4 + kind).toString(16).padStart(12, '0')}`;

const store = await sqliteEventStore(file);
const state = crashing(mode === 'unsafe' ? unsafeState(`${file}.effects`) : sqliteShopState());
// A short lease: the restarted process takes the observers over from the killed one within about a second.
const shop = createShop({ store, state, stock: { 'prod-001': 1_000_000 }, leaseTtlMs: 1000 });
await shop.start();
for (let n = 0; n < orders; n++) {
  const orderId = `o-${n}`;
  await shop.app.send(
    CreateOrder({ orderId, userId: 'user-001', lines: [{ productId: 'prod-001', quantity: 2, unitPrice: 4950 }] }),
    { id: id(n, 1) },
  );
  await shop.app.send(PayOrder({ orderId, paymentId: `pay-${n}`, amount: 9900 }), { id: id(n, 2) });
}
await shop.settled();
const points = await shop.points.pointsOf('user-001');
const stats = await shop.userStats.statsOf('user-001');
const stock = await shop.inventory.stockOf('prod-001');
process.stdout.write(`DONE ${JSON.stringify({ points, orders: stats.orders, stock })}\n`);
await shop.close();
await store.close();
