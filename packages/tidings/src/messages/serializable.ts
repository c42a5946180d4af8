import { ValidationError } from '../errors.js';

/**
 * The payload rule shared by the bus, every store and every transport: data and metadata must be
 * JSON. Plain objects, arrays, strings, finite numbers, booleans and null pass. Objects with a
 * `toJSON` method (such as `Date`) pass and are stored as what `toJSON` returns (an ISO string for
 * a Date). `undefined` object properties are dropped, as JSON does. Anything that JSON would
 * silently change or cannot encode is refused: bigint, functions, symbols, NaN and ±Infinity,
 * `undefined` inside arrays, cycles, and non-plain objects such as Map, Set or class instances.
 *
 * Throws {@link ValidationError} naming the path of the first offending value.
 */
export function assertSerializable(value: unknown, type: string, root = 'data'): void {
  // Fast path for the common flat payloads: primitives need no walk.
  if (value === null) return;
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return;
  if (t === 'object' && isFlatJson(value as object)) return;
  walk(value, [root], type, new Set<object>());
}

/**
 * The hot path: a plain object or array whose values are all strings, booleans, null or finite
 * numbers passes without allocating. Anything else takes the full walk, which reports the path.
 */
function isFlatJson(obj: object): boolean {
  // `constructor === Object` is an inline-cached load, cheaper than getPrototypeOf; a spoofed own
  // `constructor` key holds a function, which fails the scalar check below and takes the full walk.
  if ((obj as { constructor?: unknown }).constructor !== Object) {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) if (!isJsonScalar(obj[i])) return false;
      return true;
    }
    if (Object.getPrototypeOf(obj) !== null) return false;
  }
  for (const key in obj) {
    const v = (obj as Record<string, unknown>)[key];
    if (v !== undefined && !isJsonScalar(v)) return false;
  }
  return true;
}

function isJsonScalar(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    default:
      return v === null;
  }
}

function fail(path: readonly PropertyKey[], type: string, found: string): never {
  const where = path.map(String).join('.');
  throw new ValidationError(
    `Cannot serialise '${type}': ${where} is ${found}. Expected JSON values only (objects, arrays, strings, finite numbers, booleans, null; Dates become ISO strings). Convert it first, e.g. a bigint to a string.`,
    [{ path, message: `not JSON-serialisable: ${found}` }],
    { code: 'NOT_SERIALIZABLE' },
  );
}

function walk(value: unknown, path: PropertyKey[], type: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, type, String(value));
      return;
    case 'bigint':
      return fail(path, type, 'a bigint');
    case 'function':
      return fail(path, type, 'a function');
    case 'symbol':
      return fail(path, type, 'a symbol');
    case 'undefined':
      return fail(path, type, 'undefined');
    default:
      break;
  }
  if (value === null) return;
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return;
  if (seen.has(obj)) fail(path, type, 'a circular reference');
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      walk(obj[i], path, type, seen);
      path.pop();
    }
  } else {
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj.constructor as { name?: string } | undefined)?.name ?? 'an object';
      fail(path, type, `an instance of ${name}`);
    }
    for (const key in obj) {
      const v = (obj as Record<string, unknown>)[key];
      if (v === undefined) continue;
      path.push(key);
      walk(v, path, type, seen);
      path.pop();
    }
  }
  seen.delete(obj);
}
