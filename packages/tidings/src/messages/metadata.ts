/**
 * What travels with a message besides its data. Tidings fills `correlationId` and `causationId`
 * when a handler publishes or sends through its context; the rest is yours to set.
 */
export interface Metadata {
  /** Id shared by every message caused, directly or not, by the same original message. */
  readonly correlationId?: string;
  /** Id of the message whose handler produced this one. */
  readonly causationId?: string;
  /** W3C trace context (`00-<trace-id>-<span-id>-<flags>`). */
  readonly traceparent?: string;
  /** Which service or component produced the message. */
  readonly source?: string;
  /** Version of the data's shape, for upcasting; 1 when absent. */
  readonly schemaVersion?: number;
  readonly [key: string]: unknown;
}

const TRACEPARENT_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** True for a syntactically valid W3C `traceparent` header value. */
export function isTraceparent(value: string): boolean {
  return TRACEPARENT_RE.test(value) && !/^[0-9a-f]{2}-0{32}-/.test(value) && !/-0{16}-[0-9a-f]{2}$/.test(value);
}
