// A flash-sale process for the crash test:
//   node flash-sale-child.mjs <file> <safe|broken> <kill: none | tx:N:before|after | saga:N:before|after> <origin> <seed>
// Runs a small crowd (runSimulation, fixed command ids, so a restarted run re-sends harmlessly) on
// an SQLite file and a sped-up clock shared across restarts (`origin`), then prints
// `DONE {report}`. With a kill point it SIGKILLs itself just before or just after the commit of
// its N-th store transaction (`tx`) or of its N-th saga transition (`saga`).
// `broken` is the negative control: a checkout saga whose commands are sent straight to the
// command bus from `react` — outside the transaction that records the saga's state — instead of
// being recorded with it (`saga.send`).
import { sqliteEventStore } from '@tidings/sqlite';
import type { EventStore, Message, ProcessorRetryPolicy, StoreTransaction } from 'tidings';
import { checkoutSaga } from '../flash-sale/checkout-saga.js';
import { reactToCheckout } from '../flash-sale/checkout-steps.js';
import { createFlashSale } from '../flash-sale/flash-sale.js';
import { scaledClock, scaledSettings } from '../flash-sale/scaled-clock.js';
import { runSimulation } from '../flash-sale/simulation.js';
import { sqliteShopState } from '../shop-state.sqlite.js';

const [file = '', mode = 'safe', kill = 'none', originArg = '0', seedArg = '1'] = process.argv.slice(2);
const [killKind, killNArg, killWhen] = kill.split(':');
const killN = Number(killNArg ?? 0);
export const SPEED = 3_000; // 15 minutes in 0.3 s

let transactions = 0;
let transitions = 0;
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

/** A property of a proxied object; methods stay bound to the object (private fields need it). */
function bound(target: object, key: PropertyKey): unknown {
  const value = Reflect.get(target, key) as unknown;
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

/** The store, with the kill point wrapped around its transactions. */
function withKillPoint(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key !== 'transaction') return bound(target, key);
      return async <T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> => {
        const n = ++transactions;
        let m = 0; // this transaction's number among saga transitions (0: not one)
        const hit = (when: string): boolean =>
          killWhen === when && ((killKind === 'tx' && n === killN) || (killKind === 'saga' && m === killN));
        const result = await target.transaction(async (tx) => {
          const watched = new Proxy(tx, {
            get(t, k) {
              if (k !== 'append') return bound(t, k);
              return (streamId: string, ...rest: unknown[]) => {
                if (m === 0 && streamId.startsWith('saga.checkout-')) m = ++transitions;
                return (t.append as (...a: unknown[]) => unknown).call(t, streamId, ...rest);
              };
            },
          });
          const r = await work(watched);
          if (hit('before')) die(); // the work is done, the commit is not
          return r;
        });
        if (hit('after')) die(); // committed, nothing after it has run
        return result;
      };
    },
  });
}

let sendNow: (command: Message) => void = () => undefined;
/** The broken checkout: same steps, but `send` goes to the bus at once, not into the transition. */
const brokenCheckout = (retry: ProcessorRetryPolicy) =>
  checkoutSaga({
    retry,
    react: (state, event, saga) =>
      reactToCheckout(state, event, {
        now: saga.now,
        send: (command) => sendNow(command),
        schedule: (name, e, when) => saga.schedule(name, e, when),
        cancel: (name) => saga.cancel(name),
        complete: () => saga.complete(),
      }),
  });

const clock = scaledClock(SPEED, Number(originArg));
const settings = scaledSettings(clock, 300);
const store = withKillPoint(await sqliteEventStore(file, settings.store));
const sale = createFlashSale({
  store,
  clock,
  state: sqliteShopState(),
  stock: { p1: 3, p2: 2 },
  runner: settings.runner,
  timers: settings.timers,
  settleTimeoutMs: settings.settleTimeoutMs,
  retry: settings.retry,
  conflictRetry: settings.conflictRetry,
  ...(mode === 'broken' ? { checkout: brokenCheckout(settings.retry) } : {}),
});
sendNow = (command) => void sale.app.send(command as never).catch(() => undefined);
await sale.start();
const progress = await runSimulation(
  sale,
  clock,
  {
    customers: 10,
    payChance: 0.5,
    latePayChance: 0.3,
    arrivalMinutes: 2,
    seed: Number(seedArg),
    unitPrice: 100,
    timeoutMs: 20_000,
  },
  () => undefined,
  ['p1', 'p2'],
);
const report = await sale.report(true);
const parked = await sale.app.parked.list();
const suspects = new Set(report.problems.flatMap((p) => [...p.matchAll(/\b(o-\d+)/g)].map((m) => m[1]!)));
for (const orderId of [...suspects].slice(0, 3)) process.stderr.write(`${await sale.explain(orderId)}\n`);
process.stdout.write(
  `DONE ${JSON.stringify({
    problems: report.problems,
    orders: report.orders,
    coupons: report.coupons,
    timedOut: report.timedOut,
    placed: progress.placed,
    parked: parked.map((p) => `${p.processor} ${p.type}: ${p.error.message}`),
    transactions,
    transitions,
  })}\n`,
);
await sale.close();
await store.close();
