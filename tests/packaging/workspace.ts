// Helpers of the packaging test: find the public packages, run commands with a bound.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly workspaces?: readonly string[];
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

export interface PublicPackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/**
 * The workspaces that are published: every workspace of the root package.json (a pattern may end
 * in `/*`) whose package.json is not `private`. New packages are found without editing the test.
 */
export function publicPackages(): PublicPackage[] {
  const dirs: string[] = [];
  for (const pattern of readManifest(repoRoot).workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = join(repoRoot, pattern.slice(0, -2));
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
          dirs.push(join(parent, entry.name));
      }
    } else if (!pattern.includes('*')) {
      dirs.push(join(repoRoot, pattern));
    } else {
      throw new Error(
        `workspace pattern '${pattern}' is not understood by the packaging test; extend publicPackages()`,
      );
    }
  }
  return dirs
    .map((dir) => ({ dir, manifest: readManifest(dir) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({
      name: manifest.name,
      version: manifest.version,
      dir,
      peerDependencies: manifest.peerDependencies ?? {},
    }));
}

/** The version of `name` installed in the workspace's node_modules. */
export function installedVersion(name: string): string {
  return readManifest(join(repoRoot, 'node_modules', name)).version;
}

export interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs a command and collects its output; kills it after `timeoutMs` (a hung install fails the
 * test, never hangs it). npm's own `npm_*` variables from the outer `npm test` are not passed on,
 * so the child sees a plain environment, as in a user's shell.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toLowerCase().startsWith('npm_')) env[key] = value;
  }
  Object.assign(env, { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' });
  Object.assign(env, options.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

/** Runs a command that must succeed; its output is in the error otherwise. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited with ${result.code}:\n${result.output}`);
  }
  return result.output;
}
