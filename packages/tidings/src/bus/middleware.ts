import type { Envelope } from '../messages/message.js';

/** Where a middleware runs. */
export type MiddlewareKind = 'publish' | 'handle' | 'send' | 'query';

/**
 * What a middleware sees. The same object is the handler's context for `handle`, `send` and
 * `query`, so what a middleware changes (`signal`, `attempt`) is what the handler reads.
 */
export interface MiddlewareContext {
  readonly kind: MiddlewareKind;
  /** The message being published or handled. */
  readonly message: Envelope;
  /** Name of the subscription or handler, for `handle`, `send` and `query`. */
  readonly handler: string | undefined;
  /** Cancellation for the handler; middleware such as `timeout` replace it with a narrower one. */
  signal: AbortSignal | undefined;
  /** 1 on the first try; `retry` increments it. */
  attempt: number;
}

/**
 * Middleware wraps a step: call `next()` at most once (retry is the exception that proves it),
 * clean up in `finally`, return what `next()` returned or throw.
 *
 * @example
 * const logging: Middleware = async function logging(ctx, next) {
 *   const started = Date.now();
 *   try { return await next(); } finally { console.log(ctx.kind, ctx.message.type, Date.now() - started, 'ms'); }
 * };
 */
export type Middleware<C extends MiddlewareContext = MiddlewareContext> = (
  ctx: C,
  next: () => Promise<unknown>,
) => Promise<unknown>;

/**
 * Composes middleware around a final step, outermost first. Returns the final step unchanged
 * when there is no middleware, so an empty stack costs nothing.
 */
export function compose<C extends MiddlewareContext>(
  middleware: readonly Middleware<C>[],
  final: (ctx: C) => unknown,
): (ctx: C) => unknown {
  if (middleware.length === 0) return final;
  return (ctx: C) => {
    const run = (i: number): Promise<unknown> => {
      if (i === middleware.length) {
        try {
          return Promise.resolve(final(ctx));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      // Each call of next() runs the rest of the chain afresh, which is what retry relies on.
      try {
        return middleware[i]!(ctx, () => run(i + 1));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return run(0);
  };
}
