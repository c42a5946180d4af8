// What the figures were measured on, written at the top of docs/benchmarks.md.
import os from 'node:os';
import { RAISED_PRIORITY } from './spawn-run.mjs';

export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    raisedPriority: RAISED_PRIORITY,
  };
}
