// Scenario: tidings/streams against the same pipelines written with RxJS (issue 12): events/s in
// process through map → filter → window per key (10 s, event time) → aggregate and through
// batch(1000, 5 s), with peak RSS; and the MQTT-fed IoT example end to end beside a raw mqtt.js
// subscriber's publish-to-receive rate.
import {
  batchPipelines,
  batchSink,
  expected,
  readings,
  readingsAsync,
  SENSORS,
  WINDOW_MS,
  windowPipelines,
  windowSink,
} from './streams-contenders.mjs';
import { MQTT_URL, mqttRounds } from './streams-mqtt.mjs';
import { median } from '../lib/stats.mjs';

const quick = () => process.env.BENCH_QUICK === '1';
const events = () => (quick() ? 100_000 : 1_000_000);
const rounds = () => (quick() ? { warmup: 1, timed: 2 } : { warmup: 2, timed: 5 });
const mqttMessages = () => (quick() ? 2_000 : 20_000);

const CONTENDERS = [
  'tidings/streams (sync source)',
  'rxjs (sync source)',
  'tidings/streams (async source)',
  'rxjs (async source)',
];
const MQTT_CONTENDERS = ['tidings IoT example over MQTT', 'raw mqtt.js subscriber'];
const RSS = { key: 'peakRssMiB', label: 'Peak RSS MiB' };
const WALL = { key: 'wallRate', label: 'Wall-clock events/s' };

function inProcessCase(id, title) {
  return {
    id,
    title,
    unit: 'events/s',
    contenders: CONTENDERS,
    reference: 'rxjs (sync source)',
    compareTo: ['rxjs (async source)'],
    detailColumns: [WALL, RSS],
    targets: [
      { contender: 'tidings/streams (sync source)', versus: 'rxjs (sync source)', atLeast: 1.0 },
      { contender: 'tidings/streams (async source)', versus: 'rxjs (async source)', atLeast: 1.0 },
    ],
  };
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function inProcess(caseId, contender) {
  const library = contender.startsWith('rxjs') ? 'rxjs' : 'tidings';
  const asyncSource = contender.includes('async');
  const n = events();
  const run = async () => {
    const source = asyncSource ? readingsAsync(n) : readings(n);
    if (caseId === 'window') {
      const sink = windowSink();
      await windowPipelines[library](source, sink);
      return sink.totals;
    }
    const sink = batchSink();
    await batchPipelines[library](source, sink);
    return sink.totals;
  };
  const check = caseId === 'window' ? expected(n) : undefined;
  const verify = (totals) => {
    if (caseId === 'window') {
      const sumOff = Math.abs(totals.sum - check.sum) > 1e-6 * Math.abs(check.sum);
      if (totals.count !== check.count || totals.windows !== check.windows || sumOff) {
        throw new Error(`${contender}: ${JSON.stringify(totals)} where ${JSON.stringify(check)} was expected`);
      }
    } else if (totals.items !== n || totals.largest !== 1000 || totals.batches !== Math.ceil(n / 1000)) {
      throw new Error(`${contender}: ${JSON.stringify(totals)} for ${n} events in batches of 1000`);
    }
  };
  const { warmup, timed } = rounds();
  for (let r = 0; r < warmup; r++) verify(await run());
  const cpuRates = [];
  const wallRates = [];
  for (let r = 0; r < timed; r++) {
    const c0 = cpuMs();
    const w0 = performance.now();
    verify(await run());
    cpuRates.push((n * 1000) / (cpuMs() - c0));
    wallRates.push((n * 1000) / (performance.now() - w0));
  }
  return {
    value: median(cpuRates),
    detail: {
      wallRate: Math.round(median(wallRates)),
      cpuRates: cpuRates.map(Math.round),
      peakRssMiB: peakRssMiB(),
      events: n,
    },
  };
}

async function overMqtt(contender) {
  const round = contender.startsWith('raw') ? mqttRounds.raw : mqttRounds.iot;
  const n = mqttMessages();
  await round(Math.min(1_000, n)); // warm-up: connections, JIT
  const r = await round(n);
  return { value: r.rate, detail: { peakRssMiB: peakRssMiB(), messages: n, received: r.received } };
}

export default {
  name: 'streams',
  title: 'Stream processing: tidings/streams against RxJS, and the IoT example over MQTT',
  cases: () => [
    inProcessCase('window', 'map → filter → window per sensor (10 s, event time) → aggregate'),
    inProcessCase('batch', 'batch(1000, 5 s)'),
    {
      id: 'mqtt',
      title: `MQTT-fed, end to end (${mqttMessages().toLocaleString('en-US')} readings, QoS 1)`,
      unit: 'events/s',
      contenders: MQTT_CONTENDERS,
      reference: 'raw mqtt.js subscriber',
      ceiling: 'raw mqtt.js subscriber',
      detailColumns: [RSS],
      targets: [],
    },
  ],
  describe: () => {
    const { warmup, timed } = rounds();
    return [
      `Input: ${events().toLocaleString('en-US')} readings per round, generated in process (${SENSORS} sensors in turn, one reading per millisecond of event time, a fresh object each); every tenth round of each sensor is filtered out. "sync source" iterates a generator; "async source" an async generator (one await per reading, as from a bus stream or a socket), given to RxJS through \`from()\`. Each process runs ${warmup} warm-up round(s) and ${timed} timed rounds, each with a fresh pipeline, and reports the median; rates are per second of the process's CPU time (wall-clock rates beside them). Every round checks the totals against a pass computed without either library (windows, readings and the sum of temperatures; batch count and sizes) and fails otherwise. Peak RSS is the process's maximum resident set size (\`process.resourceUsage().maxRSS\`), Node's own baseline included.`,
      `Window pipeline. Ours: \`pipe(source, map(toCelsius), filter(kept), window({ by: sensorId, size: ${WINDOW_MS / 1000} s, eventTime }), aggregate(average))\`, piped to a sink; the window keeps each window's readings until the watermark passes its end (lateness 0). RxJS has no event-time window, so the equal pipeline is \`map → filter → groupBy(sensor) → mergeMap(sensor ⇒ sensor.pipe(groupBy(windowIndex, { duration: a later window's reading in that sensor }), mergeMap(w ⇒ w.pipe(reduce(sum, count)))))\`: the same windows closed at the same moment for in-order input; its reduce folds as readings arrive where ours keeps the readings of each open window until it closes (what a separate \`aggregate\` stage needs).`,
      'Batch pipeline. Ours: `pipe(source, batch({ size: 1000, within: 5000 }))`; RxJS: `bufferTime(5000, null, 1000)`. Both emit full batches of 1,000 and the rest at the end; the 5 s timer never fires within a round.',
      `MQTT. One raw mqtt.js publisher sends JSON readings (10 sensors, 1 in 50 hot) with QoS 1 to a fresh topic on the broker at ${MQTT_URL}, awaiting its PUBACKs in groups of 200. "raw mqtt.js subscriber" counts the messages it receives (QoS 1, acknowledged at once): the transport's ceiling. "tidings IoT example over MQTT" is \`examples/iot\` unchanged: \`openMqttSource\` (prefetch 100) → parse → \`publishTo(bus)\` → two bus streams → per-sensor averages (10 s event-time windows) and alerts by rule recorded in the in-memory store and counted per window; timed from the first publish until both pipelines have taken every reading (and checked: one alert event stored per hot reading). Wall-clock rate of one timed round after a 1,000-message warm-up round, per process.`,
    ];
  },
  notes: () => [
    'Reading the rows: with a sync source both libraries run each reading through their stages as plain function calls; with an async source each reading costs an await first, the same for both. Peak RSS includes Node itself (about 45–60 MiB here) and the input objects of the round in flight.',
    ...(quick()
      ? [
          `These figures come from a small smoke run (BENCH_QUICK: ${events().toLocaleString('en-US')} readings per round, ${mqttMessages().toLocaleString('en-US')} MQTT readings) on a loaded shared machine (see the load averages above), made to prove the scenario works; a full run replaces them.`,
        ]
      : []),
  ],
  async measure(caseId, contender) {
    if (caseId === 'mqtt') return overMqtt(contender);
    if (caseId !== 'window' && caseId !== 'batch') throw new Error(`unknown streams case ${caseId}`);
    if (!CONTENDERS.includes(contender)) throw new Error(`unknown streams contender ${contender}`);
    return inProcess(caseId, contender);
  },
};
