import { afterEach, describe, expect, it, vi } from 'vitest';
import mqtt from 'mqtt';
import type { MqttSource } from '@tidings/mqtt';
import { openMqttSink, openMqttSource } from '@tidings/mqtt';
import { map, pipe } from 'tidings/streams';
import { MQTT_URL, mqttReachable, uniqueTopic } from '../../../test-support/mqtt.js';
import { startIotApp } from './iot-app.js';
import type { Alert } from './readings.js';
import { describeAverages, describeSummary } from './summaries.js';
import { expectedAlerts, expectedAverages, expectedSummaries, malformed, script } from './__fixtures__/script.js';

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c.close()));
});

if (await mqttReachable('IoT example through MQTT')) {
  describe('IoT example through the real broker (scripted input)', () => {
    it('produces the same alerts, averages and summaries when the readings travel over MQTT', async () => {
      const prefix = uniqueTopic('iot');
      const source: MqttSource = await openMqttSource({
        url: MQTT_URL,
        topic: `${prefix}/sensors/+/reading`,
        sessionExpirySeconds: 30,
      });
      closing.push(source);
      const alerts: Alert[] = [];
      const averages: string[] = [];
      const summaries: string[] = [];
      const app = startIotApp({
        source: pipe(
          source,
          map((m) => m.payload),
        ),
        onAlert: (a) => alerts.push(a),
        onAverages: (w) => averages.push(describeAverages(w)),
        onSummary: (w) => summaries.push(describeSummary(w)),
      });

      // The scripted readings, one topic per sensor; malformed payloads on a sensor topic too.
      const sink = await openMqttSink<unknown>({
        url: MQTT_URL,
        topic: (r) => `${prefix}/sensors/${(r as { sensorId?: string } | null)?.sensorId ?? 'unknown'}/reading`,
      });
      closing.push(sink);
      // Each write waits for its PUBACK, so the broker forwards them to the one subscriber in this order.
      for (const reading of [...script.slice(0, 4), ...malformed, ...script.slice(4)]) await sink.write(reading);
      const raw = await mqtt.connectAsync(MQTT_URL);
      await raw.publishAsync(`${prefix}/sensors/s-1/reading`, 'not json', { qos: 1 });
      await raw.endAsync();

      const total = script.length + malformed.length;
      await vi.waitFor(() => expect(app.stats().ingest.in).toBe(total), { timeout: 10_000 });
      await source.close(); // the source ends: the pipelines flush their last windows
      await app.done;

      expect(alerts.map(({ sensorId, type, severity, message }) => ({ sensorId, type, severity, message }))).toEqual(
        expectedAlerts,
      );
      expect(averages).toEqual(expectedAverages);
      expect(summaries).toEqual(expectedSummaries);
      expect(app.stats().ingest.skipped).toBe(malformed.length);
      expect(source.stats()).toMatchObject({ invalid: 1, lost: 0, duplicates: 0 });
      expect((await app.store.streamInfo('alert-s-2')).version).toBe(3n);
    });
  });
}
