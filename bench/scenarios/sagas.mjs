// Scenario: saga steps per second for the flash sale (issue 11). The shop's flash sale
// (examples/shop, built) runs its checkout saga on each store: N buyers place orders on limited
// stock, half of the reserved orders are paid, then the clock jumps 15 minutes and the payment
// timeouts fire, cancel the unpaid orders and hand their units to the wait list. The figure is
// saga transitions (reactions committed with their sends and timers) per second of the whole
// flow, from the first order to the last timeout handled; every run checks the sale's rules.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PG_URL, benchSchema, dropSchema, withAdmin } from './postgres-contenders.mjs';

const orders = () => Number(process.env.BENCH_SAGA_ORDERS ?? (process.env.BENCH_QUICK === '1' ? 300 : 1_000));
const PRODUCTS = 10;
const CONCURRENCY = 16;
const CONTENDERS = ['memory', 'sqlite', 'postgres'];
const MINUTE = 60_000;

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** The system clock with a settable offset: the flow jumps 15 minutes instead of waiting them. */
function jumpingClock(AbortedError) {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    setTimeout(callback, ms) {
      const id = setTimeout(callback, Math.max(0, ms));
      const cancel = () => clearTimeout(id);
      return { cancel, [Symbol.dispose]: cancel };
    },
    sleep(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new AbortedError('sleep', signal.reason));
        const onAbort = () => {
          clearTimeout(id);
          reject(new AbortedError('sleep', signal.reason));
        };
        const id = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.max(0, ms),
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    jump(ms) {
      offset += ms;
    },
  };
}

async function inParallel(items, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function countTypes(store) {
  const types = {};
  for await (const e of store.readAll()) types[e.type] = (types[e.type] ?? 0) + 1;
  return types;
}

async function head(store) {
  for await (const e of store.readAll({ direction: 'backward', limit: 1 })) return e.position;
  return 0n;
}

async function openStore(contender, clock) {
  const shop = '../../examples/shop/dist';
  if (contender === 'memory') {
    const { createInMemoryEventStore } = await import('../../packages/tidings/dist/index.js');
    const { memoryShopState } = await import(`${shop}/shop-state.js`);
    return { store: createInMemoryEventStore({ clock }), state: memoryShopState(), cleanup: async () => {} };
  }
  if (contender === 'sqlite') {
    const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
    const { sqliteShopState } = await import(`${shop}/shop-state.sqlite.js`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-sagas-'));
    const store = await sqliteEventStore(path.join(dir, 'sale.db'), { clock });
    return { store, state: sqliteShopState(), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (contender === 'postgres') {
    const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
    const { postgresShopState } = await import(`${shop}/shop-state.postgres.js`);
    const schema = benchSchema('sagas');
    const store = postgresEventStore({ connectionString: PG_URL, schema, clock });
    await store.migrate();
    return { store, state: postgresShopState(schema), cleanup: () => dropSchema(schema) };
  }
  throw new Error(`unknown sagas contender ${contender}`);
}

async function measure(contender) {
  const { createFlashSale } = await import('../../examples/shop/dist/flash-sale/flash-sale.js');
  const { AbortedError } = await import('../../packages/tidings/dist/index.js');
  const clock = jumpingClock(AbortedError);
  const { store, state, cleanup } = await openStore(contender, clock);
  const n = orders();
  const perProduct = Math.floor((n * 0.8) / PRODUCTS);
  const stock = Object.fromEntries(Array.from({ length: PRODUCTS }, (_, i) => [`p${i}`, perProduct]));
  const sale = createFlashSale({ store, clock, state, stock, settleTimeoutMs: 600_000 });
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 25);
  try {
    await sale.start();
    const requests = Array.from({ length: n }, (_, i) => ({
      orderId: `o-${i}`,
      userId: `u-${i}`,
      productId: `p${i % PRODUCTS}`,
      quantity: 1,
      unitPrice: 100,
    }));
    const t0 = performance.now();
    const answers = new Map();
    // Each product's buyers in order (so every contender locks and wait-lists the same orders),
    // the products in parallel.
    const byProduct = Array.from({ length: PRODUCTS }, (_, p) => requests.filter((r) => r.productId === `p${p}`));
    await Promise.all(
      byProduct.map(async (queue) => {
        for (const r of queue) answers.set(r.orderId, (await sale.placeOrder(r, `place-${r.orderId}`)).outcome);
      }),
    );
    await sale.settled(); // the saga created every reserved order
    const locked = requests.filter((r) => answers.get(r.orderId) === 'locked');
    const payers = locked.filter((r) => Math.floor(Number(r.orderId.slice(2)) / PRODUCTS) % 2 === 0);
    await inParallel(payers, (r) => sale.pay(r.orderId, 100, `pay-${r.orderId}`));
    await sale.settled();
    clock.jump(15 * MINUTE + 1_000);
    // Until every timeout due has fired and its cancel, release and hand-over are handled: the
    // poller asleep with nothing due, two rounds of catch-up in a row that find nothing new, and
    // (checked then, as it reads every event) one saga step per input event and every send delivered.
    let transitions = 0;
    for (let round = 0, quiet = 0; ; round++) {
      const before = await head(store);
      sale.app.timers.wake();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sale.settled();
      const due = await store.timers.nextDueAt();
      const still =
        (await head(store)) === before &&
        sale.app.timers.sleepingUntil !== undefined &&
        (due === undefined || due.getTime() > clock.now());
      quiet = still ? quiet + 1 : 0;
      if (quiet >= 2) {
        const types = await countTypes(store);
        transitions = types['saga.transitioned'] ?? 0;
        const inputs = ['stock.locked', 'order.paid', 'order.cancelled', 'checkout.payment-timed-out'];
        const expected = inputs.reduce((sum, t) => sum + (types[t] ?? 0), 0);
        const n = (t) => types[t] ?? 0;
        const delivered =
          n('order.placed') === n('stock.locked') && // every lock got its order
          n('stock.deducted') === n('order.paid') && // every payment confirmed its deduction
          n('coupon.issued') === n('order.paid') && // and earned its coupon
          n('stock.released') === n('order.cancelled'); // every cancel released its units
        if (transitions === expected && delivered) break;
        quiet = 0;
      }
      if (round > 100_000) throw new Error('the flow did not settle');
    }
    const ms = performance.now() - t0;
    const report = await sale.report(true);
    if (report.problems.length > 0) throw new Error(`the sale broke a rule: ${report.problems.slice(0, 3).join('; ')}`);
    const expectedPaid = payers.length;
    const unpaid = locked.length - payers.length;
    const handedOver = Math.min(unpaid, n - locked.length);
    const expectedSteps = locked.length + payers.length + 2 * unpaid + handedOver;
    if (transitions !== expectedSteps) throw new Error(`expected ${expectedSteps} saga steps, counted ${transitions}`);
    if (report.orders.paid !== expectedPaid || report.coupons !== expectedPaid)
      throw new Error(
        `expected ${expectedPaid} paid orders and coupons, found ${report.orders.paid} / ${report.coupons}`,
      );
    return {
      value: (transitions * 1000) / ms,
      detail: {
        ms: Math.round(ms),
        transitions,
        orders: n,
        paid: report.orders.paid,
        timedOut: report.timedOut,
        peakRssMb: peakRssMb(),
        peakHeapMb: Math.round(peakHeap / 2 ** 20),
      },
    };
  } finally {
    clearInterval(sampler);
    await sale.close();
    await store.close();
    await cleanup();
  }
}

export default {
  name: 'sagas',
  title: 'Sagas: the flash-sale checkout',
  peerFolders: [],
  cases: () => [
    {
      id: 'flash-sale',
      title: `Flash sale: ${orders().toLocaleString('en-US')} orders through the checkout saga`,
      unit: 'saga steps/s',
      contenders: CONTENDERS,
      detailColumns: [
        { label: 'saga steps', key: 'transitions', format: 'count' },
        { label: 'flow ms', key: 'ms', format: 'ms' },
        { label: 'peak RSS MB', key: 'peakRssMb', format: 'count' },
        { label: 'peak heap MB', key: 'peakHeapMb', format: 'count' },
      ],
      note: "No peer: the figure is for sizing (a saga step = one reaction committed with its state, sends and timers). Every contender does the same work (same orders, same payers, same timeouts), checked by the step count and the sale's rules.",
    },
  ],
  describe: () => [
    `${orders().toLocaleString('en-US')} buyers place one order each on ${PRODUCTS} products holding 80% of the demand (each product's buyers in order, the products in parallel; payments ${CONCURRENCY} in flight), half of the reserved orders are paid, then the clock jumps 15 minutes: the payment timeouts fire, cancel the unpaid orders and hand their units to the first waiters (whose new orders start their own 15 minutes). Timed from the first order to the last timeout handled; every processor caught up.`,
    'Each saga step is one transaction: the transition event (state snapshot, sends, timer operations) appended to `saga.checkout-<order>` with the checkpoint; the outbox processor then sends the commands (create the order, confirm the deduction, issue the coupon, cancel, release) through the command bus, each an event-sourced command on its own stream. The notification and CRM processors run alongside, as in the demo.',
    'Each run checks the sale afterwards: stock conserved, sold and locked units equal to the paid and unpaid orders, one coupon per paid order, every unpaid order with its timeout pending, no timeout fired twice.',
  ],
  notes: () => [],
  async settings() {
    try {
      const version = await withAdmin(async (c) => (await c.query('show server_version')).rows[0].server_version);
      return [
        `SQLite: a fresh file per run, store defaults. PostgreSQL ${version}: a fresh schema per run, store defaults.`,
      ];
    } catch (error) {
      return [`PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, '//…@')} could not be reached: ${error.message}`];
    }
  },
  async measure(caseId, contender) {
    if (caseId !== 'flash-sale') throw new Error(`unknown sagas case ${caseId}`);
    return measure(contender);
  },
};
