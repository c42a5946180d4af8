// Runs the store-vs-raw measurement (compare.ts): bundles it with esbuild straight from the
// TypeScript sources (the code under test, never a stale dist), runs it, removes the bundle.
//   node packages/postgres/src/test-support/perf/run.mjs [--sync on,off] [--runs 5] [--ms 2000] [--read 200000] [--cases append-1,append-100,concurrent-8,readall]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..', '..');
const repoRoot = join(packageRoot, '..', '..');
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
    external: ['pg'],
    alias: {
      // The subpath first: an alias of the bare name would also rewrite 'tidings/store-kit' into a path under index.ts.
      'tidings/store-kit': join(repoRoot, 'packages/tidings/src/store-kit/index.ts'),
      tidings: join(repoRoot, 'packages/tidings/src/index.ts'),
    },
    logLevel: 'error',
  });
  const r = spawnSync(process.execPath, [join(dir, 'compare.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
