import { AbortedError } from '../errors.js';

/** A controller that also aborts when `outer` aborts. `dispose()` unhooks it from `outer`. */
export interface LinkedController {
  readonly controller: AbortController;
  dispose(): void;
}

/**
 * Links a fresh controller to an outer signal. Hand-rolled instead of `AbortSignal.any` so the
 * listener on a long-lived outer signal is removed as soon as the inner work ends.
 */
export function linkController(outer: AbortSignal | undefined): LinkedController {
  const controller = new AbortController();
  if (outer === undefined) return { controller, dispose: () => undefined };
  if (outer.aborted) {
    controller.abort(outer.reason);
    return { controller, dispose: () => undefined };
  }
  const onAbort = (): void => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => outer.removeEventListener('abort', onAbort) };
}

/**
 * Settles like `work`, except that it rejects with {@link AbortedError} as soon as `signal`
 * aborts, so a caller is never held hostage by work that ignores its signal.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined); // the abandoned work may still fail; nobody is listening
    return Promise.reject(new AbortedError(what, signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(new AbortedError(what, signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);

        reject(error);
      },
    );
  });
}

/** Runs `fn` and turns a synchronous throw into a rejection. */
export function invoke<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return rejectWith(error);
  }
}

/** A promise rejected with exactly what was thrown: user errors pass through unchanged. */
export function rejectWith(error: unknown): Promise<never> {
  return Promise.reject(error);
}
