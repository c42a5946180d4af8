// Runs one contender once in a fresh Node process and returns what it reported.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../worker.mjs', import.meta.url));

// Contender processes run at a raised priority (nice -10) when the bench may do so (root, with
// `nice` present), so that other work on a shared machine preempts them less. It is set by `nice`
// at exec time, so every thread of the process (GC, libuv pool) inherits it. Every contender,
// ours and the peers, gets the same treatment.
export const RAISED_PRIORITY = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/nice');

/** spawn() of a Node script, at niceness -10 when RAISED_PRIORITY (`nice` adjusts relative to ours). */
export function spawnNode(args, options) {
  const adjust = -10 - os.getPriority();
  return RAISED_PRIORITY && adjust !== 0
    ? spawn('/usr/bin/nice', ['-n', String(adjust), process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
}

/** Resolves to the worker's result object ({ value, detail } or { error }); never rejects. */
export function runInFreshProcess(scenario, caseId, contender, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawnNode([WORKER, scenario, caseId, contender], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('RESULT '));
      if (line !== undefined) {
        resolve(JSON.parse(line.slice('RESULT '.length)));
        return;
      }
      const why = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
      resolve({ error: `${why}: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}` });
    });
  });
}
