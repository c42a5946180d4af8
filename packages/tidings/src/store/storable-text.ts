import { ValidationError } from '../errors.js';

// JSON.stringify writes U+0000 as `\u0000` and a lone surrogate as `\udXXX`; every other character it
// escapes with \u is a control character PostgreSQL jsonb and SQLite both keep. A backslash in the
// text itself is written as `\\`, so an escape counts only after an even run of backslashes.
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

// eslint-disable-next-line no-control-regex -- finding U+0000 is the point.
const UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses JSON text that not every store can keep: U+0000 (PostgreSQL `jsonb` and `text` cannot hold
 * it) and lone surrogates (not valid Unicode; `jsonb` refuses them and UTF-8 cannot encode them).
 * `text` is `JSON.stringify(value)`; `value` is walked only on failure, to name the offending path.
 *
 * Throws {@link ValidationError} with code `NOT_SERIALIZABLE`.
 */
export function assertStorableJson(text: string, value: unknown, type: string, root: string): void {
  // JSON.stringify only emits `\u` escapes for control characters and lone surrogates.
  if (!text.includes('\\u') || !UNSTORABLE_ESCAPE.test(text)) return;
  const path = findUnstorable(value, [root]) ?? [root];
  const where = path.map(String).join('.');
  throw new ValidationError(
    `Cannot store '${type}': ${where} contains a NUL character (U+0000) or a lone UTF-16 surrogate, which no Tidings store can keep (PostgreSQL jsonb refuses both). Remove the character, or encode binary content as base64 first.`,
    [{ path, message: 'contains U+0000 or a lone surrogate' }],
    { code: 'NOT_SERIALIZABLE' },
  );
}

function findUnstorable(value: unknown, path: PropertyKey[]): PropertyKey[] | undefined {
  if (typeof value === 'string') return UNSTORABLE_CHAR.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const json: unknown =
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
      ? (value as { toJSON: () => unknown }).toJSON()
      : value;
  if (json !== value) return findUnstorable(json, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], [...path, i]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    if (UNSTORABLE_CHAR.test(key)) return [...path, key];
    const found = findUnstorable(v, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
