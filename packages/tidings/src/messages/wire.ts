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

export function fromWire(message: WireMessage): WireEnvelope {
  const h = message.headers;
  const need = (name: string): string => {
    const value = h[name];
    if (value === undefined || value === '') {
      throw new ValidationError(
        `Wire message has no '${name}' header: expected a message written by toWire().`,
        [{ path: ['headers', name], message: 'missing header' }],
        { code: 'INVALID_WIRE_MESSAGE' },
      );
    }
    return value;
  };
  const parse = (text: string, what: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new ValidationError(
        `Wire message ${what} is not valid JSON.`,
        [{ path: [what], message: 'invalid JSON' }],
        {
          cause,
          code: 'INVALID_WIRE_MESSAGE',
        },
      );
    }
  };
  const metadata: Record<string, unknown> =
    h['tidings-meta'] === undefined ? {} : (parse(h['tidings-meta'], 'tidings-meta') as Record<string, unknown>);
  if (h['ce-source'] !== undefined && h['ce-source'] !== 'tidings') metadata['source'] = h['ce-source'];
  if (h['tidings-correlation-id'] !== undefined) metadata['correlationId'] = h['tidings-correlation-id'];
  if (h['tidings-causation-id'] !== undefined) metadata['causationId'] = h['tidings-causation-id'];
  if (h['traceparent'] !== undefined) metadata['traceparent'] = h['traceparent'];
  if (h['tidings-schema-version'] !== undefined) metadata['schemaVersion'] = Number(h['tidings-schema-version']);
  return {
    id: need('ce-id'),
    type: need('ce-type'),
    occurredAt: new Date(need('ce-time')),
    streamId: h['tidings-stream-id'],
    metadata,
    data: parse(message.body, 'body'),
  };
}
