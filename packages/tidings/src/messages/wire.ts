import { ValidationError } from '../errors.js';
import type { Envelope } from './message.js';
import type { Metadata } from './metadata.js';

/**
 * The form in which an envelope crosses a process boundary (a broker message, an HTTP request).
 * Standard attributes travel as headers named after CloudEvents' binary content mode (`ce-id`,
 * `ce-type`, `ce-time`, `ce-source`), W3C trace context as `traceparent`, Tidings' own as
 * `tidings-*`; the body is the JSON of `data`. Other metadata keys travel JSON-encoded in
 * `tidings-meta`. See docs/decisions/0003-wire-format.md.
 */
export interface WireMessage {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The envelope fields a transport reconstructs from a {@link WireMessage}. */
export interface WireEnvelope {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Metadata;
  readonly occurredAt: Date;
  readonly streamId: string | undefined;
}

const KNOWN = new Set(['correlationId', 'causationId', 'traceparent', 'source', 'schemaVersion']);

/** Encodes an envelope as headers plus a JSON body, for a transport to carry. */
export function toWire(envelope: Envelope): WireMessage {
  const m = envelope.metadata;
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': envelope.id,
    'ce-type': envelope.type,
    'ce-time': envelope.occurredAt.toISOString(),
    'ce-source': m.source ?? 'tidings',
    'content-type': 'application/json',
  };
  if (m.correlationId !== undefined) headers['tidings-correlation-id'] = m.correlationId;
  if (m.causationId !== undefined) headers['tidings-causation-id'] = m.causationId;
  if (m.traceparent !== undefined) headers['traceparent'] = m.traceparent;
  if (m.schemaVersion !== undefined) headers['tidings-schema-version'] = String(m.schemaVersion);
  if (envelope.streamId !== undefined) headers['tidings-stream-id'] = envelope.streamId;
  const extra: Record<string, unknown> = {};
  let hasExtra = false;
  for (const key of Object.keys(m)) {
    if (!KNOWN.has(key)) {
      extra[key] = m[key];
      hasExtra = true;
    }
  }
  if (hasExtra) headers['tidings-meta'] = JSON.stringify(extra);
  return { headers, body: JSON.stringify(envelope.data) };
}

/**
 * Rebuilds the envelope fields from a {@link WireMessage} written by {@link toWire}. Throws
 * `ValidationError` (code `INVALID_WIRE_MESSAGE`) naming the header or body that is missing or malformed.
 */
export function fromWire(message: WireMessage): WireEnvelope {
  const h = message.headers;
  const invalid = (name: string, why: string, cause?: unknown): ValidationError =>
    new ValidationError(
      `Wire message ${name === 'body' ? 'body' : `header '${name}'`} ${why}: expected a message written by toWire(); check the producer.`,
      [{ path: name === 'body' ? ['body'] : ['headers', name], message: why }],
      { code: 'INVALID_WIRE_MESSAGE', ...(cause === undefined ? {} : { cause }) },
    );
  const need = (name: string): string => {
    const value = h[name];
    if (value === undefined || value === '') throw invalid(name, 'is missing');
    return value;
  };
  const parse = (text: string, name: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw invalid(name, 'is not valid JSON', cause);
    }
  };
  const meta = h['tidings-meta'] === undefined ? {} : parse(h['tidings-meta'], 'tidings-meta');
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw invalid('tidings-meta', 'is not a JSON object');
  }
  const metadata = meta as Record<string, unknown>;
  if (h['ce-source'] !== undefined && h['ce-source'] !== 'tidings') metadata['source'] = h['ce-source'];
  if (h['tidings-correlation-id'] !== undefined) metadata['correlationId'] = h['tidings-correlation-id'];
  if (h['tidings-causation-id'] !== undefined) metadata['causationId'] = h['tidings-causation-id'];
  if (h['traceparent'] !== undefined) metadata['traceparent'] = h['traceparent'];
  const version = h['tidings-schema-version'];
  if (version !== undefined) {
    if (!/^[1-9][0-9]{0,8}$/.test(version)) throw invalid('tidings-schema-version', 'is not a positive integer');
    metadata['schemaVersion'] = Number(version);
  }
  const occurredAt = new Date(need('ce-time'));
  if (Number.isNaN(occurredAt.getTime())) throw invalid('ce-time', 'is not an RFC 3339 timestamp');
  return {
    id: need('ce-id'),
    type: need('ce-type'),
    occurredAt,
    streamId: h['tidings-stream-id'],
    metadata,
    data: parse(message.body, 'body'),
  };
}
