// Time-boxed loops for the event-store scenarios: `callers` async loops call `step(caller)` (which
// resolves to the number of events it appended or read) until a deadline; a warm-up phase runs
// first and is not counted. Stores get slower as they grow, so a fixed time box treats a fast and a
// slow contender alike better than a fixed count would.

export function storeSettings() {
  return process.env.BENCH_QUICK === '1' ? { warmupMs: 150, durationMs: 500 } : { warmupMs: 500, durationMs: 2500 };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function phase(callers, step, ms) {
  const deadline = now() + ms;
  const t0 = now();
  const counts = await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      let events = 0;
      while (now() < deadline) events += await step(caller);
      return events;
    }),
  );
  const elapsed = now() - t0;
  return { events: counts.reduce((a, b) => a + b, 0), elapsed };
}

/** Events per second of `callers` concurrent loops over the timed phase. */
export async function timeBoxed(callers, step, settings = storeSettings()) {
  await phase(callers, step, settings.warmupMs);
  const { events, elapsed } = await phase(callers, step, settings.durationMs);
  return { rate: (events * 1000) / elapsed, events, ms: Math.round(elapsed) };
}

/** The event every contender appends: the same type, data and (empty) metadata, JSON-encoded by each. */
export function benchEvent(n) {
  return {
    type: 'bench.item-added',
    data: { n, sku: `sku-${n % 1000}`, quantity: 3, note: 'a short line of payload text' },
  };
}
