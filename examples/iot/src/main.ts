// The IoT demo (SCENARIOS S5): `npm run iot` at the repository root runs it for a few seconds
// against the local MQTT broker (TIDINGS_MQTT_URL, default mqtt://127.0.0.1:1883).
import { openMqttSink, openMqttSource } from '@tidings/mqtt';
import { systemClock } from 'tidings';
import { map, pipe } from 'tidings/streams';
import { startIotApp } from './iot-app.js';
import type { Reading } from './readings.js';
import { seededRandom } from 'tidings/testing';
import { simulateSensors } from './sensors.js';
import { describeAverages, describeSummary } from './summaries.js';

const url = process.env['TIDINGS_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
const seconds = Number(process.env['IOT_SECONDS'] ?? 6);
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const prefix = `tidings/iot/${Date.now().toString(36)}`;
  const topic = `${prefix}/sensors/+/reading`;
  out(`Tidings IoT demo: 4 simulated sensors publish to ${url} (${topic}) for ${seconds} s.`);
  out('Per-sensor averages every 2 s (event time), alerts by rule, alert counts every 2 s.');
  out();

  const source = await openMqttSource({ url, topic, sessionExpirySeconds: 60 });
  const app = startIotApp({
    source: pipe(
      source,
      map((m) => m.payload),
    ),
    window: '2s',
    summaryWindow: '2s',
    lateness: '500ms',
    onAverages: (w) => out(`  avg    ${describeAverages(w)}`),
    onAlert: (a) => out(`  ALERT  [${a.severity}] ${a.sensorId}: ${a.message}`),
    onSummary: (w) => out(`  count  ${describeSummary(w)}`),
    onDiscard: (d) => out(`  skip   ${d.stage}: ${d.reason}${d.error instanceof Error ? ` (${d.error.message})` : ''}`),
  });

  // The sensors are a pipeline too: simulated readings into an MQTT sink, QoS 1, stopped by a signal.
  const sink = await openMqttSink<Reading>({ url, topic: (r) => `${prefix}/sensors/${r.sensorId}/reading` });
  const stopSensors = AbortSignal.timeout(seconds * 1000);
  const sensors = simulateSensors({
    sensorIds: ['s-1', 's-2', 's-3', 's-4'],
    everyMs: 100,
    clock: systemClock,
    random: seededRandom(42),
    signal: stopSensors,
  });
  const published = await pipe(sensors).start().pipeTo(sink);

  // Every reading published must reach the pipelines before the source is closed (bounded).
  const deadline = Date.now() + 10_000;
  while (source.stats().delivered + source.stats().invalid < published.out && Date.now() < deadline) {
    await systemClock.sleep(20);
  }
  await source.close();
  await app.done;
  await sink.close();

  const stats = app.stats();
  const alertEvents = (await app.store.headPosition()).toString();
  out();
  out(
    `Readings published: ${published.out}; received: ${source.stats().received}; skipped: ${stats.ingest.skipped}; late: ${stats.averages.late}.`,
  );
  out(`Alert events recorded in the store: ${alertEvents}.`);
  out(`MQTT source: ${JSON.stringify(source.stats())}`);
  out(
    `Throughput (ingest): ${Math.round(stats.ingest.perSecond)} readings/s over ${(stats.ingest.elapsedMs / 1000).toFixed(1)} s.`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
