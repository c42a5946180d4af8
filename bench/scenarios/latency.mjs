// Scenario: the in-process bus's floors from SCENARIOS.md S6 — publish-to-handler latency under 1 ms
// and 10,000+ events/s sustained with 10 publishers x 10,000 events — for our queued subscriptions,
// side by side with eventemitter3 plus a hand-rolled bounded queue (bench/lib/hand-rolled-queue.mjs).
import { allContenders, queuedContenders } from './latency-contenders.mjs';
import { burstRun, createRecorder, pacedRun, percentiles, throughputRound } from '../lib/latency.mjs';
import { median } from '../lib/stats.mjs';

const quick = () => process.env.BENCH_QUICK === '1';

// Latency runs: a warm-up pass (discarded, so the JIT has compiled both ends) then the measured one.
const RATE = 50_000;
const BURST = 1_000;
const LATENCY_CAPACITY = 1024; // the queue's default (`queue: true`); a burst fits without waiting
const latencyEvents = () => (quick() ? { warmup: 5_000, measured: 20_000 } : { warmup: 20_000, measured: 100_000 });

// Throughput: S6's shape. A round of the full load takes tens of ms, so each process runs warm-up
// rounds (the first ones run at half speed while the JIT compiles) and then several timed rounds,
// each on a fresh bus/emitter, and reports the median round.
const THROUGHPUT = { publishers: 10, perPublisher: 10_000, subscribers: 2, capacity: 256 };
const throughputRounds = () => (quick() ? { warmup: 1, timed: 3 } : { warmup: 3, timed: 9 });

const QUEUED = ['tidings (queued)', 'eventemitter3 + queue (queueMicrotask)', 'eventemitter3 + queue (setImmediate)'];
const PEER = 'eventemitter3 + queue (queueMicrotask)';
const FLOOR_MS = 1;
const FLOOR_RATE = 10_000;

const latencyFloors = [
  {
    contender: 'tidings (queued)',
    metric: 'p99',
    below: FLOOR_MS * 1000,
    label: `tidings (queued) p99 < ${FLOOR_MS} ms (S6 floor)`,
  },
  {
    contender: 'tidings (queued)',
    metric: 'max',
    below: FLOOR_MS * 1000,
    label: `tidings (queued) max < ${FLOOR_MS} ms`,
    informative: true,
  },
];

export default {
  name: 'latency',
  title: 'In-process bus: queued delivery latency and sustained throughput (S6 floors)',
  cases: () => {
    const { measured } = latencyEvents();
    return [
      {
        id: 'paced',
        kind: 'latency',
        title: `Publish-to-handler latency, steady ${RATE.toLocaleString('en-US')} events/s (${measured.toLocaleString('en-US')} events)`,
        unit: 'µs p99',
        contenders: [...QUEUED, 'tidings (inline emit)', 'eventemitter3 (inline emit)'],
        reference: PEER,
        floors: latencyFloors,
      },
      {
        id: 'burst',
        kind: 'latency',
        title: `Publish-to-handler latency, bursts of ${BURST.toLocaleString('en-US')} back-to-back publishes every ${(BURST / RATE) * 1000} ms (${measured.toLocaleString('en-US')} events)`,
        unit: 'µs p99',
        contenders: QUEUED,
        reference: PEER,
        floors: latencyFloors,
      },
      {
        id: 'throughput',
        title: `${THROUGHPUT.publishers} publishers x ${THROUGHPUT.perPublisher.toLocaleString('en-US')} events into ${THROUGHPUT.subscribers} queued subscribers (capacity ${THROUGHPUT.capacity}, concurrency 1)`,
        unit: 'events/s',
        contenders: [QUEUED[0], 'tidings (queued, checkSerializable: false)', ...QUEUED.slice(1)],
        reference: PEER,
        detailColumns: [{ key: 'wallRate', label: 'Wall-clock events/s' }],
        floors: [
          {
            contender: 'tidings (queued)',
            metric: 'value',
            atLeast: FLOOR_RATE,
            label: 'tidings (queued) ≥ 10,000 events/s of CPU time (S6 floor)',
          },
          {
            contender: 'tidings (queued)',
            metric: 'wallRate',
            atLeast: FLOOR_RATE,
            label: 'tidings (queued) ≥ 10,000 events/s of wall time (S6 floor)',
          },
        ],
        note: "An event counts once it has been handled by both subscribers; every run checks that each subscriber handled each publisher's 10,000 events exactly once and in that publisher's order, and fails otherwise. \"Events/s\" is per second of the process's CPU time, as in the other in-process scenarios; the wall-clock rate is shown beside it.",
      },
    ];
  },
  describe: () => {
    const { warmup, measured } = latencyEvents();
    return [
      `Contenders. \`tidings (queued)\`: \`createEventBus()\` with \`bus.subscribe('bench.tick', handler, { queue: { capacity, concurrency: 1 } })\` (overflow \`wait\`, the default) and \`await bus.publish({ type, data })\`; the queue starts its worker in a microtask, so the handler runs after the publisher\'s synchronous code, never inside it. \`eventemitter3 + queue (queueMicrotask)\`, the equal-work peer: an eventemitter3 emitter whose listener pushes the payload into a bounded ring buffer of the same capacity, drained by one worker (concurrency 1) scheduled with \`queueMicrotask\` once per batch; the handler's result is awaited only when it is a promise; a throw is caught and counted; \`await publish(payload)\` waits (one wake-up per freed slot, in arrival order) until every subscriber's queue has room and then emits — the same contract as our \`wait\` overflow. \`eventemitter3 + queue (setImmediate)\` is the same queue drained from \`setImmediate\`, the other way such queues are written (it lets I/O run between batches). Our bus does more per event than the peer: it builds an envelope, checks that \`data\` is JSON, isolates failures, keeps per-queue counters and supports keys, overflow policies and close(); the peer does none of that. \`tidings (inline emit)\` / \`eventemitter3 (inline emit)\`: the handler runs inside a synchronous \`emit\`; shown for reference only (no queue, the publisher pays for the handler). \`tidings (queued, checkSerializable: false)\` (throughput only) turns off the publish-time JSON check of \`data\`, to show its cost; the floors are judged on the defaults.`,
      `Latency. Each event's publish-to-handler latency is the wall time from \`process.hrtime.bigint()\` taken just before the publish call to the same clock read first thing in the handler (both stored in typed arrays by sequence number; the payload is \`{ n: 1, i }\` for everyone, ours wrapped in \`{ type, data }\`). Every handler stamps, counts the delivery and adds \`n\` to a sink; a run fails unless every event was delivered exactly once. Queue capacity ${LATENCY_CAPACITY} (the default), concurrency 1. Per process: ${warmup.toLocaleString('en-US')} events as warm-up (discarded), then ${measured.toLocaleString('en-US')} measured; percentiles are nearest-rank over those events, and the table shows the median of each percentile over the runs plus the worst max of any run. Paced: one event per event-loop turn at ${RATE.toLocaleString('en-US')}/s (a publisher loop that yields with setImmediate and publishes whatever is due; more than one per turn only to catch up after a stall — "max per turn" is in the result files). Bursts: ${BURST.toLocaleString('en-US')} \`await publish()\` calls back to back, a burst every ${(BURST / RATE) * 1000} ms (the same ${RATE.toLocaleString('en-US')}/s on average); an await lets microtasks run between publishes but not macrotasks, so a setImmediate-drained queue only starts once the burst ends.`,
      `Throughput (S6): ${THROUGHPUT.publishers} concurrent publisher loops, each \`for (n of 0..${THROUGHPUT.perPublisher - 1}) await publish({ p, n })\`, into ${THROUGHPUT.subscribers} queued subscribers with capacity ${THROUGHPUT.capacity} and concurrency 1, whose handlers check the order and count. Timed from the first publish until both queues are idle. Per process: ${throughputRounds().warmup} warm-up round(s) of the full load, then ${throughputRounds().timed} timed rounds, each on a fresh bus/emitter (every round checked); the process reports the median round. The result files also keep the highest queue length seen (\`highWaterMark\`): whether the publishers were ever held back by a full queue.`,
      `Latency is counted from the actual publish call, not from the moment the event was due: when the process stalls (a GC pause, preemption by other work), the publisher falls behind and then catches up, and that wait is the publisher's, not the bus's. \`Events ≥ 1 ms\` is the median over runs of how many measured events took 1 ms or more. Wall-clock figures on a shared machine: a process descheduled by other work shows it as latency (load averages are listed above); the max column is one event in ${latencyEvents().measured.toLocaleString('en-US')} and mostly shows such pauses — they reach the inline rows too. The S6 floors are judged on the medians over runs; the max is shown against 1 ms for information.`,
    ];
  },
  notes: () => [
    "Reading the latency rows: the queueMicrotask peer and our queue use the same mechanism (a microtask after the publisher's synchronous step), so their gap is the per-event work each does. The setImmediate peer waits for the next event-loop turn, and in bursts for the burst to end (up to the queue capacity), which is what the max column shows. The inline rows are a handler called inside `emit` — the floor for any delivery, not a queued one.",
  ],
  async measure(caseId, contender) {
    if (caseId === 'throughput') return measureThroughput(contender);
    if (caseId !== 'paced' && caseId !== 'burst') throw new Error(`unknown latency case ${caseId}`);
    const build = allContenders[contender];
    if (build === undefined) throw new Error(`unknown latency contender ${contender}`);
    const errors = [];
    const subject = await build({ capacity: LATENCY_CAPACITY, onError: (e) => errors.push(e) });
    let rec;
    // The subscriber delegates to the recorder of the current pass (warm-up, then measured).
    const sub = subject.subscribe((d) => rec.handler(d));
    const drive = caseId === 'paced' ? pacedRun : burstRun;
    const { warmup, measured } = latencyEvents();
    let run;
    for (const total of [warmup, measured]) {
      rec = createRecorder(total);
      run = await drive({ total, ratePerSecond: RATE, burst: BURST, publish: subject.publish, rec });
      await sub.idle();
      if (errors.length > 0) throw new Error(`${errors.length} handler failures, first: ${String(errors[0])}`);
    }
    const p = percentiles(rec.latencies());
    return {
      value: p.p99,
      detail: {
        ...p,
        events: measured,
        achievedRate: Math.round(measured / run.seconds),
        maxPerTurn: run.maxPerTurn,
      },
    };
  },
};

async function measureThroughput(contender) {
  const build = queuedContenders[contender];
  if (build === undefined) throw new Error(`unknown throughput contender ${contender}`);
  const { warmup, timed } = throughputRounds();
  for (let r = 0; r < warmup; r++) await throughputRound(build, THROUGHPUT);
  const rounds = [];
  for (let r = 0; r < timed; r++) rounds.push(await throughputRound(build, THROUGHPUT));
  return {
    value: median(rounds.map((r) => r.cpuRate)),
    detail: {
      wallRate: Math.round(median(rounds.map((r) => r.wallRate))),
      cpuRates: rounds.map((r) => Math.round(r.cpuRate)),
      wallRates: rounds.map((r) => Math.round(r.wallRate)),
      // Highest queue length seen: shows whether the publishers were ever held back by a full queue.
      highWaterMark: Math.max(...rounds.map((r) => r.highWaterMark)),
      events: THROUGHPUT.publishers * THROUGHPUT.perPublisher,
    },
  };
}
