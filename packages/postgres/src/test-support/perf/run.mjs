// Runs the store-vs-raw measurement (compare.ts, or another script of this folder named with
// --script, e.g. cpu-cost): bundles it with esbuild straight from the TypeScript sources (the code
// under test, never a stale dist), runs it, removes the bundle.
//   node packages/postgres/src/test-support/perf/run.mjs [--sync on,off] [--runs 5] [--ms 2000] [--read 200000] [--cases append-1,append-100,concurrent-8,readall]
//   node packages/postgres/src/test-support/perf/run.mjs --script cpu-cost [--appends 3000] [--rounds 5] [--sync off]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..', '..');
const repoRoot = join(packageRoot, '..', '..');
const dir = join(packageRoot, `.perf-build-${process.pid}`);
const scriptAt = process.argv.indexOf('--script');
const script = scriptAt >= 0 ? process.argv[scriptAt + 1] : 'compare';
const args =
  scriptAt >= 0
    ? process.argv.slice(2).filter((_, i) => i !== scriptAt - 2 && i !== scriptAt - 1)
    : process.argv.slice(2);
mkdirSync(dir, { recursive: true });
try {
  await build({
    entryPoints: [join(here, `${script}.ts`)],
    outfile: join(dir, 'entry.mjs'),
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
  const r = spawnSync(process.execPath, [join(dir, 'entry.mjs'), ...args], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
