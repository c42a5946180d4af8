// Scenario: in-process event bus dispatch, ours against the common emitters (issue 2, item 9).
import { awaitedContenders, syncContenders } from './bus-contenders.mjs';
import { loopSettings, measureLoop } from '../lib/timing.mjs';

const SYNC_ORDER = [
  'tidings',
  'tidings (reads event.id)',
  'tidings (checkSerializable: false)',
  'node:events',
  'eventemitter3',
  'mitt',
  'tseep',
  'rxjs Subject',
];
const AWAITED_ORDER = ['tidings', 'tidings (reads event.id)', 'tidings (checkSerializable: false)', 'emittery'];

function syncCase(subscribers) {
  return {
    id: `sync-${subscribers}`,
    title: `Sync inline dispatch, ${subscribers} subscriber${subscribers === 1 ? '' : 's'}`,
    unit: 'dispatches/s',
    contenders: SYNC_ORDER,
    reference: 'eventemitter3',
    ceiling: 'tseep',
    targets: [
      { contender: 'tidings', versus: 'eventemitter3', atLeast: 1.0 },
      { contender: 'tidings (reads event.id)', versus: 'eventemitter3', atLeast: 1.0, informative: true },
      { contender: 'tidings (checkSerializable: false)', versus: 'eventemitter3', atLeast: 1.0, informative: true },
    ],
  };
}

function awaitedCase(subscribers) {
  return {
    id: `awaited-${subscribers}`,
    title: `Awaited dispatch, ${subscribers} subscriber${subscribers === 1 ? '' : 's'}`,
    unit: 'dispatches/s',
    contenders: AWAITED_ORDER,
    reference: 'emittery',
    targets: [
      { contender: 'tidings', versus: 'emittery', atLeast: 5.0 },
      { contender: 'tidings (checkSerializable: false)', versus: 'emittery', atLeast: 5.0, informative: true },
    ],
  };
}

export default {
  name: 'bus',
  title: 'In-process event bus',
  cases: () => [syncCase(1), syncCase(10), awaitedCase(1), awaitedCase(10)],
  describe: () => {
    const s = loopSettings();
    return [
      "Every subscriber of every contender does the same work: it adds the payload's `n` to a sink; each dispatch allocates its payload (`{ n: 1 }`), and ours also the message around it (`{ type, data }`), as its API requires. The sink is checked after a trial batch, so a contender that skips a subscriber fails instead of winning.",
      '`tidings` is `createEventBus()` with default options: an envelope is created for every dispatch (its handler reads `type`/`data`; `id`, `occurredAt` and `metadata` are lazy) and failure isolation is always on (every handler call is guarded and a throw goes to `onError`). The peers isolate nothing: a throwing listener breaks their `emit`. `tidings (reads event.id)` is the same bus whose handler also reads `event.id`, which creates a UUIDv7 per dispatch. `tidings (checkSerializable: false)` turns off the publish-time check that `data` is JSON (the rule every store applies; on by default), to show what that check costs; the targets are judged on the defaults.',
      "Sync: `bus.emit(message)` runs inline subscribers before returning; the peers' `emit`/`next`. emittery has no synchronous emit and appears only in the awaited cases. Awaited: `await bus.publish(message)` vs `await emittery.emit(name, payload)`, one dispatch at a time.",
      `Per process: batch size calibrated, ${s.warmupMs} ms warm-up, then ${s.samples} timed samples of ≥ ${s.sampleMs} ms of CPU time; the process reports the median sample. Rates are per second of the process\'s CPU time (user + system, GC threads included), not wall time: the machine is shared, and a descheduled process loses wall time but not CPU time. Wall-clock rates are kept in bench/results/*.json.`,
    ];
  },
  notes: () => [
    'Reading the rows: the gap between `tidings` and `tidings (checkSerializable: false)` is the publish-time check that `data` is JSON; the gap between `tidings` and `tidings (reads event.id)` is the UUIDv7 created on first read of `event.id`. Rates of 100M/s and more (tseep; node:events and eventemitter3 at 1 subscriber) mean V8 has inlined the whole `emit` into the benchmark loop and removed the payload allocation; no dispatcher that creates an envelope or guards each handler can reach that, which is why tseep is shown as the ceiling rather than a target.',
  ],
  async measure(caseId, contender) {
    const [mode, subs] = caseId.split('-');
    const table = mode === 'sync' ? syncContenders : awaitedContenders;
    const build = table[contender];
    if (build === undefined) throw new Error(`unknown ${mode} contender ${contender}`);
    const subject = await build();
    let sink = 0;
    const add = (n) => {
      sink += n;
    };
    const count = Number(subs);
    for (let i = 0; i < count; i++) subject.subscribe(add);
    const emit = subject.emit;
    const batch =
      mode === 'sync'
        ? (n) => {
            for (let i = 0; i < n; i++) emit();
          }
        : async (n) => {
            for (let i = 0; i < n; i++) await emit();
          };
    // Correctness guard: every subscriber must have run once per dispatch.
    await batch(1000);
    if (sink !== 1000 * count)
      throw new Error(
        `${contender}: sink ${sink} after 1000 dispatches to ${count} subscribers, expected ${1000 * count}`,
      );
    if (subject.check !== undefined && !subject.check())
      throw new Error(`${contender}: its handler did not read what it should`);
    const result = await measureLoop(batch);
    // And after timing: a contender that stopped delivering part-way must not count as fast.
    const expected = (1000 + result.totalOps) * count;
    if (sink !== expected) throw new Error(`${contender}: sink ${sink} after all dispatches, expected ${expected}`);
    return {
      value: result.rate,
      detail: { samples: result.samples, batch: result.batch, wallRate: Math.round(result.wallRate) },
    };
  },
};
