import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * Bundles `entry` (default `child.ts`) and the store's TypeScript sources into one ESM file in `dir`, in ~100 ms.
 * Why: Node 20 cannot run TypeScript, and importing `dist` would test whatever was last built.
 * better-sqlite3 stays external (a native addon), resolved to its absolute path so the bundle
 * runs from a temp directory. esbuild is the one vitest already uses to load these tests.
 */
export async function buildChild(dir: string, entry = 'child.ts'): Promise<string> {
  const outfile = join(dir, entry.replace(/\.ts$/, '.mjs'));
  const betterSqlite = require.resolve('better-sqlite3');
  await build({
    entryPoints: [join(here, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // One entry per subpath: esbuild would otherwise append 'store-kit' to the main entry's file path.
    alias: {
      tidings: join(here, '../../../tidings/src/index.ts'),
      'tidings/store-kit': join(here, '../../../tidings/src/store-kit/index.ts'),
      'tidings/testing': join(here, '../../../tidings/src/testing/index.ts'),
    },
    plugins: [
      {
        name: 'external-better-sqlite3',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlite, external: true }));
        },
      },
    ],
  });
  return outfile;
}

/** A running child: its stdout lines as they arrive, and helpers to wait for one. */
export class Child {
  readonly lines: string[] = [];
  readonly process: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderr = '';
  private waiters: (() => void)[] = [];

  constructor(script: string, args: readonly string[]) {
    this.process = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.wake();
    });
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code) => {
        this.wake();
        resolve(code);
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves with the first line matching, failing after `timeoutMs` or if the child exits first. */
  async waitFor(predicate: (line: string, index: number) => boolean, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found !== undefined) return found;
      const error = this.lines.find((l) => l.startsWith('error '));
      if (error !== undefined) throw new Error(`child failed: ${error}\n${this.stderr}`);
      if (!this.alive)
        throw new Error(
          `child exited (${String(this.process.exitCode ?? this.process.signalCode)}) before the expected line.\n${this.stderr}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for the child; last lines: ${this.lines.slice(-3).join(' | ')}\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a signal and, for SIGKILL, waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.process.kill(signal);
    if (signal === 'SIGKILL') await this.exited;
  }

  exit(): Promise<number | null> {
    return this.exited;
  }

  /** Acknowledged appends printed so far. */
  acks(): { batch: string; size: number; position: bigint }[] {
    return this.lines
      .filter((l) => l.startsWith('ack '))
      .map((l) => {
        const [, batch = '', size = '0', position = '0'] = l.split(' ');
        return { batch, size: Number(size), position: BigInt(position) };
      });
  }
}

/** Tracks children so `afterEach` can kill whatever a failed test left running. */
export class Children {
  private readonly all: Child[] = [];
  constructor(private readonly script: () => string) {}

  spawn(...args: string[]): Child {
    const child = new Child(this.script(), args);
    this.all.push(child);
    return child;
  }

  async killAll(): Promise<void> {
    for (const child of this.all.splice(0)) {
      if (child.alive) child.process.kill('SIGCONT');
      await child.kill('SIGKILL');
    }
  }
}
