import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..');
const repoRoot = join(packageRoot, '..', '..');

/**
 * Child processes need runnable JS. Bundling the child entry with esbuild (types stripped, not
 * checked) straight from the TypeScript sources means children run exactly the code under test,
 * never a stale `dist`, and a half-finished file elsewhere in the repo cannot break the build.
 * The bundle sits inside the package so `pg` resolves from node_modules; it is removed afterwards.
 */
export async function bundleChildren(
  names: readonly string[],
): Promise<{ dir: string; path: (name: string) => string; cleanup: () => void }> {
  const dir = join(packageRoot, `.test-build-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: names.map((n) => join(here, 'children', `${n}.ts`)),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pg'],
    // One entry per subpath: esbuild would otherwise append 'store-kit' to the main entry's file path.
    alias: {
      tidings: join(repoRoot, 'packages/tidings/src/index.ts'),
      'tidings/store-kit': join(repoRoot, 'packages/tidings/src/store-kit/index.ts'),
      'tidings/testing': join(repoRoot, 'packages/tidings/src/testing/index.ts'),
    },
    logLevel: 'error',
  });
  return {
    dir,
    path: (name) => join(dir, `${name}.mjs`),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Tracks spawned children so a test can kill every one of them in `finally`. */
export class Children {
  readonly #live = new Set<ChildProcess>();

  /** Runs `node file ...args`; SIGKILLs it after `timeoutMs` (a hung child fails the test, never hangs it). */
  run(
    file: string,
    args: readonly string[],
    timeoutMs: number,
    env: Record<string, string> = {},
  ): Promise<ChildResult> {
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.#live.delete(child);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  killAll(): void {
    for (const child of this.#live) child.kill('SIGKILL');
    this.#live.clear();
  }
}

/** Parses the last JSON line a child printed. */
export function lastJson<T>(result: ChildResult): T {
  const lines = result.stdout.trim().split('\n');
  const last = lines[lines.length - 1];
  if (result.code !== 0 || last === undefined || last === '') {
    throw new Error(`child exited with ${result.code ?? result.signal}: ${result.stderr.slice(-2000)}`);
  }
  return JSON.parse(last) as T;
}
