import { describe, expect, it, vi } from 'vitest';
import { createEventBus, createInMemoryEventStore, defineEvent, payload } from 'tidings';
import { appendTo, batch, map, pipe, publishTo } from 'tidings/streams';

const ReadingTaken = defineEvent('sensor.reading', payload<{ sensorId: string; celsius: number }>());
const AlertRaised = defineEvent('alert.raised', payload<{ sensorId: string; message: string }>());

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('bus source and sinks', () => {
  it('reads from bus.stream, publishes results back to the bus with their stream ids', async () => {
    const bus = createEventBus({ events: [ReadingTaken, AlertRaised] });
    const raised: string[] = [];
    bus.subscribe('alert.raised', (e) => void raised.push(`${e.streamId ?? '?'}: ${e.data.message}`));
    const alerts = pipe(
      bus.stream('sensor.reading'),
      map((e) => e.data),
      map((r) =>
        AlertRaised({ sensorId: r.sensorId, message: `High temperature detected: ${r.celsius.toFixed(1)}°C` }),
      ),
    ).start();
    const done = alerts.pipeTo(publishTo(bus, { options: (a) => ({ streamId: `alert-${a.data.sensorId}` }) }));
    await bus.publish(ReadingTaken({ sensorId: 's1', celsius: 31.44 }));
    await bus.publish(ReadingTaken({ sensorId: 's2', celsius: 35 }));
    await vi.waitFor(() => expect(alerts.stats().out).toBe(2), { timeout: 2_000 });
    await bus.close(); // ends the stream: the pipeline ends
    const stats = await done;
    expect(raised).toEqual([
      'alert-s1: High temperature detected: 31.4°C',
      'alert-s2: High temperature detected: 35.0°C',
    ]);
    expect(stats).toMatchObject({ state: 'ended', in: 2, out: 2 });
    expect(stats.source).toMatchObject({ mode: 'queued' }); // the bus stream's own counters
  });

  it('appends each result to the store; an array of events is one atomic append', async () => {
    const store = createInMemoryEventStore();
    const readings = [1, 2, 3, 4, 5].map((i) => ReadingTaken({ sensorId: i % 2 === 0 ? 'even' : 'odd', celsius: i }));
    await pipe(readings, batch<(typeof readings)[number]>({ size: 2 }))
      .start()
      .pipeTo(appendTo(store, { streamId: () => 'readings-all', events: (b) => b }));
    await pipe(readings)
      .start()
      .pipeTo(appendTo(store, { streamId: (r) => `reading-${r.data.sensorId}` }));
    const all = await collect(store.readStream('readings-all'));
    expect(all.map((e) => e.data)).toEqual(readings.map((r) => r.data));
    const odd = await collect(store.readStream('reading-odd'));
    expect(odd.map((e) => (e.data as { celsius: number }).celsius)).toEqual([1, 3, 5]);
  });

  it('a store that refuses an append stops the pipeline, naming the sink', async () => {
    const store = createInMemoryEventStore();
    await expect(
      pipe([{ type: 'x.happened', data: { n: 1n } }])
        .start()
        .pipeTo(appendTo(store, { streamId: () => 'x-1', name: 'archive' })),
    ).rejects.toMatchObject({ stage: 'archive', cause: { code: 'NOT_SERIALIZABLE' } });
  });
});
