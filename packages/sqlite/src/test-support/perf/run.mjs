// Runs the store-vs-raw comparison (compare.ts): bundles it with esbuild straight from the
// TypeScript sources (the code under test, never a stale dist), runs it, removes the bundle.
//   node packages/sqlite/src/test-support/perf/run.mjs [--runs 5] [--ms 1500] [--read 1000000]
//        [--cases append-1,append-10,append-100,concurrent-8,readall]
// Extra node flags (e.g. a CPU profile) go through PERF_NODE_ARGS: PERF_NODE_ARGS='--cpu-prof'.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..', '..');
const repoRoot = join(packageRoot, '..', '..');
const require = createRequire(import.meta.url);
const betterSqlite = require.resolve('better-sqlite3');
const dir = join(packageRoot, `.perf-build-${process.pid}`);
mkdirSync(dir, { recursive: true });
try {
  await build({
    entryPoints: [join(here, 'compare.ts')],
    outfile: join(dir, 'compare.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    alias: {
      tidings: join(repoRoot, 'packages/tidings/src/index.ts'),
      'tidings/store-kit': join(repoRoot, 'packages/tidings/src/store-kit/index.ts'),
    },
    logLevel: 'error',
    plugins: [
      {
        name: 'external-better-sqlite3',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlite, external: true }));
        },
      },
    ],
  });
  const nodeArgs = (process.env.PERF_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const r = spawnSync(process.execPath, [...nodeArgs, join(dir, 'compare.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
