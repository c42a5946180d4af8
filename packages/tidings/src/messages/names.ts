import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';

const SEGMENT = '[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?';
const TYPE_RE = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
const PATTERN_SEGMENT_RE = new RegExp(`^(?:${SEGMENT}|\\*|\\*\\*)$`);

/** Longest accepted message type name. */
export const MAX_TYPE_LENGTH = 200;

/**
 * Checks a message type name: dot-separated segments of letters, digits, `_` and inner `-`
 * (`order.paid`, `sensor.temperature`). Throws {@link ValidationError} otherwise.
 */
export function assertMessageType(type: unknown, what = 'message type'): asserts type is string {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH || !TYPE_RE.test(type)) {
    throw new ValidationError(
      `Invalid ${what} ${describeValue(type)}: expected dot-separated segments of letters, digits, '_' or '-', such as 'order.paid' (no empty segments, no wildcards, at most ${MAX_TYPE_LENGTH} characters).`,
      [{ path: ['type'], message: 'malformed type name' }],
      { code: 'INVALID_TYPE' },
    );
  }
}

/**
 * Checks a subscription pattern: segments as in a type name, `*` for exactly one segment, and `**`
 * for one or more segments, allowed only as the last segment (`order.**`, `**`).
 */
export function assertPattern(pattern: unknown): asserts pattern is string {
  const fail = (why: string): never => {
    throw new ValidationError(
      `Invalid subscription pattern ${describeValue(pattern)}: ${why}. Expected segments such as 'order.paid', 'order.*', '*.paid', 'order.**' or '**'.`,
      [{ path: ['pattern'], message: why }],
      { code: 'INVALID_PATTERN' },
    );
  };
  if (typeof pattern !== 'string' || pattern.length === 0) return fail('it must be a non-empty string');
  if (pattern.length > MAX_TYPE_LENGTH) return fail(`it is longer than ${MAX_TYPE_LENGTH} characters`);
  const segments = pattern.split('.');
  segments.forEach((segment, i) => {
    if (segment === '') fail('it has an empty segment');
    if (!PATTERN_SEGMENT_RE.test(segment)) fail(`segment '${segment}' is not a name, '*' or '**'`);
    if (segment === '**' && i !== segments.length - 1) fail("'**' may only be the last segment");
  });
}

/** True when the pattern has no wildcard: it names one type. */
export function isExactPattern(pattern: string): boolean {
  return !pattern.includes('*');
}

/** Compiles a validated pattern into a predicate on type names. */
export function compilePattern(pattern: string): (type: string) => boolean {
  if (isExactPattern(pattern)) return (type) => type === pattern;
  if (pattern === '**') return () => true;
  const source = pattern
    .split('.')
    .map((s) => (s === '**' ? '[^.]+(?:\\.[^.]+)*' : s === '*' ? '[^.]+' : s.replace(/-/g, '\\-')))
    .join('\\.');
  const re = new RegExp(`^${source}$`);
  return (type) => re.test(type);
}

/** The category of a stream id: what precedes the first `-` (`order-42` → `order`). */
export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}
