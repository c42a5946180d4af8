import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Workspace packages resolve to their sources, so tests never run against a stale build.
const alias = {
  'tidings/testing': src('./packages/tidings/src/testing/index.ts'),
  'tidings/store-kit': src('./packages/tidings/src/store-kit/index.ts'),
  'tidings/streams': src('./packages/tidings/src/streams/index.ts'),
  tidings: src('./packages/tidings/src/index.ts'),
  '@tidings/sqlite': src('./packages/sqlite/src/index.ts'),
  '@tidings/postgres': src('./packages/postgres/src/index.ts'),
  '@tidings/mqtt': src('./packages/mqtt/src/index.ts'),
  '@tidings/contract-tests': src('./packages/contract-tests/src/index.ts'),
};

const exclude = ['**/node_modules/**', '**/dist/**', 'bench/**'];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
          typecheck: { enabled: true, include: ['**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          // tests/: checks of the repository as a whole (the packaging test: decision 0950).
          include: ['packages/*/src/**/*.int.test.ts', 'examples/*/src/**/*.int.test.ts', 'tests/**/*.int.test.ts'],
          exclude,
          // Real files, real servers and SIGKILL trials: one file at a time on two cores.
          fileParallelism: false,
          pool: 'forks',
          maxWorkers: 1,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
