import { describe, expect, it } from 'vitest';
import { ValidationError } from 'tidings';
import type { Stage } from 'tidings/streams';
import { aggregate, batch, buffer, filter, map, pipe, throttle, window } from 'tidings/streams';

/** Asserts a ValidationError coded `code` (INVALID_OPTION unless said) whose message matches `pattern`. */
function refused(define: () => unknown, pattern: RegExp, code = 'INVALID_OPTION'): void {
  let error: unknown;
  try {
    define();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ code });
  expect((error as Error).message).toMatch(pattern);
}

// Options typed loosely on purpose: these are the inputs a JavaScript caller (or a config file) can pass.
const loose = <T>(value: unknown): T => value as T;

describe('bad options are refused at definition, with what was expected and what was found', () => {
  it('window size 0, negative, NaN or unparseable', () => {
    refused(() => window({ size: 0 }), /window: option 'size' must be a duration > 0 .* got 0/);
    refused(() => window({ size: -5 }), /got -5/);
    refused(() => window({ size: Number.NaN }), /got NaN/);
    refused(() => window({ size: '10 seconds' as never }), /got "10 seconds"/);
    refused(() => window({ size: '0s' }), /got "0s"/);
  });

  it('window slide above size, lateness without event time, negative lateness', () => {
    refused(() => window({ size: '5s', slide: '10s' }), /slide' must be a duration <= size \(5s\)/);
    refused(() => window({ size: '5s', lateness: '1s' }), /'lateness' applies to event-time windows only/);
    refused(() => window({ size: '5s', eventTime: () => 0, lateness: -1 }), /lateness' must be a duration >= 0/);
  });

  it('batch size 0, fractional, neither size nor within', () => {
    refused(() => batch({ size: 0 }), /batch: option 'size' must be an integer >= 1, got 0/);
    refused(() => batch({ size: 2.5 }), /got 2.5/);
    refused(() => batch({}), /expected 'size', 'within' or both/);
    refused(() => batch({ size: 10, within: 0 }), /within' must be a duration > 0/);
  });

  it('unknown overflow policy, zero capacity', () => {
    refused(
      () => buffer({ capacity: 10, overflow: 'drop-random' as never }),
      /overflow' must be one of 'wait', 'drop-oldest', 'drop-newest', 'error', got "drop-random"/,
    );
    refused(() => buffer({ capacity: 0 }), /capacity' must be an integer >= 1, got 0/);
  });

  it('unknown option keys, on every operator and on start()', () => {
    const unknown = (define: () => unknown, pattern: RegExp): void => refused(define, pattern, 'UNKNOWN_OPTION');
    unknown(
      () => window({ size: '1s', slid: '1s' } as never),
      /window: unknown option 'slid' in options \(did you mean 'slide'\?\)\. Accepted: by, size, slide/,
    );
    unknown(() => batch({ size: 1, timeout: 5 } as never), /batch: unknown option 'timeout'/);
    unknown(() => batch({ size: 1, onError: 'skip' } as never), /batch: unknown option 'onError'/);
    unknown(() => buffer({ capacity: 1, policy: 'wait' } as never), /buffer: unknown option 'policy'/);
    unknown(() => throttle({ every: '1s', per: 'x' } as never), /throttle: unknown option 'per'/);
    unknown(() => map((x) => x, { concurrency: 4 } as never), /map: unknown option 'concurrency'/);
    unknown(
      () => aggregate({ initial: () => 0, add: () => 0, reduce: () => 0 } as never),
      /aggregate: unknown option 'reduce'/,
    );
    unknown(
      () => pipe([1]).start({ clock: undefined, timeout: 1 } as never),
      /pipeline.start: unknown option 'timeout'/,
    );
    refused(() => filter(() => true, { name: '' }), /filter: option 'name' must be a non-empty string/);
    refused(() => window(undefined as never), /window: expected an options object, got undefined/, 'INVALID_OPTIONS');
    refused(() => batch(42 as never), /batch: options must be an object/, 'INVALID_OPTIONS');
  });

  it('missing or non-function callbacks and a bad error policy', () => {
    refused(() => map(undefined as never), /map: option 'fn' must be a function, got undefined/);
    refused(() => window({ size: '1s', by: 'sensorId' as never }), /option 'by' must be a function, got "sensorId"/);
    refused(() => aggregate({ initial: () => 0 } as never), /option 'add' must be a function/);
    refused(
      () => map((x) => x, { onError: 'ignore' as never }),
      /onError' must be one of 'stop', 'skip', got "ignore"/,
    );
    refused(() => pipe([1]).start({ onError: 'retry' as never }), /onError' must be one of 'stop', 'skip'/);
  });

  it('a source that is not iterable, a stage that is not a stage', () => {
    refused(() => pipe(42 as never), /source must be an iterable or async iterable/);
    refused(
      () =>
        pipe(
          [1],
          loose<Stage<number, number>>((x: number) => x),
        ),
      /argument 2 is not a stage/,
    );
  });

  it('accepts every duration form', () => {
    expect(window({ size: 1500 }).name).toBe('window(1500ms, processing time)');
    expect(window({ size: '1.5s' }).name).toBe('window(1500ms, processing time)');
    expect(window({ size: '2m', slide: '30s', by: () => 1, eventTime: () => 0 }).name).toBe(
      'window(2m every 30s, by key, event time)',
    );
    expect(batch({ size: 1000, within: '5s' }).name).toBe('batch(1000, 5s)');
    expect(throttle({ every: '1h' }).name).toBe('throttle(1h)');
  });
});
