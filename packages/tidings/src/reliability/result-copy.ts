// What an idempotent run's result looks like to the callers after the first: their own copy, as a
// durable store (which keeps the result as JSON) would hand out, so that one caller mutating what
// it received never changes what another receives. See docs/decisions/0413.

/**
 * Makes the stored form of a result: a structured clone, detached from the object the first
 * caller received. A result that cannot be cloned (it holds functions, symbols, promises, …) is
 * deep-frozen instead and shared by every caller, the first one included.
 */
export function snapshotResult<T>(result: T): T {
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return result;
  try {
    return structuredClone(result);
  } catch {
    deepFreeze(result, new Set());
    return result;
  }
}

/**
 * A copy of a stored result for one more caller: a fresh structured clone, or the stored object
 * itself when it is frozen (the fallback of {@link snapshotResult}, which cannot be cloned).
 */
export function copyResult<T>(stored: T): T {
  if (stored === null || typeof stored !== 'object' || Object.isFrozen(stored)) return stored;
  return structuredClone(stored);
}

function deepFreeze(value: unknown, seen: Set<unknown>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  // A non-empty typed array or DataView cannot be frozen; its elements stay writable.
  if (ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor !== undefined && 'value' in descriptor) deepFreeze(descriptor.value, seen);
  }
}
