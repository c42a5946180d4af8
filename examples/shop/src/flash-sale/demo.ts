import { existsSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { sqliteEventStore } from '@tidings/sqlite';
import { sqliteShopState } from '../shop-state.sqlite.js';
import { createFlashSale } from './flash-sale.js';
import { scaledClock, scaledSettings } from './scaled-clock.js';
import { runSimulation, type SaleProgress, type SimulationOptions } from './simulation.js';

/** Settings of the `npm start` demo. The defaults make a run of well under a minute. */
export interface DemoOptions extends Partial<SimulationOptions> {
  /** The SQLite file (replaced at each run). Default `shop.db` in the working directory. */
  readonly path?: string;
  readonly stock?: Readonly<Record<string, number>>;
  /** How much faster the sale's clock runs than the wall clock. Default 300 (15 minutes in 3 s). */
  readonly speed?: number;
  /** Where lines go. Default stdout. */
  readonly write?: (text: string) => void;
  /** Rewrite one progress line in place (a terminal) or print a line now and then. Default: stdout is a TTY. */
  readonly tty?: boolean;
}

/** What the demo found; `ok` is false when a rule of the sale is broken. */
export interface DemoResult {
  readonly ok: boolean;
  readonly progress: SaleProgress;
  readonly problems: readonly string[];
  readonly parkedBefore: number;
  readonly parkedAfter: number;
}

const DEFAULT_STOCK = { 'sneaker-retro': 60, 'watch-nova': 35, 'headphones-x': 45 };

/**
 * The living demo: a few hundred customers in a flash sale on limited stock, on the embedded
 * SQLite file, with the clock sped up so 15-minute payment timeouts pass in seconds.
 */
export async function runFlashSaleDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const out = (line = ''): void => write(`${line}\n`);
  const tty = options.tty ?? process.stdout.isTTY === true;
  const speed = options.speed ?? 300;
  const stock = options.stock ?? DEFAULT_STOCK;
  const sim: SimulationOptions = {
    customers: options.customers ?? 300,
    payChance: options.payChance ?? 0.6,
    latePayChance: options.latePayChance ?? 0.25,
    arrivalMinutes: options.arrivalMinutes ?? 4,
    seed: options.seed ?? 2026,
    unitPrice: options.unitPrice ?? 4_900,
    timeoutMs: options.timeoutMs ?? 50_000,
  };
  const path = resolve(options.path ?? process.env['TIDINGS_SQLITE_PATH'] ?? 'shop.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });

  const clock = scaledClock(speed);
  const settings = scaledSettings(clock);
  const opened = clock.now();
  const minute = (): number => (clock.now() - opened) / 60_000;
  const store = await sqliteEventStore(path, settings.store);
  // The CRM is down at the start of the sale: it refuses the first payments it is sent (each
  // retried, then parked) and comes back when the sale is over.
  const refused = new Set<string>();
  let crmBack = false;
  const crmDown = (orderId: string): boolean => {
    if (crmBack) return false;
    if (refused.size < CRM_OUTAGE_ORDERS) refused.add(orderId);
    return refused.has(orderId);
  };
  const sale = createFlashSale({
    store,
    clock,
    state: sqliteShopState(),
    stock,
    crmDown,
    crmRetry: settings.crmRetry,
    runner: settings.runner,
    timers: settings.timers,
    settleTimeoutMs: settings.settleTimeoutMs,
    retry: settings.retry,
    conflictRetry: settings.conflictRetry,
  });

  const units = Object.values(stock).reduce((a, b) => a + b, 0);
  out(
    `Flash sale: ${sim.customers} customers, ${units} units of ${Object.keys(stock).length} products, 15 minutes to pay.`,
  );
  out(
    `The sale's clock runs ${speed}x: a 15-minute payment timeout passes in ${(PAYMENT_SECONDS / speed).toFixed(1)} s.`,
  );
  out(`Recorded in ${path} (SQLite); the CRM is down for the first ${CRM_OUTAGE_ORDERS} payments.`);
  out();

  const t0 = performance.now();
  let lastEvents = 0;
  let lastAt = t0;
  let lastPrinted = 0;
  let rate = 0;
  const line = (p: SaleProgress): string =>
    `  ${minute().toFixed(0).padStart(3)} min  orders ${p.placed}  paid ${p.paid}  timed out ${p.timedOut}  ` +
    `waiting ${p.waitListed - p.servedFromWaitList}  events ${p.events} (${Math.round(rate)}/s)`;
  const onTick = (p: SaleProgress): void => {
    const now = performance.now();
    if (now - lastAt >= 500) {
      rate = ((p.events - lastEvents) * 1000) / (now - lastAt);
      lastEvents = p.events;
      lastAt = now;
    }
    if (tty) write(`\r\x1b[2K${line(p)}`);
    else if (now - lastPrinted >= 2_000) {
      out(line(p));
      lastPrinted = now;
    }
  };

  try {
    return await simulateAndReport();
  } finally {
    // Also after a failure: the processors and the timer poller stop, so the process can exit.
    await sale.close();
    await store.close();
  }

  async function simulateAndReport(): Promise<DemoResult> {
    await sale.start();
    let progress: SaleProgress;
    try {
      progress = await runSimulation(sale, clock, sim, onTick, Object.keys(stock));
    } finally {
      if (tty) write('\n');
    }
    const seconds = (performance.now() - t0) / 1000;
    out(line(progress));
    out();

    const report = await sale.report(true);
    const parkedList = await sale.app.parked.list();
    const parkedBefore = parkedList.length;
    // Anything parked but the CRM's copies is a failure of the sale itself: show it.
    for (const p of parkedList.filter((e) => e.processor !== 'crm-sync')) {
      report.problems.push(`parked by ${p.processor}: ${p.type} ${p.streamId}: ${p.error.message}`);
    }
    out(`Sale over after ${minute().toFixed(0)} simulated minutes (${seconds.toFixed(1)} s real).`);
    out('Orders by state');
    out(`  paid              ${report.orders.paid}`);
    out(`  cancelled         ${report.orders.cancelled} (payment timeout: ${progress.timedOut})`);
    out(`  awaiting payment  ${report.orders['awaiting-payment']}`);
    out(
      `  wait list         ${progress.waitListed} joined, ${progress.servedFromWaitList} got released stock, ${report.waiting} still waiting at close`,
    );
    out(`  late payments     ${progress.latePaymentsRefused} refused ("order cancelled (payment timeout)")`);
    out('Stock (opening = sold + available + locked)');
    for (const s of Object.values(report.stock)) {
      const locked = Object.values(s.locks).reduce((a, b) => a + b, 0);
      const ok = s.initial === s.sold + s.available + locked;
      out(`  ${s.productId.padEnd(14)} ${s.initial} = ${s.sold} + ${s.available} + ${locked}  ${ok ? 'ok' : 'BROKEN'}`);
    }
    out(`Coupons issued    ${report.coupons} (one per paid order)`);
    out(`Notifications     ${(await sale.notifications.sent()).length} sent by the notification processor`);
    out(`Timers fired      ${report.timedOut} payment timeouts, each once`);
    out();
    out(`Parked events: the CRM observer was retried 3 times per event, then parked ${parkedBefore} event(s).`);
    crmBack = true;
    const retried = await sale.app.parked.retryAll();
    const succeeded = retried.filter((r) => r.outcome === 'handled').length;
    const parkedAfter = (await sale.app.parked.list()).length;
    out(`  CRM is back: retried them from the parked list, ${succeeded} succeeded, ${parkedAfter} left parked.`);
    out(`  Paid orders in the CRM: ${await sale.crm.synced()} of ${report.orders.paid}.`);
    out();
    if (report.problems.length === 0)
      out('Checks: stock conserved, one coupon per paid order, no timer fired twice: all passed.');
    else {
      for (const p of report.problems) out(`PROBLEM: ${p}`);
      const orders = new Set(report.problems.flatMap((p) => [...p.matchAll(/\b(o-\d+)/g)].map((m) => m[1]!)));
      for (const orderId of [...orders].slice(0, 5)) out(await sale.explain(orderId));
    }
    const shown = relative(process.cwd(), path) || path;
    out();
    out(`The whole sale is in ${path}. Look inside:`);
    out(
      hasSqlite3()
        ? `  sqlite3 ${shown} "select type, count(*) from events group by type order by 2 desc"`
        : `  node -e "const db=require('better-sqlite3')('${shown}');console.table(db.prepare('select type, count(*) n from events group by type order by 2 desc').all())"`,
    );
    out('The step-by-step S1 walkthrough: npm start -- --walkthrough');
    const ok = report.problems.length === 0 && parkedAfter === 0;
    return { ok, progress, problems: report.problems, parkedBefore, parkedAfter };
  }
}

const PAYMENT_SECONDS = 15 * 60;
/** How many paid orders the CRM refuses before the demo brings it back. */
const CRM_OUTAGE_ORDERS = 6;

function hasSqlite3(): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/sqlite3`));
}
