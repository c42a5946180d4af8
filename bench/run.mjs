// `npm run bench [-- bus latency reliability streams sqlite postgres subscriptions projection timers sagas]`: builds the workspace, installs the bench's own
// dependencies and each peer's folder when missing, runs every case with each contender in a fresh
// process, saves raw figures to bench/results/<scenario>.json and writes docs/benchmarks.md.
//
// Environment: BENCH_QUICK=1 (smoke run: 2 runs, short samples), BENCH_RUNS=N (runs per contender),
// BENCH_SKIP_BUILD=1 (use the dist already built), BENCH_VERBOSE=1 (workers print stack traces).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { renderReport } from './lib/report.mjs';
import { ensureInstalled, buildWorkspace } from './lib/setup.mjs';
import { runInFreshProcess } from './lib/spawn-run.mjs';
import { summarize } from './lib/stats.mjs';

const ALL = [
  'bus',
  'latency',
  'reliability',
  'streams',
  'sqlite',
  'postgres',
  'subscriptions',
  'projection',
  'timers',
  'sagas',
];
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS_DIR = here('./results/');
const DOC = here('../docs/benchmarks.md');

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = requested.filter((a) => !ALL.includes(a));
if (unknown.length > 0) {
  console.error(`Unknown scenario ${unknown.join(', ')}: expected any of ${ALL.join(', ')} (or none for all).`);
  process.exit(2);
}
const selected = requested.length === 0 ? ALL : ALL.filter((s) => requested.includes(s));
const quick = process.env.BENCH_QUICK === '1';
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 2 : 5));
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`BENCH_RUNS=${process.env.BENCH_RUNS}: expected a positive integer.`);
  process.exit(2);
}

const log = (msg) => process.stderr.write(`${msg}\n`);
const started = Date.now();

if (process.env.BENCH_SKIP_BUILD !== '1') buildWorkspace(log);
const modules = {};
for (const name of selected) {
  const { default: scenario } = await import(`./scenarios/${name}.mjs`);
  modules[name] = scenario;
}
ensureInstalled(
  selected.flatMap((s) => modules[s].peerFolders ?? []),
  log,
);

mkdirSync(RESULTS_DIR, { recursive: true });
for (const name of selected) {
  const scenario = modules[name];
  const t0 = Date.now();
  const machine = describeMachine();
  log(`\n== ${scenario.title} (${runs} run${runs === 1 ? '' : 's'} per contender${quick ? ', quick' : ''})`);
  const context = (await scenario.prepare?.({ quick, log })) ?? {};
  const cases = [];
  for (const c of scenario.cases({ quick })) {
    const results = Object.fromEntries(c.contenders.map((n) => [n, { values: [], errors: [], details: [] }]));
    for (let run = 0; run < runs; run++) {
      // Rotate the order each run so no contender always runs first (or right after a heavy one).
      const order = c.contenders.map((_, i) => c.contenders[(i + run) % c.contenders.length]);
      for (const contender of order) {
        const r = await runInFreshProcess(name, c.id, contender);
        const slot = results[contender];
        if (r.error !== undefined) {
          slot.errors.push(r.error);
          log(`  ${c.id} | ${contender} | run ${run + 1}: FAILED ${r.error}`);
        } else {
          slot.values.push(r.value);
          slot.details.push(r.detail ?? null);
          const shown = c.kind === 'latency' ? r.value.toFixed(2) : Math.round(r.value).toLocaleString('en-US');
          log(`  ${c.id} | ${contender} | run ${run + 1}: ${shown} ${c.unit}`);
        }
      }
    }
    for (const slot of Object.values(results)) {
      slot.summary = summarize(slot.values);
      slot.errors = [...new Set(slot.errors)];
    }
    cases.push({ ...c, results });
  }
  await scenario.cleanup?.(context);
  const result = {
    scenario: name,
    title: scenario.title,
    date: new Date().toISOString(),
    quick,
    runs,
    machine,
    loadavgAfter: describeMachine().loadavg,
    seconds: (Date.now() - t0) / 1000,
    settings: (await scenario.settings?.(context)) ?? [],
    describe: scenario.describe?.({ quick }) ?? [],
    notes: scenario.notes?.() ?? [],
    cases,
  };
  writeFileSync(`${RESULTS_DIR}${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
}

// The document holds every scenario that has a result file, in the usual order.
const stored = readdirSync(RESULTS_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(`${RESULTS_DIR}${f}`, 'utf8')))
  .filter((r) => ALL.includes(r.scenario))
  .sort((a, b) => ALL.indexOf(a.scenario) - ALL.indexOf(b.scenario));
writeFileSync(DOC, renderReport(stored, { generatedAt: new Date().toISOString(), ranNow: selected }));
log(`\nWrote docs/benchmarks.md (${Math.round((Date.now() - started) / 1000)} s).`);
