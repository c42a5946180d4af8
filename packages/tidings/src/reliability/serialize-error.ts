import { toError } from '../errors.js';

/** An error as a plain JSON object, for dead letters and parked events. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** The `code` of a `TidingsError` or a Node error, when it has one. */
  readonly code?: string;
  readonly stack?: string;
  /** The `cause` chain, up to three levels deep. */
  readonly cause?: SerializedError;
}

/**
 * Turns anything thrown into a {@link SerializedError}: name, message, string `code`, stack and
 * the cause chain (three levels; deeper or cyclic causes are cut off).
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  const e = toError(error);
  const code = (e as { code?: unknown }).code;
  const cause = (e as { cause?: unknown }).cause;
  return {
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof e.stack === 'string' ? { stack: e.stack } : {}),
    ...(cause !== undefined && depth < 2 ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}
