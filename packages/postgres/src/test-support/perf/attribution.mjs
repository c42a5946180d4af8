// Attribution of the store's write-path cost against raw `pg` (issue 10, decision 0312): A/B of
// the store with parts swapped out at bundle time (no post-commit NOTIFY, no per-query timer),
// each measurement in a fresh process, contenders rotated round by round, medians reported.
// CPU figures (client: process.cpuUsage; server: the contender's backends from /proc) are the
// load-robust ones; wall time per append is shown for reference.
//   node packages/postgres/src/test-support/perf/attribution.mjs [--rounds 5] [--appends 2000]
//     [--cases append-1,concurrent-8,append-100] [--variants store,no-notify,no-timer,raw]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..', '..');
const repoRoot = join(packageRoot, '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const rounds = Number(arg('rounds', '5'));
const appends = arg('appends', '0'); // 0: the child's default per case
const cases = arg('cases', 'append-1,concurrent-8,append-100').split(',');
const variants = arg('variants', 'store,no-notify,no-timer,raw').split(',');
// --profile DIR: each child also writes a V8 CPU profile there (node --cpu-prof).
const profileDir = arg('profile', '');
const nodeArgs = profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
// Module swaps per variant: the import specifier's file name → the variant file.
const SWAPS = {
  store: {},
  raw: {},
  'no-notify': { 'head-announce.js': 'no-notify.ts' },
  'no-timer': { 'bounded-query.js': 'no-timer.ts' },
  'no-both': { 'head-announce.js': 'no-notify.ts', 'bounded-query.js': 'no-timer.ts' },
};
const dir = join(packageRoot, `.perf-attr-${process.pid}`);
mkdirSync(dir, { recursive: true });

async function bundle(variant) {
  const swaps = SWAPS[variant];
  const outfile = join(dir, `${variant}.mjs`);
  await build({
    entryPoints: [join(here, 'attribution-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pg'],
    alias: {
      'tidings/store-kit': join(repoRoot, 'packages/tidings/src/store-kit/index.ts'),
      tidings: join(repoRoot, 'packages/tidings/src/index.ts'),
    },
    plugins: [
      {
        name: 'variant-swaps',
        setup(b) {
          b.onResolve({ filter: /\.js$/ }, (args) => {
            const base = args.path.split('/').pop();
            const swap = swaps[base];
            if (swap === undefined || args.importer.includes('/variants/')) return undefined;
            return { path: join(here, 'variants', swap) };
          });
        },
      },
    ],
    logLevel: 'error',
  });
  return outfile;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

try {
  const files = {};
  for (const v of variants) files[v] = await bundle(v);
  console.log(
    `attribution: ${rounds} rounds x ${appends} appends, load at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const kase of cases) {
    const results = Object.fromEntries(variants.map((v) => [v, []]));
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const v of order) {
        const r = spawnSync(
          'nice',
          [
            '-n',
            '-5',
            process.execPath,
            ...nodeArgs,
            files[v],
            '--side',
            v === 'raw' ? 'raw' : 'store',
            '--case',
            kase,
            '--appends',
            appends,
          ],
          { encoding: 'utf8' },
        );
        if (r.status !== 0) {
          // nice -n -5 needs privileges; fall back to normal priority.
          const r2 = spawnSync(
            process.execPath,
            [...nodeArgs, files[v], '--side', v === 'raw' ? 'raw' : 'store', '--case', kase, '--appends', appends],
            { encoding: 'utf8' },
          );
          if (r2.status !== 0) throw new Error(r2.stderr);
          results[v].push(JSON.parse(r2.stdout.trim().split('\n').pop()));
        } else results[v].push(JSON.parse(r.stdout.trim().split('\n').pop()));
      }
    }
    console.log(`\n${kase} (medians of ${rounds}; µs per append; trips = round trips per append)`);
    console.log('variant     | client CPU | server CPU | total CPU | wall | trips | load (min-max)');
    for (const v of variants) {
      const rs = results[v];
      const c = median(rs.map((r) => r.clientUs));
      const s = median(rs.map((r) => r.serverUs));
      const t = median(rs.map((r) => r.clientUs + r.serverUs));
      const w = median(rs.map((r) => r.wallUs));
      const trips = {};
      for (const r of rs) for (const [k, n] of Object.entries(r.trips)) (trips[k] ??= []).push(n);
      const tripText = Object.entries(trips)
        .map(([k, ns]) => `${k} ${median(ns).toFixed(3)}`)
        .join(', ');
      const loads = rs.map((r) => r.load);
      console.log(
        `${v.padEnd(11)} | ${c.toFixed(1).padStart(10)} | ${s.toFixed(1).padStart(10)} | ${t.toFixed(1).padStart(9)} | ${w.toFixed(0).padStart(4)} | ${tripText} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`,
      );
      console.log(
        `  raw: ${JSON.stringify(rs.map((r) => [+r.clientUs.toFixed(1), +r.serverUs.toFixed(1), +r.wallUs.toFixed(0)]))}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
