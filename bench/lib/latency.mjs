// Drivers of the latency scenario, run inside one contender's process: a paced publisher, a bursty
// one, and the many-publishers throughput round. Latency is wall time from a `process.hrtime.bigint()`
// taken just before the publish call to one taken first thing in the handler; both stamps sit in
// typed arrays indexed by the event's sequence number, so no contender carries anything extra.
const now = process.hrtime.bigint;

/**
 * Resolves on the first event-loop turn at or after `deadline` (a `performance.now()` time), always
 * yielding at least one turn. It spins on setImmediate — timers have millisecond resolution, too coarse
 * to pace at tens of µs — and allocates no promise per turn, so the harness's own garbage stays small
 * beside the contenders' and the GC pauses that reach the tail are mostly theirs.
 */
function turnsUntil(deadline) {
  return new Promise((resolve) => {
    const check = () => (performance.now() >= deadline ? resolve() : setImmediate(check));
    setImmediate(check);
  });
}

/**
 * Per-event bookkeeping for `total` events. `handler` is what every contender's subscriber calls:
 * it stamps the arrival, counts the delivery and adds `n` to a sink (the same work for everyone).
 */
export function createRecorder(total) {
  const sent = new BigInt64Array(total);
  const received = new BigInt64Array(total);
  const deliveries = new Uint8Array(total);
  const rec = {
    sent,
    sink: 0,
    handler: (d) => {
      received[d.i] = now();
      deliveries[d.i]++;
      rec.sink += d.n;
    },
    /** Latencies in µs, sorted; throws unless every event was delivered exactly once. */
    latencies() {
      if (rec.sink !== total) throw new Error(`sink ${rec.sink} after ${total} events, expected ${total}`);
      const out = new Float64Array(total);
      for (let i = 0; i < total; i++) {
        if (deliveries[i] !== 1) throw new Error(`event ${i} was delivered ${deliveries[i]} times, expected once`);
        out[i] = Number(received[i] - sent[i]) / 1000;
      }
      return out.sort();
    },
  };
  return rec;
}

/** Nearest-rank percentiles of sorted latencies, in µs, and how many reached 1 ms. */
export function percentiles(sorted) {
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  let sum = 0;
  let over1ms = 0;
  for (const v of sorted) {
    sum += v;
    if (v >= 1000) over1ms++;
  }
  return {
    over1ms,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

// `publish` returns a promise for awaited contenders (awaited before the next publish, as a caller
// of `await bus.publish()` does) and undefined for synchronous ones.
async function publishOne(publish, rec, i) {
  rec.sent[i] = now();
  const pending = publish({ n: 1, i });
  if (pending !== undefined) await pending;
}

/**
 * Publishes `total` events at `ratePerSecond`, one macrotask turn at a time: each turn publishes the
 * events that are due by now (normally one; more only to catch up after a stall) and then yields
 * with setImmediate, so the event loop runs between publishes as in a server. Spinning on turns is
 * the only way to pace at tens of µs: timers have millisecond resolution.
 */
export async function pacedRun({ total, ratePerSecond, publish, rec }) {
  const msPerEvent = 1000 / ratePerSecond;
  const start = performance.now();
  let i = 0;
  let maxPerTurn = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / msPerEvent) + 1);
    const before = i;
    while (i < due) await publishOne(publish, rec, i++);
    if (i - before > maxPerTurn) maxPerTurn = i - before;
    if (i < total) await turnsUntil(start + i * msPerEvent);
  }
  return { seconds: (performance.now() - start) / 1000, maxPerTurn };
}

/**
 * Publishes `total` events in bursts of `burst` back-to-back publishes (each awaited before the next,
 * no yield to the event loop in between), starting a burst every `burst / ratePerSecond` seconds.
 */
export async function burstRun({ total, burst, ratePerSecond, publish, rec }) {
  const msPerBurst = (1000 * burst) / ratePerSecond;
  const start = performance.now();
  let i = 0;
  for (let b = 0; i < total; b++) {
    if (b > 0) await turnsUntil(start + b * msPerBurst);
    const end = Math.min(total, i + burst);
    while (i < end) await publishOne(publish, rec, i++);
  }
  return { seconds: (performance.now() - start) / 1000, maxPerTurn: burst };
}

/**
 * S6's load: `publishers` concurrent loops of `await publish({ p, n })` into `subscribers` queued
 * subscriptions. Checks that every subscriber received every publisher's events exactly once and in
 * that publisher's order (each `n` must follow the previous one), then returns the rates: events
 * published and handled by every subscriber, per second of wall time and of this process's CPU time.
 */
export async function throughputRound(build, { publishers, perPublisher, subscribers, capacity }) {
  const errors = [];
  const contender = await build({ capacity, onError: (e) => errors.push(e) });
  const counts = new Array(subscribers).fill(0);
  const last = Array.from({ length: subscribers }, () => new Int32Array(publishers).fill(-1));
  let outOfOrder = 0;
  const subs = [];
  for (let s = 0; s < subscribers; s++) {
    const seen = last[s];
    subs.push(
      contender.subscribe((d) => {
        if (d.n !== seen[d.p] + 1) outOfOrder++;
        seen[d.p] = d.n;
        counts[s]++;
      }),
    );
  }
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(
    Array.from({ length: publishers }, async (_, p) => {
      for (let n = 0; n < perPublisher; n++) await contender.publish({ p, n });
    }),
  );
  await Promise.all(subs.map((s) => s.idle()));
  const wallSeconds = Number(now() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const events = publishers * perPublisher;
  if (errors.length > 0) throw new Error(`${errors.length} handler failures, first: ${String(errors[0])}`);
  if (outOfOrder > 0) throw new Error(`${outOfOrder} deliveries out of publisher order or repeated`);
  for (let s = 0; s < subscribers; s++) {
    if (counts[s] !== events) throw new Error(`subscriber ${s} handled ${counts[s]} events, expected ${events}`);
    for (let p = 0; p < publishers; p++)
      if (last[s][p] !== perPublisher - 1)
        throw new Error(`subscriber ${s} last saw n=${last[s][p]} of publisher ${p}, expected ${perPublisher - 1}`);
  }
  const highWaterMark = Math.max(...subs.map((s) => s.stats?.().queue?.highWaterMark ?? s.highWaterMark ?? 0));
  return {
    events,
    wallRate: events / wallSeconds,
    cpuRate: events / ((cpu.user + cpu.system) / 1e6),
    highWaterMark,
  };
}
