import { afterEach, describe, expect, it, vi } from 'vitest';
import mqtt from 'mqtt';
import { MqttConnectError, openMqttSink, openMqttSource } from '@tidings/mqtt';
import type { MqttSource } from '@tidings/mqtt';
import { batch, map, pipe } from 'tidings/streams';
import { MQTT_URL, freePort, mqttReachable, uniqueTopic } from '../../../test-support/mqtt.js';

interface Reading {
  readonly sensorId: string;
  readonly n: number;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function source<T>(options: Parameters<typeof openMqttSource<T>>[0]): Promise<MqttSource<T>> {
  // Short-lived sessions: tests leave nothing queued on the shared broker for long.
  const s = await openMqttSource<T>({ sessionExpirySeconds: 30, ...options });
  open.push(s);
  return s;
}

if (await mqttReachable('@tidings/mqtt integration tests')) {
  describe('MQTT source and sink on the shared broker', () => {
    it('a pipeline fed by a topic: QoS 1, payloads parsed, producers numbered', async () => {
      const topic = uniqueTopic('source');
      const readings = await source<Reading>({ url: MQTT_URL, topic: `${topic}/+` });
      const sink = await openMqttSink<Reading>({ url: MQTT_URL, topic: (r) => `${topic}/${r.sensorId}` });
      open.push(sink);
      for (let n = 1; n <= 25; n++) await sink.write({ sensorId: n % 2 === 0 ? 's2' : 's1', n });
      const running = pipe(
        readings,
        map((m) => m.payload.n),
        batch<number>({ size: 5 }),
      ).start();
      const batches: number[][] = [];
      for await (const b of running) {
        batches.push(b);
        if (batches.length === 5) break;
      }
      expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(readings.stats()).toMatchObject({ received: 25, delivered: 25, lost: 0, duplicates: 0, invalid: 0 });
      expect(running.stats().source).toMatchObject({ received: 25 });
      expect(sink.stats()).toMatchObject({ published: 25, pending: 0, lastSeq: 25 });
    });

    it('carries the producer id and sequence number; counts gaps and drops redeliveries', async () => {
      const topic = uniqueTopic('seq');
      const losses: unknown[] = [];
      const readings = await source<number>({ url: MQTT_URL, topic, onLoss: (l) => losses.push(l) });
      // A raw publisher that numbers its messages like the sink does, skipping 3 and repeating 4.
      const raw = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
      try {
        for (const seq of [1, 2, 4, 4, 5]) {
          await raw.publishAsync(topic, JSON.stringify(seq), {
            qos: 1,
            properties: { userProperties: { 'tidings-producer': 'p1', 'tidings-seq': String(seq) } },
          });
        }
      } finally {
        await raw.endAsync();
      }
      const got: (number | undefined)[] = [];
      for await (const m of readings) {
        got.push(m.seq);
        expect(m.producer).toBe('p1');
        if (got.length === 4) break;
      }
      expect(got).toEqual([1, 2, 4, 5]);
      expect(readings.stats()).toMatchObject({ lost: 1, duplicates: 1 });
      expect(losses).toMatchObject([{ producer: 'p1', from: 3, to: 3, count: 1 }]);
    });

    it('a payload the parser refuses is counted and reported, not delivered', async () => {
      const topic = uniqueTopic('invalid');
      const invalid: string[] = [];
      const readings = await source<Reading>({
        url: MQTT_URL,
        topic,
        onInvalid: (_e, _t, payload) => invalid.push(payload.toString()),
      });
      const raw = await mqtt.connectAsync(MQTT_URL);
      await raw.publishAsync(topic, 'not json', { qos: 1 });
      await raw.publishAsync(topic, JSON.stringify({ sensorId: 's', n: 1 }), { qos: 1 });
      await raw.endAsync();
      const first = await readings.next();
      expect(first.value?.payload).toEqual({ sensorId: 's', n: 1 });
      expect(invalid).toEqual(['not json']);
      expect(readings.stats().invalid).toBe(1);
    });

    it('prefetch bounds what is acknowledged ahead of a slow consumer; the rest stays with the broker', async () => {
      const topic = uniqueTopic('prefetch');
      const readings = await source<number>({ url: MQTT_URL, topic, prefetch: 5 });
      const sink = await openMqttSink<number>({ url: MQTT_URL, topic });
      open.push(sink);
      for (let n = 1; n <= 50; n++) await sink.write(n);
      // Nobody consumes: at most `prefetch` wait, plus one held unacknowledged.
      await vi.waitFor(() => expect(readings.stats().holding).toBe(true), { timeout: 5_000 });
      expect(readings.stats()).toMatchObject({ waiting: 6, received: 6 });
      const got: number[] = [];
      for await (const m of readings) {
        got.push(m.payload);
        if (got.length === 50) break;
      }
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('a persistent session resumes: messages published while the source was closed arrive when it reopens', async () => {
      const topic = uniqueTopic('resume');
      const clientId = `tidings-test-${Math.random().toString(36).slice(2, 10)}`;
      const first = await openMqttSource<number>({ url: MQTT_URL, topic, clientId, sessionExpirySeconds: 60 });
      await first.close();
      const sink = await openMqttSink<number>({ url: MQTT_URL, topic });
      open.push(sink);
      for (let n = 1; n <= 10; n++) await sink.write(n);
      const again = await source<number>({ url: MQTT_URL, topic, clientId, sessionExpirySeconds: 60 });
      const got: number[] = [];
      for await (const m of again) {
        got.push(m.payload);
        if (got.length === 10) break;
      }
      expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      // negative control: a clean session (expiry 0) would have missed them.
      const cleanId = `${clientId}-clean`;
      const clean = await openMqttSource<number>({ url: MQTT_URL, topic, clientId: cleanId, sessionExpirySeconds: 0 });
      await clean.close();
      for (let n = 11; n <= 12; n++) await sink.write(n);
      const cleanAgain = await source<number>({ url: MQTT_URL, topic, clientId: cleanId, sessionExpirySeconds: 0 });
      await sink.write(13);
      expect((await cleanAgain.next()).value?.payload).toBe(13);
    });

    it('an unreachable broker fails within connectTimeoutMs with MqttConnectError', async () => {
      const port = await freePort(); // nothing listens there
      const started = Date.now();
      const error = await openMqttSource({ url: `mqtt://127.0.0.1:${port}`, topic: 't', connectTimeoutMs: 500 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MqttConnectError);
      expect((error as Error).message).toMatch(/Cannot connect to the MQTT broker at mqtt:\/\/127.0.0.1/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
}
