// Alternating A/B of a perf script on two checkouts (decision 1180): rounds of before, after, before,
// after…, each in a fresh process; prints every figure and the medians of `cpuRate` and `wallRate`.
//   node packages/sqlite/perf/ab.mjs <rounds> <before root> <after root> <script> [args…]
// The script is run as `node <after root>/<script> <root> [args…]` and must print one JSON line.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const [roundsArg, before, after, script, ...args] = process.argv.slice(2);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = { before: [], after: [] };
console.log(
  `load average before: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}`,
);
for (let r = 0; r < Number(roundsArg); r++) {
  for (const [name, root] of [
    ['before', before],
    ['after', after],
  ]) {
    const out = execFileSync(process.execPath, [path.resolve(after, script), root, ...args], { encoding: 'utf8' });
    const line = JSON.parse(out.trim().split('\n').pop());
    results[name].push(line);
    console.log(name, JSON.stringify(line));
  }
}
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}`,
);
for (const key of ['cpuRate', 'wallRate']) {
  const b = median(results.before.map((l) => l[key]));
  const a = median(results.after.map((l) => l[key]));
  console.log(`${key}: before ${Math.round(b)} after ${Math.round(a)} (${(a / b).toFixed(3)}x)`);
}
