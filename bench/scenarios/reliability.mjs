// Scenario: what each reliability middleware adds to an awaited dispatch on our bus (issue 3, item 4).
import { loopSettings, measureLoop } from '../lib/timing.mjs';

const TYPE = 'bench.tick';
const CORE = '../../packages/tidings/dist/index.js';

// Deep modules are a fallback for while the public index does not export the toolkit yet.
const DEEP = {
  retryMiddleware: 'reliability/retry.js',
  timeoutMiddleware: 'reliability/timeout.js',
  createCircuitBreaker: 'reliability/circuit-breaker.js',
  circuitBreakerMiddleware: 'reliability/circuit-breaker.js',
  createBulkhead: 'reliability/bulkhead.js',
  bulkheadMiddleware: 'reliability/bulkhead.js',
  createRateLimiter: 'reliability/rate-limiter.js',
  rateLimitMiddleware: 'reliability/rate-limiter.js',
  createIdempotencyStore: 'reliability/idempotency-store.js',
  idempotencyMiddleware: 'reliability/idempotency.js',
  createDeadLetterStore: 'reliability/dead-letter-store.js',
  deadLetterMiddleware: 'reliability/dead-letter.js',
};

async function toolkit() {
  const core = await import(CORE);
  const out = { createEventBus: core.createEventBus, deep: [] };
  for (const [name, file] of Object.entries(DEEP)) {
    if (typeof core[name] === 'function') {
      out[name] = core[name];
      continue;
    }
    const mod = await import(`../../packages/tidings/dist/${file}`).catch(() => ({}));
    if (typeof mod[name] !== 'function') throw new Error(`tidings dist has no ${name} yet`);
    out[name] = mod[name];
    out.deep.push(name);
  }
  return out;
}

// Keys expire after 50 ms, so at these rates the key count settles well below the in-memory
// store's maxEntries (100,000). With a long TTL the store fills after 100,000 distinct messages and
// then refuses every new key (IDEMPOTENCY_STORE_FULL) after scanning itself: that measures a full
// store, not the middleware.
const IDEMPOTENCY_TTL_MS = 50;

// Settings that never refuse or delay a call here: the figure is the cost of the check itself.
const PIECES = {
  'no middleware': () => [],
  retry: (t) => [t.retryMiddleware({ maxAttempts: 3 })],
  timeout: (t) => [t.timeoutMiddleware(1000)],
  'circuit breaker': (t) => [t.circuitBreakerMiddleware(t.createCircuitBreaker({}))],
  bulkhead: (t) => [t.bulkheadMiddleware(t.createBulkhead({ maxConcurrent: 16, maxQueued: 16 }))],
  'rate limit': (t) => [
    t.rateLimitMiddleware(t.createRateLimiter({ strategy: 'token-bucket', capacity: 1e12, refillPerSecond: 1e12 })),
  ],
  idempotency: (t) => [t.idempotencyMiddleware({ store: t.createIdempotencyStore(), ttlMs: IDEMPOTENCY_TTL_MS })],
  'dead letter': (t) => [t.deadLetterMiddleware({ store: t.createDeadLetterStore() })],
  'all seven': (t) => [
    t.rateLimitMiddleware(t.createRateLimiter({ strategy: 'token-bucket', capacity: 1e12, refillPerSecond: 1e12 })),
    t.circuitBreakerMiddleware(t.createCircuitBreaker({})),
    t.bulkheadMiddleware(t.createBulkhead({ maxConcurrent: 16, maxQueued: 16 })),
    t.idempotencyMiddleware({ store: t.createIdempotencyStore(), ttlMs: IDEMPOTENCY_TTL_MS }),
    t.deadLetterMiddleware({ store: t.createDeadLetterStore() }),
    t.timeoutMiddleware(1000),
    t.retryMiddleware({ maxAttempts: 3 }),
  ],
};

export default {
  name: 'reliability',
  title: 'Reliability middleware on the bus',
  cases: () => [
    {
      id: 'awaited-1',
      title: 'Awaited dispatch through one subscriber wrapped in each middleware',
      unit: 'dispatches/s',
      contenders: Object.keys(PIECES),
      reference: 'no middleware',
      overheadVs: 'no middleware',
      targets: [],
      note: 'No target is set by the issue: the figures say what each piece costs per dispatch. "Added" is 1/rate − 1/rate(no middleware), in nanoseconds per dispatch.',
    },
  ],
  describe: () => {
    const s = loopSettings();
    return [
      '`await bus.publish({ type, data: { n: 1 } })` on `createEventBus()` with one subscriber whose handler adds `data.n` to a sink, subscribed with `{ middleware: [piece] }`. Settings under which nothing is refused or delayed: retry `maxAttempts: 3` (the handler never fails), timeout 1 000 ms (a timer is armed and cleared per call), circuit breaker defaults (closed), bulkhead 16 concurrent / 16 queued (dispatches are awaited one at a time), token-bucket rate limit with a bucket too large to run dry, idempotency keyed by the message id in the in-memory store with `ttlMs: 50` (every dispatch is new, so each one creates its id and records a key; the short TTL keeps the store in a steady state below its 100,000-key `maxEntries`; with the default 24 h TTL a full store evicts its oldest completed key per new one), dead letter with the in-memory store (no failure, nothing captured). `all seven` stacks them in the order rate limit → breaker → bulkhead → idempotency → dead letter → timeout → retry.',
      `Per process: batch size calibrated, ${s.warmupMs} ms warm-up, then ${s.samples} timed samples of ≥ ${s.sampleMs} ms of CPU time; the process reports the median sample. Rates are per second of the process\'s CPU time (user + system, GC threads included), not wall time: the machine is shared, and a descheduled process loses wall time but not CPU time. Wall-clock rates are kept in bench/results/*.json.`,
    ];
  },
  async measure(caseId, contender) {
    if (caseId !== 'awaited-1') throw new Error(`unknown reliability case ${caseId}`);
    const t = await toolkit();
    const piece = PIECES[contender];
    if (piece === undefined) throw new Error(`unknown middleware ${contender}`);
    const bus = t.createEventBus();
    let sink = 0;
    bus.subscribe(
      TYPE,
      (event) => {
        sink += event.data.n;
      },
      { middleware: piece(t) },
    );
    const batch = async (n) => {
      for (let i = 0; i < n; i++) await bus.publish({ type: TYPE, data: { n: 1 } });
    };
    await batch(1000);
    if (sink !== 1000) throw new Error(`${contender}: the handler ran ${sink} times for 1000 dispatches`);
    const r = await measureLoop(batch);
    // Every dispatch must have reached the handler: a middleware that starts refusing calls
    // (a full store, an open breaker) would otherwise look fast or slow for the wrong reason.
    if (sink !== 1000 + r.totalOps)
      throw new Error(`${contender}: the handler ran ${sink} times for ${1000 + r.totalOps} dispatches`);
    return { value: r.rate, detail: { samples: r.samples, wallRate: Math.round(r.wallRate), deepImports: t.deep } };
  },
};
