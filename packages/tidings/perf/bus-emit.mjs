// Sync inline dispatch to one subscriber, in CPU time, for A/B runs (decision 1180):
//   node packages/tidings/perf/bus-emit.mjs <repo root> [subscribers] [checkSerializable: true|false]
// The same loop as bench/scenarios/bus.mjs (case sync-N, contender `tidings`): each dispatch
// allocates `{ type, data: { n: 1 } }`, the handler adds `data.n` to a sink, checked at the end.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, subsArg, checkArg] = process.argv.slice(2);
const subscribers = Number(subsArg ?? 1);
const { createEventBus } = await import(pathToFileURL(path.resolve(root, 'packages/tidings/dist/index.js')).href);
const { measureLoop } = await import(new URL('../../../bench/lib/timing.mjs', import.meta.url).href);
const bus = createEventBus(checkArg === 'false' ? { checkSerializable: false } : {});
let sink = 0;
for (let i = 0; i < subscribers; i++) bus.subscribe('bench.tick', (event) => (sink += event.data.n));
const batch = (n) => {
  for (let i = 0; i < n; i++) bus.emit({ type: 'bench.tick', data: { n: 1 } });
};
batch(1000);
const result = await measureLoop(batch);
if (sink !== (1000 + result.totalOps) * subscribers) throw new Error(`sink ${sink}: a dispatch was lost`);
console.log(JSON.stringify({ subscribers, cpuRate: Math.round(result.rate), wallRate: Math.round(result.wallRate) }));
