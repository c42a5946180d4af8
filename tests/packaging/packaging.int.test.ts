// As a user installs it: every public package is packed with `npm pack`, the tarballs are
// installed with their peer dependencies into a fresh project outside the repository, and a small
// strict TypeScript app (skipLibCheck: false) is compiled against them with NodeNext and with
// Bundler resolution, then run on SQLite and PostgreSQL (decision 0950).
//
// Two shortcuts keep it bounded, neither of which changes what is checked: the install runs with
// --ignore-scripts and the native build of better-sqlite3 (same version) is copied from this
// workspace instead of compiled again (~90 s); the app is compiled with this workspace's
// TypeScript compiler instead of one downloaded into the project.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReachable, PG_URL, schemas } from '../../test-support/postgres.js';
import { installedVersion, publicPackages, repoRoot, run, runOk } from './workspace.js';

const packages = publicPackages();
const registryUp = (await run('npm', ['ping'], { cwd: tmpdir(), timeoutMs: 30_000 })).code === 0;
if (!registryUp) {
  if (process.env['CI'] === 'true')
    throw new Error('The npm registry is unreachable and CI=true: the packaging test must run.');
  console.log('[skip] packaging test: the npm registry is unreachable (npm ping failed).');
}
const pgUp = registryUp && (await postgresReachable('packaging test (PostgreSQL run)'));

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** The user's compiler settings: strict, library declarations checked, both module resolutions. */
const tsconfigs = {
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
} as const;
type Resolution = keyof typeof tsconfigs;

describe.skipIf(!registryUp)('packaging: packed packages installed into a fresh project', { timeout: 300_000 }, () => {
  let project = '';
  const pgSchemas = schemas('pack');

  beforeAll(async () => {
    // The tarballs hold dist/: build it from the current sources (incremental, quick when fresh).
    await runOk(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: repoRoot, timeoutMs: 300_000 });
    const root = mkdtempSync(join(tmpdir(), 'tidings-packaging-'));
    project = join(root, 'app');
    const tarballs = join(root, 'tarballs');
    mkdirSync(join(project, 'src'), { recursive: true });
    mkdirSync(tarballs);

    const dependencies: Record<string, string> = {};
    for (const pkg of packages) {
      const out = await runOk('npm', ['pack', pkg.dir, '--pack-destination', tarballs, '--json'], {
        cwd: root,
        timeoutMs: 120_000,
      });
      const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
      dependencies[pkg.name] = `file:${join(tarballs, packed!.filename)}`;
    }
    // Their peers, at the versions this workspace is tested with.
    for (const pkg of packages) {
      for (const peer of Object.keys(pkg.peerDependencies)) dependencies[peer] ??= installedVersion(peer);
    }
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'tidings-packaging-app',
          private: true,
          type: 'module',
          dependencies,
          devDependencies: { '@types/node': installedVersion('@types/node') },
        },
        null,
        2,
      ),
    );
    await runOk('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock'], {
      cwd: project,
      timeoutMs: 240_000,
    });
    // Native builds of the peers (better-sqlite3), copied instead of compiled: same version, same machine.
    for (const pkg of packages) {
      for (const peer of Object.keys(pkg.peerDependencies)) {
        const built = join(repoRoot, 'node_modules', peer, 'build');
        if (existsSync(built)) cpSync(built, join(project, 'node_modules', peer, 'build'), { recursive: true });
      }
    }
    writeFileSync(join(project, 'src', 'app.ts'), readFileSync(new URL('./fixture/app.ts', import.meta.url), 'utf8'));
    for (const [resolution, settings] of Object.entries(tsconfigs)) {
      writeFileSync(
        join(project, `tsconfig.${resolution}.json`),
        JSON.stringify({
          compilerOptions: {
            ...settings,
            target: 'ES2022',
            lib: ['ES2023'],
            types: ['node'],
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            skipLibCheck: false,
            outDir: `dist-${resolution}`,
          },
          include: ['src'],
        }),
      );
    }
  }, 600_000);

  afterAll(async () => {
    if (project !== '') rmSync(join(project, '..'), { recursive: true, force: true });
    if (pgUp) await pgSchemas.dropAll();
  });

  it('finds the public packages (non-private workspaces) and installs them outside the repository', () => {
    const names = packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['tidings', '@tidings/sqlite', '@tidings/postgres', '@tidings/mqtt']));
    expect(names).not.toContain('@tidings/contract-tests');
    expect(relative(repoRoot, project).startsWith('..')).toBe(true);
    for (const name of names) expect(existsSync(join(project, 'node_modules', name, 'package.json'))).toBe(true);
  });

  it.each(Object.keys(tsconfigs) as Resolution[])(
    'a strict app compiles against the installed declarations with skipLibCheck: false (%s)',
    async (resolution) => {
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], {
        cwd: project,
        timeoutMs: 120_000,
      });
      // The declarations' errors (TS7016 for a driver without types) are the point: show them all.
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    },
  );

  it.each(Object.keys(tsconfigs) as Resolution[])(
    'the compiled app (%s) runs on SQLite and PostgreSQL',
    async (resolution) => {
      const app = join(project, `dist-${resolution}`, 'app.js');
      expect(existsSync(app)).toBe(true);
      const args = [app, join(project, `${resolution}.db`)];
      if (pgUp) args.push(PG_URL, pgSchemas.next());
      const output = await runOk(process.execPath, args, { cwd: project, timeoutMs: 60_000 });
      const result = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, string[]>;
      const story = ['1:order.placed', '2:order.paid', 'CONCURRENCY_CONFLICT'];
      expect(result).toEqual({
        bus: ['order.placed:1'],
        clock: ['0'],
        streams: ['10+20', '30'],
        mqtt: ['function', 't'],
        sqlite: story,
        ...(pgUp ? { postgres: story } : {}),
      });
    },
  );
});
