import { ValidationError } from '../errors.js';

/** Most levels of objects and arrays nested in one another accepted in data or metadata. */
export const MAX_JSON_DEPTH = 256;

/**
 * The payload rule shared by the bus, every store and every transport: data and metadata must be
 * JSON. Plain objects, arrays, strings, finite numbers, booleans and null pass. Objects with a
 * `toJSON` method (such as `Date`) pass when what `toJSON` returns passes the same rule, and are
 * stored as that (an ISO string for a Date); a property whose `toJSON` returns `undefined` is
 * dropped like an `undefined` property. `undefined` object properties are dropped, as JSON does.
 * Anything that JSON would silently change or cannot encode is refused: bigint, functions, symbols,
 * NaN and ±Infinity, invalid Dates, `undefined` inside arrays or as the value itself, cycles,
 * non-plain objects such as Map, Set or class instances, and nesting deeper than
 * {@link MAX_JSON_DEPTH} levels.
 *
 * Throws {@link ValidationError} code `NOT_SERIALIZABLE` naming the path of the first offending value.
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

function walk(value: unknown, path: PropertyKey[], type: string, seen: Set<object>, key = '', property = false): void {
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
  if (seen.has(obj)) fail(path, type, 'a circular reference');
  if (path.length > MAX_JSON_DEPTH) fail(path, type, `nested more than ${MAX_JSON_DEPTH} levels deep`);
  // JSON writes an invalid Date as null: a silent change, refused like NaN.
  if (obj instanceof Date && Number.isNaN(obj.getTime())) fail(path, type, 'an invalid Date');
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function') {
    walkContainer(obj, path, type, seen);
    return;
  }
  // JSON.stringify writes what toJSON returns, so that value must pass the rule too.
  let json: unknown;
  try {
    json = (toJSON as (key: string) => unknown).call(obj, key);
  } catch (error) {
    fail(path, type, `an object whose toJSON() threw (${error instanceof Error ? error.message : String(error)})`);
  }
  if (json === obj) return walkContainer(obj, path, type, seen);
  // As a property it is dropped, like an undefined property; at the root or in an array it is refused.
  if (json === undefined) {
    if (property) return;
    fail(path, type, 'an object whose toJSON() returned undefined');
  }
  // JSON.stringify calls toJSON once per value: the result is written as it is, never converted again.
  seen.add(obj);
  if (typeof json === 'object' && json !== null) {
    if (seen.has(json)) fail(path, type, 'a circular reference');
    walkContainer(json, path, type, seen);
  } else {
    walk(json, path, type, seen, key, property);
  }
  seen.delete(obj);
}

function walkContainer(obj: object, path: PropertyKey[], type: string, seen: Set<object>): void {
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      walk(obj[i], path, type, seen, String(i));
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
      walk(v, path, type, seen, key, true);
      path.pop();
    }
  }
  seen.delete(obj);
}
