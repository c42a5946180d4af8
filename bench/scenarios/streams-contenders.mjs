// The stream pipelines of the `streams` scenario, written once with tidings/streams and once with
// RxJS operators, doing the same work on the same input (decision 0901 for what "equal" means).
const STREAMS = '../../packages/tidings/dist/streams/index.js';

export const SENSORS = 100;
export const WINDOW_MS = 10_000;
export const BATCH = { size: 1000, withinMs: 5_000 };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const SENSOR_IDS = Array.from({ length: SENSORS }, (_, i) => `s-${i}`);

/**
 * The input: one reading per millisecond of event time, sensors in turn, Fahrenheit; every tenth
 * round of each sensor is flagged to be filtered out. Each call allocates fresh objects.
 */
export function* readings(n) {
  for (let i = 0; i < n; i++) {
    yield { s: SENSOR_IDS[i % SENSORS], t: T0 + i, f: 50 + (i % 50), q: Math.floor(i / SENSORS) % 10 };
  }
}

/** The same input as an async iterable: one await per item, as from a bus stream or a socket. */
export async function* readingsAsync(n) {
  for (const r of readings(n)) yield r;
}

// The per-item work shared by every contender.
export const toCelsius = (r) => ({ sensorId: r.s, at: r.t, celsius: ((r.f - 32) * 5) / 9, keep: r.q !== 0 });
export const kept = (r) => r.keep;

/** What a correct run must produce, computed without either library. */
export function expected(n) {
  let count = 0;
  let sum = 0;
  const windows = new Set();
  for (const r of readings(n)) {
    const c = toCelsius(r);
    if (!c.keep) continue;
    count++;
    sum += c.celsius;
    windows.add(`${c.sensorId}|${Math.floor(c.at / WINDOW_MS)}`);
  }
  return { count, windows: windows.size, sum };
}

/** Totals of what reached the end, for the correctness check. */
export function windowSink() {
  const totals = { windows: 0, count: 0, sum: 0 };
  return {
    totals,
    // An average per window: count and average are folded back into a sum to compare with `expected`.
    write(w) {
      totals.windows++;
      totals.count += w.count;
      totals.sum += w.value * w.count;
    },
  };
}

/** map → filter → window per sensor (10 s, event time) → aggregate (average). Resolves when done. */
export const windowPipelines = {
  async tidings(source, sink) {
    const { pipe, map, filter, window, aggregate } = await import(STREAMS);
    await pipe(
      source,
      map(toCelsius),
      filter(kept),
      window({ by: (r) => r.sensorId, size: WINDOW_MS, eventTime: (r) => r.at }),
      aggregate({
        initial: () => 0,
        add: (sum, r) => sum + r.celsius,
        result: (sum, w) => sum / w.items.length,
      }),
    )
      .start()
      .pipeTo((a) => sink.write({ count: a.count, value: a.value }));
  },
  async rxjs(source, sink) {
    const { from, map, filter, groupBy, mergeMap, reduce } = await import('rxjs');
    const windowOf = (r) => Math.floor(r.at / WINDOW_MS);
    // RxJS has no event-time window. Per sensor group, a nested groupBy on the window index; a
    // window's group ends (its duration emits) when a later window's reading reaches the same
    // sensor group — the watermark of in-order input with no lateness — and reduce folds it.
    await new Promise((resolve, reject) => {
      from(source)
        .pipe(
          map(toCelsius),
          filter(kept),
          groupBy((r) => r.sensorId),
          mergeMap((sensor) =>
            sensor.pipe(
              groupBy(windowOf, { duration: (w) => sensor.pipe(filter((r) => windowOf(r) > w.key)) }),
              mergeMap((w) =>
                w.pipe(
                  reduce((acc, r) => ({ sum: acc.sum + r.celsius, n: acc.n + 1 }), { sum: 0, n: 0 }),
                  map((acc) => ({ count: acc.n, value: acc.sum / acc.n })),
                ),
              ),
            ),
          ),
        )
        .subscribe({ next: (w) => sink.write(w), error: reject, complete: resolve });
    });
  },
};

/** batch(1000, 5 s) with a sink that counts. Resolves when done. */
export const batchPipelines = {
  async tidings(source, sink) {
    const { pipe, batch } = await import(STREAMS);
    await pipe(source, batch({ size: BATCH.size, within: BATCH.withinMs }))
      .start()
      .pipeTo((b) => sink.write(b));
  },
  async rxjs(source, sink) {
    const { from, bufferTime } = await import('rxjs');
    await new Promise((resolve, reject) => {
      from(source)
        .pipe(bufferTime(BATCH.withinMs, null, BATCH.size))
        .subscribe({ next: (b) => sink.write(b), error: reject, complete: resolve });
    });
  },
};

export function batchSink() {
  const totals = { batches: 0, items: 0, largest: 0 };
  return {
    totals,
    write(b) {
      if (b.length === 0) return; // bufferTime emits an empty buffer at each period with nothing in it
      totals.batches++;
      totals.items += b.length;
      if (b.length > totals.largest) totals.largest = b.length;
    },
  };
}
