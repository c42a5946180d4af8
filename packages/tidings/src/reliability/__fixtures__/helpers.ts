import { expect } from 'vitest';
import { TidingsError } from '../../errors.js';
import type { MiddlewareContext, MiddlewareKind } from '../../bus/middleware.js';
import type { Envelope } from '../../messages/message.js';

let counter = 0;

/** A handler context as the bus will build it, with a fresh message id unless one is given. */
export function testContext(
  overrides: {
    kind?: MiddlewareKind;
    handler?: string | undefined;
    id?: string;
    type?: string;
    data?: unknown;
    signal?: AbortSignal;
  } = {},
): MiddlewareContext {
  counter += 1;
  const message: Envelope = {
    id: overrides.id ?? `msg-${counter}`,
    type: overrides.type ?? 'order.paid',
    data: overrides.data ?? { orderId: 'o-1' },
    metadata: { correlationId: 'c-1' },
    occurredAt: new Date(0),
    streamId: 'order-1',
  };
  return {
    kind: overrides.kind ?? 'handle',
    message,
    handler: 'handler' in overrides ? overrides.handler : 'test-handler',
    signal: overrides.signal,
    attempt: 1,
  };
}

/** Asserts that `fn` throws INVALID_OPTION naming the option and the value it got. */
export function expectInvalidOption(fn: () => unknown, option: string, shown: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TidingsError);
  const error = thrown as TidingsError;
  expect(error.code).toBe('INVALID_OPTION');
  expect(error.message).toContain(`'${option}'`);
  expect(error.message).toContain(`got ${shown}`);
  expect(error.message).toMatch(/must be /);
}

/** Settles a promise into a value or error without an unhandled rejection. */
export function settle<T>(promise: Promise<T>): {
  readonly result: { status: 'pending' } | { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };
} {
  const box: {
    result: { status: 'pending' } | { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };
  } = {
    result: { status: 'pending' },
  };
  promise.then(
    (value) => {
      box.result = { status: 'fulfilled', value };
    },
    (reason: unknown) => {
      box.result = { status: 'rejected', reason };
    },
  );
  return box;
}

/** Lets every queued promise callback run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject exposed. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Fires the fake clock's timers, letting promises settle in between, until none is left. */
export async function drain(clock: { pending(): number; next(): Promise<boolean> }, limit = 100_000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await flush();
    if (clock.pending() === 0) return;
    await clock.next();
  }
  throw new Error(`drain: timers still pending after ${limit} rounds`);
}
