// Test support shared by the MQTT integration tests (not part of any package).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { reachable } from './reachable.js';

/** Where integration tests find the shared Mosquitto. */
export const MQTT_URL = process.env['TIDINGS_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';

let probe: Promise<boolean> | undefined;

/**
 * True when the broker accepts an MQTT connection. Outside CI an unreachable broker skips the
 * caller's suite with one printed line; with CI=true it throws, so the suite fails.
 */
export function mqttReachable(suite: string): Promise<boolean> {
  probe ??= reachable('MQTT broker', MQTT_URL, suite, async () => {
    const client = await mqtt.connectAsync(MQTT_URL, { connectTimeout: 3000, reconnectPeriod: 0 }, false);
    await client.endAsync(true);
  });
  return probe;
}

/** A topic prefix of its own, so tests sharing the broker never see each other's messages. */
export function uniqueTopic(prefix: string): string {
  return `tidings-test/${prefix}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Mosquitto of the test's own on a free port (the shared one on 1883 is never restarted): start,
 * kill and start again on the same port. `persistence` keeps sessions and queued messages on disk
 * across a clean stop.
 */
export interface OwnBroker {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** SIGKILL: nothing is saved. */
  kill(): Promise<void>;
  /** SIGTERM: Mosquitto saves its persistence file on the way out. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function ownBroker(options: { persistence?: boolean } = {}): Promise<OwnBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tidings-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      // As root, Mosquitto drops to user 'mosquitto', which could not write the persistence file in our temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence ${options.persistence === true ? 'true' : 'false'}`,
      `persistence_location ${dir}/`,
      'log_dest none',
      'max_queued_messages 100000',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const exited = (c: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) resolve();
      else c.once('exit', () => resolve());
    });
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined) return;
    c.kill(signal);
    await exited(c);
    await waitFor(`port ${port} to close`, async () => !(await portOpen(port)), 10_000);
  };
  const broker: OwnBroker = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async start() {
      if (child !== undefined) return;
      child = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
      const started = child;
      const failed = new Promise<never>((_, reject) => {
        started.once('error', reject);
        started.once('exit', (code) => reject(new Error(`mosquitto exited with ${String(code)} on start`)));
      });
      failed.catch(() => undefined);
      await Promise.race([waitFor(`mosquitto on port ${port}`, () => portOpen(port), 10_000), failed]);
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    async [Symbol.asyncDispose]() {
      await end('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
