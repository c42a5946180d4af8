import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../../../../');
const require = createRequire(import.meta.url);

/**
 * Bundles a crash-test child (`__fixtures__/<name>.ts`) from the sources into `dir/<name>.mjs`
 * and returns its path: Node 20 cannot run TypeScript, and dist may be stale. The workspace
 * packages resolve to their sources (one alias per subpath: an alias of the bare name would also
 * rewrite 'tidings/store-kit'); better-sqlite3 stays external (a native module).
 */
export async function bundleChild(name: string, dir: string): Promise<string> {
  const script = join(dir, `${name}.mjs`);
  const betterSqlite = require.resolve('better-sqlite3');
  await build({
    entryPoints: [join(here, `${name}.ts`)],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    alias: {
      tidings: join(root, 'packages/tidings/src/index.ts'),
      'tidings/store-kit': join(root, 'packages/tidings/src/store-kit/index.ts'),
      'tidings/testing': join(root, 'packages/tidings/src/testing/index.ts'),
      '@tidings/sqlite': join(root, 'packages/sqlite/src/index.ts'),
    },
    plugins: [
      {
        name: 'external-natives',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlite, external: true }));
        },
      },
    ],
  });
  return script;
}
