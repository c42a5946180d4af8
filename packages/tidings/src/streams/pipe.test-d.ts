import { describe, expectTypeOf, it } from 'vitest';
import type { Envelope } from 'tidings';
import { createEventBus, createInMemoryEventStore, defineEvent, payload } from 'tidings';
import type { Aggregated, Pipeline, RunningPipeline, Stage, Window } from 'tidings/streams';
import {
  aggregate,
  appendTo,
  batch,
  buffer,
  compose,
  filter,
  flatMap,
  map,
  pipe,
  publishTo,
  throttle,
  window,
} from 'tidings/streams';

interface Reading {
  readonly sensorId: string;
  readonly at: number;
  readonly temperature: number;
  readonly humidity?: number;
}

const ReadingTaken = defineEvent('sensor.reading', payload<Reading>());
const AlertRaised = defineEvent('alert.raised', payload<{ sensorId: string; message: string }>());
const bus = createEventBus({ events: [ReadingTaken, AlertRaised] });

describe('pipe: types flow from stage to stage', () => {
  it('infers each stage’s input from the one before', () => {
    const p = pipe(
      bus.stream('sensor.reading'),
      map((e) => {
        expectTypeOf(e).toEqualTypeOf<Envelope<'sensor.reading', Reading>>();
        return e.data;
      }),
      filter((r) => r.temperature > 0),
      window({ by: (r) => r.sensorId, size: '10s', eventTime: (r) => r.at }),
      aggregate({ initial: () => 0, add: (sum, r) => sum + r.temperature }),
    );
    expectTypeOf(p).toEqualTypeOf<Pipeline<Aggregated<number, string>>>();
    expectTypeOf(p.start()).toEqualTypeOf<RunningPipeline<Aggregated<number, string>>>();
  });

  it('unwraps an async map, narrows with a type guard, flattens flatMap', () => {
    const p = pipe(
      [1, 2, 3],
      map(async (n) => ({ n, label: String(n) })),
      filter((x): x is { n: 1; label: string } => x.n === 1),
      flatMap((x) => [x.label, x.label]),
      batch({ size: 2 }),
    );
    expectTypeOf(p).toEqualTypeOf<Pipeline<string[]>>();
  });

  it('windows without a key are keyed by undefined; aggregate result types the value', () => {
    const p = pipe(
      [{ at: 1, v: 2 }],
      window({ size: 1000, eventTime: (x) => x.at }),
      aggregate({
        initial: () => ({ sum: 0 }),
        add: (a, x) => ({ sum: a.sum + x.v }),
        result: (a, w) => a.sum / w.items.length,
      }),
    );
    expectTypeOf(p).toEqualTypeOf<Pipeline<Aggregated<number, undefined>>>();
    const w = pipe([{ id: 'a' }], window({ by: (x) => x.id, size: '1s' }));
    expectTypeOf(w).toEqualTypeOf<Pipeline<Window<{ id: string }, string>>>();
  });

  it('buffer and throttle keep the type', () => {
    const p = pipe([new Date()], buffer({ capacity: 10, overflow: 'drop-oldest' }), throttle({ every: '1s' }));
    expectTypeOf(p).toEqualTypeOf<Pipeline<Date>>();
  });

  it('compose types the joined stage', () => {
    const parse = compose(
      map((s: string) => Number(s)),
      filter((n) => !Number.isNaN(n)),
    );
    expectTypeOf(parse).toEqualTypeOf<Stage<string, number>>();
    expectTypeOf(pipe(['1'], parse)).toEqualTypeOf<Pipeline<number>>();
  });

  it('refuses a stage whose input does not match', () => {
    // @ts-expect-error a window of readings cannot take numbers
    pipe([1, 2], window({ by: (r: Reading) => r.sensorId, size: '1s' }));
    // @ts-expect-error aggregate takes windows, not items
    pipe([1, 2], aggregate({ initial: () => 0, add: (a: number, n: number) => a + n }));
    // @ts-expect-error unknown overflow policy
    buffer({ capacity: 1, overflow: 'drop-random' });
    // @ts-expect-error a duration string needs a unit
    window({ size: '10' });
  });

  it('sinks check what reaches them', async () => {
    const alerts = pipe(
      [{ sensorId: 's1', message: 'hot' }],
      map((a) => AlertRaised(a)),
    ).start();
    await alerts.pipeTo(publishTo(bus));
    const store = createInMemoryEventStore();
    await alerts.pipeTo(appendTo(store, { streamId: (a) => `alert-${a.data.sensorId}` }));
    const numbers = pipe([1]).start();
    // @ts-expect-error numbers are not messages of this bus
    await numbers.pipeTo(publishTo(bus));
    await numbers.pipeTo(
      appendTo(store, { streamId: (n) => `n-${n}`, events: (n) => ({ type: 'n.seen', data: { n } }) }),
    );
  });
});
