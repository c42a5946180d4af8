import { describe, expect, it } from 'vitest';
import type { Discarded } from 'tidings/streams';
import { startIotApp } from './iot-app.js';
import type { Alert } from './readings.js';
import { describeAverages, describeSummary } from './summaries.js';
import { expectedAlerts, expectedAverages, expectedSummaries, malformed, script } from './__fixtures__/script.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('IoT example, in process (scripted input)', () => {
  it('raises the alerts by rule, averages per sensor per window, counts alerts per window, records them in the store', async () => {
    // Malformed payloads in between the readings: skipped, counted and reported.
    const input: unknown[] = [
      ...script.slice(0, 2),
      malformed[0],
      ...script.slice(2, 5),
      malformed[1],
      ...script.slice(5),
      malformed[2],
    ];
    const alerts: Alert[] = [];
    const averages: string[] = [];
    const summaries: string[] = [];
    const discarded: Discarded[] = [];
    const app = startIotApp({
      source: input,
      onAlert: (a) => alerts.push(a),
      onAverages: (w) => averages.push(describeAverages(w)),
      onSummary: (w) => summaries.push(describeSummary(w)),
      onDiscard: (d) => discarded.push(d),
    });
    await app.done;

    expect(alerts.map(({ sensorId, type, severity, message }) => ({ sensorId, type, severity, message }))).toEqual(
      expectedAlerts,
    );
    expect(averages).toEqual(expectedAverages);
    expect(summaries).toEqual(expectedSummaries);

    const stats = app.stats();
    expect(stats.ingest).toMatchObject({ state: 'ended', in: script.length + 3, out: script.length, skipped: 3 });
    expect(stats.averages).toMatchObject({ state: 'ended', late: 1 });
    expect(discarded.filter((d) => d.reason === 'error').map((d) => d.item)).toEqual(malformed);
    expect(discarded.filter((d) => d.reason === 'late').map((d) => d.item)).toEqual([script[8]]);

    // Every alert is an event in its sensor's stream.
    const recorded = await collect(app.store.readAll());
    expect(recorded.map((e) => `${e.streamId} ${e.type} ${(e.data as Alert).message}`)).toEqual(
      alerts.map((a) => `alert-${a.sensorId} alert.raised ${a.message}`),
    );
    expect((await app.store.streamInfo('alert-s-3')).version).toBe(3n);
  });

  it('stop() ends the pipelines at once, counting what the open windows held', async () => {
    const endless = (async function* () {
      let t = Date.parse('2026-03-01T12:00:00Z');
      for (;;) {
        await new Promise((r) => setImmediate(r));
        yield { sensorId: 's-1', timestamp: (t += 100), temperature: 20, humidity: 50, pressure: 1000 };
      }
    })();
    const app = startIotApp({ source: endless });
    for (let turns = 0; app.stats().averages.in < 20 && turns < 10_000; turns++)
      await new Promise((r) => setImmediate(r));
    expect(app.stats().averages.in).toBeGreaterThanOrEqual(20);
    await app.stop();
    const stats = app.stats();
    expect(stats.ingest.state).toBe('stopped');
    expect(stats.averages.state).toBe('stopped');
    expect(stats.averages.discardedOnStop).toBeGreaterThan(0);
    await app.done.catch(() => undefined);
  });
});
