import { describe, expect, it, vi } from 'vitest';
import type { MqttConnectionEvent, MqttLoss } from '@tidings/mqtt';
import { openMqttSink, openMqttSource } from '@tidings/mqtt';
import { map, pipe } from 'tidings/streams';
import { mqttReachable, ownBroker } from '../../../test-support/mqtt.js';

// The broker restarts mid-stream. These tests run their own Mosquitto on a free port (the shared
// one on 1883 serves other suites and is never restarted), publish numbered messages with QoS 1
// through the sink, and check that the pipeline reconnects and accounts for every number: each
// one was delivered once, or reported lost.

const TOTAL = 300;

interface Run {
  readonly received: number[];
  readonly losses: MqttLoss[];
  readonly events: MqttConnectionEvent[];
}

async function restartMidStream(
  mode: 'kill' | 'stop',
  persistence: boolean,
): Promise<Run & { stats: Record<string, unknown> }> {
  await using broker = await ownBroker({ persistence });
  const losses: MqttLoss[] = [];
  const events: MqttConnectionEvent[] = [];
  const source = await openMqttSource<number>({
    url: broker.url,
    topic: 'sensors/restart',
    clientId: `restart-${mode}-${Math.random().toString(36).slice(2, 8)}`,
    sessionExpirySeconds: 300,
    // The sink reconnects first: messages it publishes before the source is back either wait in
    // the source's session (a broker that kept it) or are lost (a broker that did not).
    reconnectPeriodMs: 1_500,
    maxOfflineMs: 30_000,
    onLoss: (l) => losses.push(l),
    onConnection: (e) => events.push(e),
  });
  const sink = await openMqttSink<number>({
    url: broker.url,
    topic: 'sensors/restart',
    reconnectPeriodMs: 100,
    publishTimeoutMs: 30_000,
  });
  const received: number[] = [];
  const running = pipe(
    source,
    map((m) => m.seq ?? -1),
  ).start();
  const consumed = running.pipeTo((seq) => void received.push(seq));
  try {
    let n = 0;
    const publish = async (until: number): Promise<void> => {
      while (n < until) {
        n++;
        await sink.write(n);
      }
    };
    await publish(100);
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(50), { timeout: 10_000 });
    await (mode === 'kill' ? broker.kill() : broker.stop());
    await vi.waitFor(() => expect(source.stats().connected).toBe(false), { timeout: 10_000 });
    const publishing = publish(200); // waits for the broker inside the sink, bounded by publishTimeoutMs
    await broker.start();
    await publishing;
    await vi.waitFor(() => expect(source.stats().connected).toBe(true), { timeout: 10_000 });
    await publish(TOTAL);
    // The last numbers were published after everyone reconnected, so they arrive: then all is accounted for.
    await vi.waitFor(() => expect(received.at(-1)).toBe(TOTAL), { timeout: 20_000 });
    return { received, losses, events, stats: { ...source.stats() } };
  } finally {
    await running.stop();
    await consumed;
    await source.close();
    await sink.close();
  }
}

/** Every number 1..TOTAL is either received once or inside exactly one reported loss. */
function accountedFor(run: Run): void {
  const lostNumbers = run.losses.flatMap((l) => Array.from({ length: l.count }, (_, i) => l.from + i));
  const all = [...run.received, ...lostNumbers].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  expect(new Set(run.received).size).toBe(run.received.length); // redeliveries were dropped
}

if (await mqttReachable('@tidings/mqtt broker restart')) {
  describe('broker restart mid-stream (own Mosquitto)', () => {
    it('killed broker without persistence: the pipeline reconnects, and reports the messages it lost', async () => {
      const run = await restartMidStream('kill', false);
      expect(run.stats).toMatchObject({ connected: true, reconnects: 1, sessionsLost: 1 });
      expect(run.events.map((e) => [e.state, e.sessionPresent])).toEqual([
        ['offline', undefined],
        ['online', false],
      ]);
      // The broker forgot the session: what the sink published before the source resubscribed is gone, and said so.
      expect(run.stats['lost']).toBeGreaterThan(0);
      expect(run.stats['lost']).toBe(run.losses.reduce((n, l) => n + l.count, 0));
      accountedFor(run);
      // negative control: the same accounting without the reported losses does not add up.
      expect(() => accountedFor({ ...run, losses: [] })).toThrow();
    });

    it('broker with persistence stopped cleanly: the session survives and QoS 1 loses nothing', async () => {
      const run = await restartMidStream('stop', true);
      expect(run.stats).toMatchObject({ connected: true, reconnects: 1, sessionsLost: 0, lost: 0 });
      expect(run.events.map((e) => [e.state, e.sessionPresent])).toEqual([
        ['offline', undefined],
        ['online', true],
      ]);
      expect(run.received).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    });

    it('a broker that stays down ends the pipeline after maxOfflineMs with MqttOfflineError', async () => {
      await using broker = await ownBroker();
      const source = await openMqttSource<number>({
        url: broker.url,
        topic: 't',
        maxOfflineMs: 1_000,
        reconnectPeriodMs: 200,
      });
      const done = pipe(source)
        .start()
        .pipeTo(() => undefined);
      await broker.kill();
      await expect(done).rejects.toMatchObject({ stage: 'source', cause: { code: 'MQTT_OFFLINE' } });
      await source.close();
    });
  });
}
