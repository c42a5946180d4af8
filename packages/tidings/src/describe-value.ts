/**
 * Shows any value in an error message: what was found. `JSON.stringify` alone throws on bigint and
 * cycles and drops `undefined`; this never throws and keeps long values short.
 *
 * @example
 * describeValue(5n); // '5n'
 * describeValue(new Map()); // 'an instance of Map'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return String(value);
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  const name = value?.constructor?.name;
  const kind = typeof name === 'string' && name !== 'Object' ? `an instance of ${name}` : 'an object';
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return kind;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return kind;
  }
}
