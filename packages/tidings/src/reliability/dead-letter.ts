import { AbortedError, TidingsError } from '../errors.js';
import type { Middleware, MiddlewareContext } from '../bus/middleware.js';
import type { Envelope } from '../messages/message.js';
import type { WireEnvelope } from '../messages/wire.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { DeadLetterStore, NewDeadLetter } from './dead-letter-store.js';
import { failuresOf } from './failure-log.js';
import {
  booleanOption,
  clockOption,
  functionOption,
  invalidOption,
  optionsObject,
  type OptionKeys,
} from './options.js';
import { serializeError } from './serialize-error.js';

/** Options of {@link deadLetterMiddleware}. */
export interface DeadLetterOptions {
  readonly store: DeadLetterStore;
  /**
   * Which failures become dead letters. Default: all but `AbortedError` (a cancelled handler,
   * e.g. during shutdown, did not fail; it will be redelivered).
   */
  readonly capture?: (error: unknown, ctx: MiddlewareContext) => boolean;
  /**
   * Rethrow the error after capturing it (default true), so the bus's `onError` and a command's
   * caller still see it. `false` swallows it: use that only for event handlers, never for
   * commands or queries, whose callers would receive `undefined`.
   */
  readonly rethrow?: boolean;
  readonly clock?: Clock;
}

const DEAD_LETTER_KEYS = {
  store: true,
  capture: true,
  rethrow: true,
  clock: true,
} satisfies OptionKeys<DeadLetterOptions>;

/** The envelope's fields as plain values, so a store can keep them and a redelivery rebuild them. */
function snapshot(message: Envelope): WireEnvelope {
  return {
    id: message.id,
    type: message.type,
    data: message.data,
    metadata: message.metadata,
    occurredAt: message.occurredAt,
    streamId: message.streamId,
  };
}

/**
 * Captures a message whose handling failed for good into a dead-letter store: the message, the
 * serialised error (name, message, code, stack, cause), the attempts (`ctx.attempt`, as left by
 * `retryMiddleware`), when the first and last attempts failed, and the handler name. Place it
 * outside `retryMiddleware`, so only what retry gave up on is captured.
 *
 * If the store itself fails, the call rejects with `DEAD_LETTER_FAILED` whose `cause` is an
 * `AggregateError` of the handler's error and the store's — a lost dead letter is never silent.
 *
 * @example
 * const deadLetters = createDeadLetterStore();
 * bus.subscribe('order.paid', notifyWarehouse, {
 *   middleware: [deadLetterMiddleware({ store: deadLetters }), retryMiddleware({ maxAttempts: 3 })],
 * });
 */
export function deadLetterMiddleware(input: DeadLetterOptions): Middleware {
  const component = 'deadLetterMiddleware';
  const options = optionsObject(component, input, DEAD_LETTER_KEYS);
  clockOption(component, 'clock', options.clock);
  const store = options.store as DeadLetterStore | undefined;
  if (store === undefined || typeof store.add !== 'function') {
    throw invalidOption(component, 'store', store, 'a DeadLetterStore (e.g. createDeadLetterStore())');
  }
  functionOption(component, 'capture', options.capture);
  booleanOption(component, 'rethrow', options.rethrow);
  const capture = options.capture ?? ((error: unknown) => !(error instanceof AbortedError));
  const rethrow = options.rethrow ?? true;
  const clock = options.clock ?? systemClock;

  return async function deadLetter(ctx, next) {
    try {
      return await next();
    } catch (error) {
      if (!capture(error, ctx)) throw error;
      const now = clock.now();
      const failures = failuresOf(ctx);
      const letter: NewDeadLetter = {
        message: snapshot(ctx.message),
        kind: ctx.kind,
        handler: ctx.handler,
        error: serializeError(error),
        attempts: Math.max(1, ctx.attempt),
        firstFailedAt: new Date(failures?.firstFailedAt ?? now),
        lastFailedAt: new Date(now),
      };
      try {
        await store.add(letter);
      } catch (storeError) {
        throw new TidingsError(
          'DEAD_LETTER_FAILED',
          `Handling '${ctx.message.type}'${ctx.handler === undefined ? '' : ` in '${ctx.handler}'`} failed and its dead letter could not be stored; both errors are in cause.`,
          { cause: new AggregateError([error, storeError], 'handler error, then dead-letter store error') },
        );
      }
      if (rethrow) throw error;
      return undefined;
    }
  };
}
