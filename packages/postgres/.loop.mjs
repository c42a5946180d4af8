// packages/tidings/src/errors.ts
var TidingsError = class extends Error {
  constructor(code, message, options) {
    super(message, options?.cause === void 0 ? void 0 : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
};
var ValidationError = class extends TidingsError {
  constructor(message, issues = [], options) {
    super(options?.code ?? 'VALIDATION_FAILED', message, options);
    this.issues = issues;
  }
};
var TimeoutError = class extends TidingsError {
  constructor(message, timeoutMs, options) {
    super('TIMEOUT', message, options);
    this.timeoutMs = timeoutMs;
  }
};
var AbortedError = class extends TidingsError {
  constructor(what, reason) {
    super(
      'ABORTED',
      `${what} was aborted: its AbortSignal fired${reason instanceof Error ? ` (${reason.message})` : ''}.`,
      {
        cause: reason,
      },
    );
  }
};

// packages/tidings/src/time/clock.ts
function sleepOn(clock, ms, signal) {
  if (signal?.aborted) return Promise.reject(new AbortedError('sleep', signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(new AbortedError('sleep', signal?.reason));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
var MAX_TIMER_MS = 2147483647;
var systemClock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    let remaining = Math.max(0, ms);
    let id;
    const arm = () => {
      const leg = Math.min(remaining, MAX_TIMER_MS);
      remaining -= leg;
      id = globalThis.setTimeout(remaining > 0 ? arm : callback, leg);
    };
    arm();
    const cancel = () => globalThis.clearTimeout(id);
    return { cancel, [Symbol.dispose]: cancel };
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};

// packages/tidings/src/messages/names.ts
var SEGMENT = '[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?';
var TYPE_RE = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
var PATTERN_SEGMENT_RE = new RegExp(`^(?:${SEGMENT}|\\*|\\*\\*)$`);
var MAX_TYPE_LENGTH = 200;
function assertMessageType(type, what = 'message type') {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH || !TYPE_RE.test(type)) {
    throw new ValidationError(
      `Invalid ${what} ${JSON.stringify(type)}: expected dot-separated segments of letters, digits, '_' or '-', such as 'order.paid' (no empty segments, no wildcards, at most ${MAX_TYPE_LENGTH} characters).`,
      [{ path: ['type'], message: 'malformed type name' }],
      { code: 'INVALID_TYPE' },
    );
  }
}
function categoryOf(streamId) {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

// packages/tidings/src/messages/ids.ts
var HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
var defaultRandom = (bytes) => {
  globalThis.crypto.getRandomValues(bytes);
};
function uuidv7Generator(options = {}) {
  const now = options.now ?? Date.now;
  const random = options.random ?? defaultRandom;
  const pool = new Uint8Array(8 * 256);
  let poolAt = pool.length;
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      if (poolAt >= pool.length) {
        random(pool);
        poolAt = 0;
      }
      counter = (pool[poolAt] << 3) & 2047;
    } else {
      ms = lastMs;
      counter++;
      if (counter > 4095) {
        lastMs = ++ms;
        counter = 0;
      }
    }
    if (poolAt + 8 > pool.length) {
      random(pool);
      poolAt = 0;
    }
    const r = poolAt;
    poolAt += 8;
    const hi = Math.floor(ms / 65536);
    const lo = ms & 65535;
    return (
      HEX[(hi >>> 24) & 255] +
      HEX[(hi >>> 16) & 255] +
      HEX[(hi >>> 8) & 255] +
      HEX[hi & 255] +
      '-' +
      HEX[lo >>> 8] +
      HEX[lo & 255] +
      '-' +
      HEX[112 | (counter >>> 8)] +
      HEX[counter & 255] +
      '-' +
      HEX[128 | (pool[r] & 63)] +
      HEX[pool[r + 1]] +
      '-' +
      HEX[pool[r + 2]] +
      HEX[pool[r + 3]] +
      HEX[pool[r + 4]] +
      HEX[pool[r + 5]] +
      HEX[pool[r + 6]] +
      HEX[pool[r + 7]]
    );
  };
}
var uuidv7 = uuidv7Generator();
var UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isUuid(value) {
  return UUID_RE.test(value);
}

// packages/tidings/src/messages/serializable.ts
function assertSerializable(value, type, root = 'data') {
  if (value === null) return;
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return;
  if (t === 'object' && isFlatJson(value)) return;
  walk(value, [root], type, /* @__PURE__ */ new Set());
}
function isFlatJson(obj) {
  if (obj.constructor !== Object) {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) if (!isJsonScalar(obj[i])) return false;
      return true;
    }
    if (Object.getPrototypeOf(obj) !== null) return false;
  }
  for (const key in obj) {
    const v = obj[key];
    if (v !== void 0 && !isJsonScalar(v)) return false;
  }
  return true;
}
function isJsonScalar(v) {
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
function fail(path, type, found) {
  const where = path.map(String).join('.');
  throw new ValidationError(
    `Cannot serialise '${type}': ${where} is ${found}. Expected JSON values only (objects, arrays, strings, finite numbers, booleans, null; Dates become ISO strings). Convert it first, e.g. a bigint to a string.`,
    [{ path, message: `not JSON-serialisable: ${found}` }],
    { code: 'NOT_SERIALIZABLE' },
  );
}
function walk(value, path, type, seen) {
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
  const obj = value;
  if (typeof obj.toJSON === 'function') return;
  if (seen.has(obj)) fail(path, type, 'a circular reference');
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      walk(obj[i], path, type, seen);
      path.pop();
    }
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = obj.constructor?.name ?? 'an object';
      fail(path, type, `an instance of ${name}`);
    }
    for (const key in obj) {
      const v = obj[key];
      if (v === void 0) continue;
      path.push(key);
      walk(v, path, type, seen);
      path.pop();
    }
  }
  seen.delete(obj);
}

// packages/tidings/src/store/errors.ts
function show(v) {
  return typeof v === 'bigint' ? `${v}` : `'${v}'`;
}
var ConcurrencyError = class extends TidingsError {
  constructor(streamId, expected, actual) {
    super(
      'CONCURRENCY_CONFLICT',
      `Stream '${streamId}' is at version ${actual}, expected ${show(expected)}. Another writer appended first: reload the stream and decide again (handleCommand does this for you).`,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
};
var DuplicateEventError = class extends TidingsError {
  constructor(eventId, streamId, detail) {
    super(
      'DUPLICATE_EVENT',
      `Event id ${eventId} appended to '${streamId}' already exists ${detail}. Event ids are unique across the store: re-send the same ids only to retry the same append at the same expected version.`,
    );
    this.eventId = eventId;
    this.streamId = streamId;
  }
};
var StreamDeletedError = class extends TidingsError {
  constructor(streamId) {
    super('STREAM_DELETED', `Stream '${streamId}' was hard-deleted and cannot be written again. Use a new stream id.`);
    this.streamId = streamId;
  }
};
var UnknownOutcomeError = class extends TidingsError {
  constructor(streamId, cause) {
    super(
      'UNKNOWN_OUTCOME',
      `The append to '${streamId}' may or may not have committed: the connection failed during COMMIT. Retry the same append with the same event ids; it is idempotent.`,
      { cause },
    );
  }
};
var StoreBusyError = class extends TimeoutError {
  constructor(what, timeoutMs, cause) {
    super(
      `${what} timed out after ${timeoutMs} ms waiting for the store's write lock, held by another writer. Nothing was written; retry later or raise the lock timeout.`,
      timeoutMs,
      { cause },
    );
  }
};
var IncompatibleStoreError = class extends TidingsError {
  constructor(message, cause) {
    super('INCOMPATIBLE_STORE', message, { cause });
  }
};
var StoreClosedError = class extends TidingsError {
  constructor(kind) {
    super('STORE_CLOSED', `The ${kind} event store is closed. Open a new one to continue.`);
  }
};

// packages/tidings/src/store/idempotency.ts
function resolveIdempotentAppend(streamId, expectedVersion, ids, found) {
  if (found.length === 0) return void 0;
  const elsewhere = found.find((e) => e.streamId !== streamId);
  if (elsewhere !== void 0) {
    throw new DuplicateEventError(elsewhere.id, streamId, `in stream '${elsewhere.streamId}'`);
  }
  const byId = new Map(found.map((e) => [e.id, e]));
  const missing = ids.findIndex((id) => !byId.has(id));
  if (missing !== -1) {
    const stored = ids.find((id) => byId.has(id)) ?? found[0].id;
    throw new DuplicateEventError(
      stored,
      streamId,
      `in this stream at version ${byId.get(stored)?.version ?? '?'}, but event ${ids[missing]} of the same append does not: a retry must resend exactly the same ids`,
    );
  }
  const first = byId.get(ids[0]);
  for (let i = 1; i < ids.length; i++) {
    const e = byId.get(ids[i]);
    if (e.version !== first.version + BigInt(i)) {
      throw new DuplicateEventError(
        e.id,
        streamId,
        `in this stream at version ${e.version}, in another order or another append`,
      );
    }
  }
  if (typeof expectedVersion === 'bigint' && first.version !== expectedVersion + 1n) {
    throw new DuplicateEventError(
      first.id,
      streamId,
      `in this stream at version ${first.version}, appended after version ${first.version - 1n}, not ${expectedVersion}`,
    );
  }
  const last = byId.get(ids[ids.length - 1]);
  return { nextVersion: last.version, position: last.position };
}

// packages/tidings/src/store/storable-text.ts
var UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;
var UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function assertStorableJson(text, value, type, root) {
  if (!text.includes('\\u') || !UNSTORABLE_ESCAPE.test(text)) return;
  const path = findUnstorable(value, [root]) ?? [root];
  const where = path.map(String).join('.');
  throw new ValidationError(
    `Cannot store '${type}': ${where} contains a NUL character (U+0000) or a lone UTF-16 surrogate, which no Tidings store can keep (PostgreSQL jsonb refuses both). Remove the character, or encode binary content as base64 first.`,
    [{ path, message: 'contains U+0000 or a lone surrogate' }],
    { code: 'NOT_SERIALIZABLE' },
  );
}
function findUnstorable(value, path) {
  if (typeof value === 'string') return UNSTORABLE_CHAR.test(value) ? path : void 0;
  if (typeof value !== 'object' || value === null) return void 0;
  const json = typeof value.toJSON === 'function' ? value.toJSON() : value;
  if (json !== value) return findUnstorable(json, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], [...path, i]);
      if (found !== void 0) return found;
    }
    return void 0;
  }
  for (const [key, v] of Object.entries(value)) {
    if (UNSTORABLE_CHAR.test(key)) return [...path, key];
    const found = findUnstorable(v, [...path, key]);
    if (found !== void 0) return found;
  }
  return void 0;
}

// packages/tidings/src/store/validation.ts
var DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
var MAX_STREAM_ID_LENGTH = 512;
var BAD_STREAM_CHARS = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function assertStreamId(streamId) {
  if (
    typeof streamId !== 'string' ||
    streamId.length === 0 ||
    streamId.length > MAX_STREAM_ID_LENGTH ||
    BAD_STREAM_CHARS.test(streamId)
  ) {
    throw new ValidationError(
      `Invalid stream id ${JSON.stringify(streamId)}: expected a string of 1 to ${MAX_STREAM_ID_LENGTH} characters without control characters or lone surrogates, conventionally '<category>-<id>' such as 'order-42'.`,
      [{ path: ['streamId'], message: 'invalid stream id' }],
      { code: 'INVALID_STREAM_ID' },
    );
  }
}
function assertExpectedVersion(expected) {
  if (expected === 'any' || expected === 'no-stream' || expected === 'exists') return;
  if (typeof expected === 'bigint' && expected >= 0n) return;
  throw new ValidationError(
    `Invalid expectedVersion ${typeof expected === 'bigint' ? `${expected}n` : JSON.stringify(expected)}: expected 'any', 'no-stream', 'exists' or a non-negative bigint such as 3n.`,
    [{ path: ['expectedVersion'], message: 'invalid expected version' }],
    { code: 'INVALID_EXPECTED_VERSION' },
  );
}
function prepareAppend(streamId, events, options, prepare) {
  assertStreamId(streamId);
  const expectedVersion = options?.expectedVersion ?? 'any';
  assertExpectedVersion(expectedVersion);
  if (!Array.isArray(events)) {
    throw new ValidationError(`append('${streamId}', events) expects an array of events, got ${typeof events}.`, [
      { path: ['events'], message: 'not an array' },
    ]);
  }
  const max = prepare.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const seen = /* @__PURE__ */ new Set();
  const prepared = events.map((event, i) => {
    if (typeof event !== 'object' || event === null) {
      throw new ValidationError(
        `Event ${i} of the append to '${streamId}' is not an object: expected { type, data, metadata? }.`,
        [{ path: ['events', i], message: 'not an object' }],
      );
    }
    assertMessageType(event.type, 'event type');
    const id = event.id ?? prepare.nextId();
    if (typeof id !== 'string' || !isUuid(id)) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') has id ${JSON.stringify(id)}: expected a UUID string.`,
        [{ path: ['events', i, 'id'], message: 'not a UUID' }],
        { code: 'INVALID_EVENT_ID' },
      );
    }
    const key = id.toLowerCase();
    if (seen.has(key)) {
      throw new ValidationError(
        `Event id ${id} appears twice in one append to '${streamId}': every event needs its own id.`,
        [{ path: ['events', i, 'id'], message: 'duplicate id in append' }],
        { code: 'INVALID_EVENT_ID' },
      );
    }
    seen.add(key);
    if (event.data === void 0) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') has no data: expected a JSON value (use null or {} for none).`,
        [{ path: ['events', i, 'data'], message: 'undefined' }],
        { code: 'NOT_SERIALIZABLE' },
      );
    }
    const metadata = event.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new ValidationError(`Event ${i} ('${event.type}') metadata must be an object.`, [
        { path: ['events', i, 'metadata'], message: 'not an object' },
      ]);
    }
    assertSerializable(event.data, event.type, 'data');
    assertSerializable(metadata, event.type, 'metadata');
    const schemaVersion = metadata['schemaVersion'] ?? 1;
    if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') has schemaVersion ${JSON.stringify(schemaVersion)}: expected a positive integer.`,
        [{ path: ['events', i, 'metadata', 'schemaVersion'], message: 'invalid' }],
      );
    }
    const encoded =
      prepare.encode === void 0 ? event.data : prepare.encode(event.data, { type: event.type, streamId, metadata });
    const data = JSON.stringify(encoded);
    const meta = JSON.stringify(metadata);
    assertStorableJson(data, encoded, event.type, 'data');
    assertStorableJson(meta, metadata, event.type, 'metadata');
    const bytes = utf8Length(data) + utf8Length(meta);
    if (bytes > max) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') of the append to '${streamId}' is ${bytes} bytes of JSON, over the limit of ${max}. Store large payloads elsewhere and keep a reference, or raise maxEventBytes.`,
        [{ path: ['events', i], message: 'too large' }],
        { code: 'EVENT_TOO_LARGE' },
      );
    }
    const str = (v) => (typeof v === 'string' ? v : void 0);
    return {
      id: key,
      type: event.type,
      data,
      metadata: meta,
      correlationId: str(metadata['correlationId']),
      causationId: str(metadata['causationId']),
      schemaVersion,
    };
  });
  return { streamId, expectedVersion, events: prepared };
}
function utf8Length(s) {
  return s.length < 256 && /^[\x20-\x7e]*$/.test(s) ? s.length : encoder.encode(s).length;
}
var encoder = new TextEncoder();
function versionMatches(expected, actual, softDeleted = false) {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === 0n || softDeleted;
  if (expected === 'exists') return actual > 0n && !softDeleted;
  return expected === actual;
}
function assertLimit(limit) {
  if (limit === void 0) return;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new TidingsError(
      'INVALID_LIMIT',
      `Invalid read limit ${JSON.stringify(limit)}: expected a non-negative integer or nothing for all.`,
    );
  }
}

// packages/tidings/src/store/stream-rules.ts
function invalid(code, message, path) {
  throw new ValidationError(message, [{ path: [path], message: 'invalid' }], { code });
}
function show2(v) {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
var isPositiveInteger = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
function encodeStreamMetadata(streamId, metadata) {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `setStreamMetadata('${streamId}', metadata) expects a plain object, got ${show2(metadata)}.`,
      'metadata',
    );
  }
  const { maxAge, maxCount } = metadata;
  if (maxAge !== void 0 && !isPositiveInteger(maxAge)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `Stream metadata maxAge ${show2(maxAge)} for '${streamId}': expected a positive integer number of milliseconds, or nothing.`,
      'maxAge',
    );
  }
  if (maxCount !== void 0 && !isPositiveInteger(maxCount)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `Stream metadata maxCount ${show2(maxCount)} for '${streamId}': expected a positive integer, or nothing.`,
      'maxCount',
    );
  }
  assertSerializable(metadata, `stream metadata of '${streamId}'`, 'metadata');
  const text = JSON.stringify(metadata);
  assertStorableJson(text, metadata, `stream metadata of '${streamId}'`, 'metadata');
  return text;
}
function assertTruncateVersion(streamId, before) {
  if (typeof before !== 'bigint' || before < 0n) {
    invalid(
      'INVALID_VERSION',
      `truncateBefore('${streamId}', before) expects a non-negative bigint version such as 10n, got ${show2(before)}.`,
      'before',
    );
  }
}
function resolveDeleteOptions(streamId, options) {
  const o = options ?? {};
  const mode = o.mode ?? 'soft';
  if (mode !== 'soft' && mode !== 'hard') {
    invalid(
      'INVALID_DELETE_MODE',
      `deleteStream('${streamId}') mode ${show2(mode)}: expected 'soft' (hidden, can be written again) or 'hard' (tombstoned forever).`,
      'mode',
    );
  }
  const expectedVersion = o.expectedVersion ?? 'any';
  assertExpectedVersion(expectedVersion);
  return { mode, expectedVersion };
}
function assertDirection(direction) {
  if (direction !== void 0 && direction !== 'forward' && direction !== 'backward') {
    throw new TidingsError(
      'INVALID_READ_OPTIONS',
      `Invalid read direction ${show2(direction)}: expected 'forward' or 'backward'.`,
    );
  }
}
function assertFrom(from, what) {
  if (from !== void 0 && (typeof from !== 'bigint' || from < 0n)) {
    throw new TidingsError(
      'INVALID_READ_OPTIONS',
      `Invalid read option from=${show2(from)}: expected a non-negative bigint ${what} such as 1n, or nothing.`,
    );
  }
}
function assertReadStreamOptions(options) {
  assertFrom(options?.from, 'version');
  assertDirection(options?.direction);
  assertLimit(options?.limit);
}
function assertReadAllFilter(filter) {
  if (filter === void 0) return;
  for (const key of ['types', 'categories']) {
    const list = filter[key];
    if (list !== void 0 && (!Array.isArray(list) || !list.every((v) => typeof v === 'string'))) {
      throw new TidingsError(
        'INVALID_READ_OPTIONS',
        `Invalid readAll filter ${key}: expected an array of strings, got ${show2(list)}.`,
      );
    }
  }
}
function assertReadAllOptions(options) {
  assertFrom(options?.from, 'position');
  assertDirection(options?.direction);
  assertLimit(options?.limit);
  assertReadAllFilter(options?.filter);
}
function assertReadByTimeOptions(options) {
  const ok = (d) => d instanceof Date && !Number.isNaN(d.getTime());
  if (options === void 0 || !ok(options.from) || !ok(options.to)) {
    throw new TidingsError(
      'INVALID_READ_OPTIONS',
      'readByTime({ from, to }) expects two valid Dates: from inclusive, to exclusive.',
    );
  }
  assertLimit(options.limit);
  assertReadAllFilter(options.filter);
}

// packages/tidings/src/store-kit/batch-coalescer.ts
var BatchCoalescer = class {
  #o;
  #maxEvents;
  #queue = [];
  #running = false;
  #scheduled = false;
  #idle = [];
  constructor(options) {
    this.#o = options;
    this.#maxEvents = options.limits.maxBatchEvents ?? Number.POSITIVE_INFINITY;
  }
  /** Queues one append; settles with its own outcome. */
  append(member) {
    return new Promise((resolve, reject) => {
      this.#push({
        kind: 'append',
        member,
        size: this.#o.size(member),
        deadline: this.#o.deadline?.() ?? Number.POSITIVE_INFINITY,
        solo: false,
        resolve,
        reject,
      });
    });
  }
  /** Runs `run` alone, after every job queued before it; settles with its result. */
  exclusive(what, run) {
    return new Promise((resolve, reject) => {
      this.#push({
        kind: 'exclusive',
        what,
        run,
        deadline: this.#o.deadline?.() ?? Number.POSITIVE_INFINITY,
        resolve,
        reject,
      });
    });
  }
  /** Resolves once every job queued so far has settled. */
  idle() {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
  /** Removes and fails the queued jobs matching `predicate` (for an `enter` that gave up waiting). */
  rejectWhere(predicate, error) {
    const kept = [];
    const failed = [];
    for (const job of this.#queue) (predicate(job) ? failed : kept).push(job);
    this.#queue = kept;
    for (const job of failed) job.reject(error(job));
  }
  #push(job) {
    this.#queue.push(job);
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    (this.#o.schedule ?? queueMicrotask)(() => {
      this.#scheduled = false;
      void this.#pump();
    });
  }
  async #pump() {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0];
        if (this.#o.enter !== void 0) {
          const entered = this.#o.enter(head);
          if (!(entered === true || (entered !== false && (await entered)))) continue;
        }
        if (head.kind === 'exclusive') {
          this.#queue.shift();
          await this.#runExclusive(head);
        } else {
          const batch = this.#take();
          const written = this.#write(batch);
          if (written !== void 0) await written;
        }
      }
    } finally {
      this.#running = false;
      const waiters = this.#idle;
      this.#idle = [];
      for (const resolve of waiters) resolve();
    }
  }
  async #runExclusive(job) {
    try {
      job.resolve(await job.run());
    } catch (error) {
      job.reject(error);
    }
  }
  #take() {
    const { maxBatchAppends, maxBatchBytes } = this.#o.limits;
    const ids = this.#o.ids === void 0 ? void 0 : /* @__PURE__ */ new Set();
    const batch = [];
    let events = 0;
    let bytes = 0;
    let n2 = 0;
    for (; n2 < this.#queue.length && batch.length < maxBatchAppends; n2++) {
      const job = this.#queue[n2];
      if (job.kind !== 'append') break;
      if (batch.length > 0) {
        if (job.solo || events + job.size.events > this.#maxEvents || bytes + job.size.bytes > maxBatchBytes) break;
        if (ids !== void 0 && repeats(ids, this.#o.ids(job.member))) break;
      }
      batch.push(job);
      if (ids !== void 0) for (const id of this.#o.ids(job.member)) ids.add(id);
      events += job.size.events;
      bytes += job.size.bytes;
      if (job.solo) {
        n2++;
        break;
      }
    }
    this.#queue = n2 === this.#queue.length ? [] : this.#queue.slice(n2);
    return batch;
  }
  /** Writes a batch and settles its members; returns a promise only when the write is asynchronous. */
  #write(batch) {
    let written;
    try {
      written = this.#o.write(batch.map((j) => j.member));
    } catch (error) {
      this.#failed(batch, error);
      return void 0;
    }
    if (!(written instanceof Promise)) {
      this.#settle(batch, written);
      return void 0;
    }
    return written.then(
      (outcomes) => this.#settle(batch, outcomes),
      (error) => this.#failed(batch, error),
    );
  }
  #failed(batch, error) {
    if (batch.length > 1 && (this.#o.retryable?.(error) ?? true)) {
      for (const job of batch) job.solo = true;
      this.#queue.unshift(...batch);
      return;
    }
    for (const job of batch) job.reject(this.#o.toError === void 0 ? error : this.#o.toError(error, job.member));
  }
  #settle(batch, outcomes) {
    if (outcomes.length !== batch.length) {
      const error = new TidingsError(
        'STORE_PROTOCOL',
        `The store's batch write returned ${outcomes.length} outcomes for ${batch.length} appends; its outcome is unknown.`,
      );
      for (const job of batch) job.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i];
      const outcome = outcomes[i];
      if (outcome.ok) job.resolve(outcome.result);
      else job.reject(outcome.error);
    }
    if (this.#o.committed !== void 0) {
      this.#o.committed(
        batch.map((j) => j.member),
        outcomes,
      );
    }
  }
};
function repeats(seen, ids) {
  for (const id of ids) if (seen.has(id)) return true;
  return false;
}

// packages/postgres/src/sql/batch-append.ts
function batchAppendSql(s, shape) {
  return shape === 'lean' ? leanSql(s) : fullSql(s);
}
var passes = (v, del, kind, expected) => `case ${kind} when 0 then true
             when 1 then ${v} = 0 or ${del} is not distinct from 'soft'
             when 2 then ${v} > 0 and ${del} is distinct from 'soft'
             else ${v} = ${expected} end`;
var writes = (s) => `h as (
  update ${s}.head set position = position + (select sum(w.cnt) from w), recorded_at = greatest(recorded_at, $17::timestamptz)
   where id and exists (select 1 from w)
   returning position - (select sum(w.cnt) from w) as base, recorded_at as ts
), ins as (
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                           correlation_id, causation_id, schema_version, recorded_at)
  select h.base + w.rel + (e.ord - w.off), e.id, w.stream, w.v + (e.ord - w.off), w.category, w.hash,
         e.type, e.data, e.meta, e.corr, e.caus, e.sv, h.ts
    from h, unnest($9::uuid[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::integer[])
           with ordinality as e(id, type, data, meta, corr, caus, sv, app, ord)
    join w on w.i = e.app
)`;
var APPENDS = `a as (
  select * from unnest($1::text[], $2::smallint[], $3::bigint[], $4::integer[], $5::integer[], $6::text[], $7::integer[], $8::integer[])
    with ordinality as a(stream, kind, expected, cnt, j, category, hash, off, i)
)`;
var locked = (s) => `s as (
  select t.stream_id, t.version, t.deleted from ${s}.streams t
   where t.stream_id = any($1::text[]) order by t.stream_id for update
)`;
function leanSql(s) {
  return `with ${APPENDS}, ${locked(s)}, c as (
  select a.i, a.stream, a.cnt, a.off, a.category, a.hash, s.stream_id is not null as existing,
         coalesce(s.version, 0) as v,
         case when s.deleted is not distinct from 'hard' then 4
              when ${passes('coalesce(s.version, 0)', 's.deleted', 'a.kind', 'a.expected')} then 1 else 5 end as status
    from a left join s on s.stream_id = a.stream
), w as (
  select c.*, sum(c.cnt) over (order by c.i) - c.cnt as rel from c where c.status = 1 and c.cnt > 0
), ${writes(s)}, upd as (
  update ${s}.streams t set version = w.v + w.cnt, last_position = h.base + w.rel + w.cnt, deleted = null
    from h, w where w.existing and t.stream_id = w.stream
), created as (
  insert into ${s}.streams (stream_id, version, last_position)
  select w.stream, w.v + w.cnt, h.base + w.rel + w.cnt from h, w where not w.existing order by w.stream
)
select c.status, case when c.status = 1 then c.v + c.cnt when c.status = 5 then c.v end as version,
       case when c.status = 1 and c.cnt > 0 then (select h.base from h) + w.rel + c.cnt end as position,
       null::text as detail
  from c left join w on w.i = c.i order by c.i`;
}
function fullSql(s) {
  const status = (v, del) => `case when ${del} is not distinct from 'hard' then 4
      when m.stored then 3
      when ${passes(v, del, 'm.kind', 'm.expected')} then 1
      else 5 end`;
  return `with recursive ${APPENDS}, ${locked(s)}, x as (
  select x.event_id, x.stream_id, x.version, x.position from ${s}.events x where x.event_id = any($18::uuid[])
), xa as (
  select distinct u.app from x join unnest($9::uuid[], $16::integer[]) as u(id, app) on u.id = x.event_id
), m as (
  select a.*, exists (select 1 from xa where xa.app = a.i) as stored from a
), chain as (
  -- Each stream's appends in batch order (j), each checked against the state the earlier ones
  -- left: one step per append to the same stream, usually just the first.
  select m.i, m.stream, m.j, m.cnt, coalesce(s.version, 0) as v, s.deleted as del,
         ${status('coalesce(s.version, 0)', 's.deleted')} as status, s.stream_id is not null as existing
    from m left join s on s.stream_id = m.stream where m.j = 1
  union all
  select m.i, m.stream, m.j, m.cnt, n.v, n.del, ${status('n.v', 'n.del')}, c.existing
    from chain c
    join m on m.stream = c.stream and m.j = c.j + 1
    cross join lateral (select c.v + case when c.status = 1 then c.cnt else 0 end as v,
                               case when c.status = 1 and c.cnt > 0 then null else c.del end as del) n
), w as (
  select c.i, c.stream, c.cnt, c.v, c.existing, a.off, a.category, a.hash,
         sum(c.cnt) over (order by c.i) - c.cnt as rel
    from chain c join a on a.i = c.i where c.status = 1 and c.cnt > 0
), ${writes(s)}, f as (
  select w.stream, bool_or(w.existing) as existing, max(w.v + w.cnt) as version, max(w.rel + w.cnt) as last_rel
    from w group by w.stream
), upd as (
  update ${s}.streams t set version = f.version, last_position = h.base + f.last_rel, deleted = null
    from h, f where f.existing and t.stream_id = f.stream
), created as (
  insert into ${s}.streams (stream_id, version, last_position)
  select f.stream, f.version, h.base + f.last_rel from h, f where not f.existing order by f.stream
), blank as (
  -- Rows made by lockStreamsSql (in a caller's transaction) for streams this batch wrote nothing
  -- to: removed, so a failed append to a new stream leaves nothing.
  delete from ${s}.streams t using s
   where t.stream_id = s.stream_id and s.version = 0 and s.deleted is null
     and not exists (select 1 from f where f.stream = s.stream_id)
     and t.metadata = '{}' and t.truncated_before = 0 and t.max_count is null and t.max_age_ms is null
), r as (
  select c.i, c.status, c.v, c.cnt, w.rel,
         max(w.rel + w.cnt) over (partition by c.stream order by c.i rows between unbounded preceding and 1 preceding)
           as prior_rel
    from chain c left join w on w.i = c.i
)
select r.status,
       case when r.status = 1 then r.v + r.cnt when r.status = 5 then r.v end as version,
       case when r.status <> 1 then null
            when r.cnt > 0 then (select h.base from h) + r.rel + r.cnt
            else (select h.base from h) + r.prior_rel end as position,
       case when r.status = 3 then
         (select json_agg(json_build_array(x.event_id, x.stream_id, x.version::text, x.position::text))
            from x, unnest($9::uuid[], $16::integer[]) as u(id, app) where u.app = r.i and x.event_id = u.id)::text
       end as detail
  from r order by r.i`;
}
function lockStreamsSql(s) {
  return `insert into ${s}.streams as t (stream_id)
  select distinct u.stream from unnest($1::text[]) as u(stream) order by 1
  on conflict (stream_id) do update set stream_id = t.stream_id`;
}
function lastPositionSql(s) {
  return `select coalesce((select e.position from ${s}.events e where e.stream_id = $1 and e.version = $2),
                  (select t.last_position from ${s}.streams t where t.stream_id = $1), 0)::text as position`;
}

// packages/postgres/src/sql/lone-append.ts
function loneAppendSql(s, shape) {
  const n2 = shape.single ? '1' : 'cardinality($7::uuid[])';
  const source = shape.single
    ? `(select 1 as u_k, $7::uuid as u_id, $8::text as u_type, $9::text as u_data, $10::text as u_meta,
             $11::text as u_corr, $12::text as u_caus, $13::integer as u_sv) e`
    : `unnest($7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::integer[])
         with ordinality as e(u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv, u_k)`;
  const lookup = !shape.lookup
    ? ''
    : `and not exists (select 1 from ${s}.events x where x.event_id ${shape.single ? '= $7::uuid' : '= any($7::uuid[])'})`;
  return `with st as (
  update ${s}.streams t set version = t.version + ${n2}, deleted = null
   where t.stream_id = $1 and t.deleted is distinct from 'hard'
     and case $2::smallint when 0 then true when 2 then t.version > 0 and t.deleted is distinct from 'soft'
           else t.version = $3::bigint end
     ${lookup}
   returning t.version - ${n2} as v0
), h as (
  update ${s}.head set position = position + ${n2}, recorded_at = greatest(recorded_at, $6::timestamptz)
   where id and exists (select 1 from st)
   returning position - ${n2} as h_base, recorded_at as h_ts
), ins as (
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                           correlation_id, causation_id, schema_version, recorded_at)
  select h.h_base + e.u_k, e.u_id, $1, st.v0 + e.u_k, $4, $5::integer, e.u_type, e.u_data, e.u_meta,
         e.u_corr, e.u_caus, e.u_sv, h.h_ts
    from h, st, ${source}
)
select (st.v0 + ${n2})::text as version, (h.h_base + ${n2})::text as position from h, st`;
}

// packages/postgres/src/sql/identifiers.ts
import { createHash } from 'node:crypto';
var SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
function assertSchemaName(schema2) {
  if (typeof schema2 !== 'string' || !SCHEMA_RE.test(schema2) || schema2.startsWith('pg_')) {
    throw new ValidationError(
      `Invalid PostgreSQL schema name ${JSON.stringify(schema2)}: expected 1 to 63 characters of a-z, 0-9 and '_', not starting with a digit or 'pg_', such as 'tidings' or 'tenant_42'.`,
      [{ path: ['schema'], message: 'invalid schema name' }],
      { code: 'INVALID_SCHEMA_NAME' },
    );
  }
}
function quoteIdent(name) {
  return `"${name.replace(/"/g, '""')}"`;
}
function statementName(kind, schema2) {
  const name = `tidings_${kind}_${schema2}`;
  return name.length <= 63 ? name : `tidings_${kind}_${createHash('sha1').update(schema2).digest('hex').slice(0, 24)}`;
}

// packages/postgres/src/stream-hash.ts
import { createHash as createHash2 } from 'node:crypto';
function streamHash(streamId) {
  return createHash2('md5').update(streamId, 'utf8').digest().readInt32BE(0);
}

// packages/postgres/src/append-batch.ts
var KINDS = { any: 0, 'no-stream': 1, exists: 2 };
var COLLISION_RETRIES = 3;
async function runAppendBatch(client, schema2, appends, now, mode = {}) {
  const autocommit = mode.autocommit === true;
  const guarded = mode.guarded === true;
  const lone = appends.length === 1 ? appends[0] : void 0;
  let lookupAll = false;
  if (autocommit && guarded && lone !== void 0 && loneEligible(lone)) {
    try {
      const written = await runLoneAppend(client, schema2, lone, now);
      if (written !== void 0) return [written];
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      lookupAll = true;
    }
  }
  if (!autocommit) {
    await client.query({
      ...(guarded ? { name: statementName('lock', schema2) } : {}),
      text: lockStreamsSql(`"${schema2}"`),
      values: [appends.map((a) => a.streamId)],
    });
    return runBatchStatement(client, schema2, guarded, appends, now, false, true);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await runBatchStatement(client, schema2, guarded, appends, now, lookupAll, false);
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= COLLISION_RETRIES) throw error;
      lookupAll = true;
    }
  }
}
var isUniqueViolation = (error) => error.code === '23505';
function loneEligible(a) {
  const e = a.expectedVersion;
  return a.events.length > 0 && e !== 'no-stream' && e !== 0n;
}
var statements = /* @__PURE__ */ new Map();
function cached(key, schema2, build) {
  const k = `${key} ${schema2}`;
  let statement = statements.get(k);
  if (statement === void 0) {
    statement = build();
    statements.set(k, statement);
  }
  return statement;
}
function batchStatement(schema2, shape, guarded) {
  return cached(`batch_${shape}${guarded ? '' : '_unnamed'}`, schema2, () => {
    const text = batchAppendSql(`"${schema2}"`, shape);
    return guarded ? { name: statementName(`batch_${shape}`, schema2), text } : { text };
  });
}
function loneStatement(schema2, single, lookup) {
  const key = `lone_${single ? 'one' : 'many'}${lookup ? '_ids' : ''}`;
  return cached(key, schema2, () => ({
    name: statementName(key, schema2),
    text: loneAppendSql(`"${schema2}"`, { single, lookup }),
  }));
}
async function runLoneAppend(client, schema2, a, now) {
  const single = a.events.length === 1;
  const lookup = a.generatedIds !== true;
  const e = a.expectedVersion;
  const kind = typeof e === 'bigint' ? 3 : KINDS[e];
  const value = typeof e === 'bigint' ? e.toString() : null;
  let values;
  if (single) {
    const ev2 = a.events[0];
    values = [
      a.streamId,
      kind,
      value,
      categoryOf(a.streamId),
      streamHash(a.streamId),
      now,
      ev2.id,
      ev2.type,
      ev2.data,
      ev2.metadata,
      ev2.correlationId ?? null,
      ev2.causationId ?? null,
      ev2.schemaVersion,
    ];
  } else {
    const n2 = a.events.length;
    const ids = new Array(n2);
    const types = new Array(n2);
    const data = new Array(n2);
    const meta = new Array(n2);
    const corr = new Array(n2);
    const caus = new Array(n2);
    const sv = new Array(n2);
    for (let k = 0; k < n2; k++) {
      const ev2 = a.events[k];
      ids[k] = ev2.id;
      types[k] = ev2.type;
      data[k] = ev2.data;
      meta[k] = ev2.metadata;
      corr[k] = ev2.correlationId ?? null;
      caus[k] = ev2.causationId ?? null;
      sv[k] = ev2.schemaVersion;
    }
    values = [
      a.streamId,
      kind,
      value,
      categoryOf(a.streamId),
      streamHash(a.streamId),
      now,
      ids,
      types,
      data,
      meta,
      corr,
      caus,
      sv,
    ];
  }
  const result = await client.query({ ...loneStatement(schema2, single, lookup), values });
  const row = result.rows[0];
  if (row === void 0) return void 0;
  return { ok: true, result: { nextVersion: BigInt(row.version), position: BigInt(row.position) } };
}
async function runBatchStatement(client, schema2, guarded, appends, now, lookupAll, inTransaction) {
  const n2 = appends.length;
  const streams = new Array(n2);
  const kinds = new Array(n2);
  const expected = new Array(n2);
  const counts = new Array(n2);
  const ranks = new Array(n2);
  const categories = new Array(n2);
  const hashes = new Array(n2);
  const offs = new Array(n2);
  const ids = [];
  const types = [];
  const data = [];
  const meta = [];
  const corr = [];
  const caus = [];
  const schemaVersions = [];
  const apps = [];
  const lookup = [];
  let seen;
  let repeated = false;
  let off = 0;
  for (let i = 0; i < n2; i++) {
    const a = appends[i];
    const e = a.expectedVersion;
    const cnt = a.events.length;
    streams[i] = a.streamId;
    kinds[i] = typeof e === 'bigint' ? 3 : KINDS[e];
    expected[i] = typeof e === 'bigint' ? e.toString() : null;
    counts[i] = cnt;
    if (n2 > 1) {
      seen ??= /* @__PURE__ */ new Map();
      const rank = (seen.get(a.streamId) ?? 0) + 1;
      if (rank > 1) repeated = true;
      ranks[i] = rank;
      seen.set(a.streamId, rank);
    } else {
      ranks[i] = 1;
    }
    categories[i] = categoryOf(a.streamId);
    hashes[i] = streamHash(a.streamId);
    offs[i] = off;
    off += cnt;
    const look = lookupAll || a.generatedIds !== true;
    for (const ev2 of a.events) {
      ids.push(ev2.id);
      types.push(ev2.type);
      data.push(ev2.data);
      meta.push(ev2.metadata);
      corr.push(ev2.correlationId ?? null);
      caus.push(ev2.causationId ?? null);
      schemaVersions.push(ev2.schemaVersion);
      apps.push(i + 1);
      if (look) lookup.push(ev2.id);
    }
  }
  const lean = !inTransaction && !repeated && lookup.length === 0;
  const values = [
    streams,
    kinds,
    expected,
    counts,
    ranks,
    categories,
    hashes,
    offs,
    ids,
    types,
    data,
    meta,
    corr,
    caus,
    schemaVersions,
    apps,
    now,
  ];
  if (!lean) values.push(lookup);
  const result = await client.query({ ...batchStatement(schema2, lean ? 'lean' : 'full', guarded), values });
  const rows = result.rows;
  if (rows.length !== n2) {
    throw new TidingsError(
      'STORE_PROTOCOL',
      `The batch statement returned ${rows.length} rows for ${n2} appends; the schema does not match this code.`,
    );
  }
  const outcomes = new Array(n2);
  for (let i = 0; i < n2; i++) {
    const row = rows[i];
    if (row.status === 1 && row.position === null) row.position = await lastPosition(client, schema2, appends[i], row);
    outcomes[i] = toOutcome(row, appends[i]);
  }
  return outcomes;
}
async function lastPosition(client, schema2, append, row) {
  const r = await client.query({
    text: lastPositionSql(`"${schema2}"`),
    values: [append.streamId, row.version],
  });
  return r.rows[0].position;
}
function toOutcome(row, append) {
  switch (row.status) {
    case 1:
      return { ok: true, result: { nextVersion: BigInt(row.version), position: BigInt(row.position) } };
    case 3:
      return resolveStoredIds(row.detail ?? '[]', append);
    case 4:
      return { ok: false, error: new StreamDeletedError(append.streamId) };
    case 5:
      return { ok: false, error: new ConcurrencyError(append.streamId, append.expectedVersion, BigInt(row.version)) };
    default:
      return {
        ok: false,
        error: new TidingsError('STORE_PROTOCOL', `The batch statement returned unknown status ${row.status}.`),
      };
  }
}
function resolveStoredIds(detail, append) {
  const found = JSON.parse(detail).map(([id, streamId, version, position]) => ({
    id,
    streamId,
    version: BigInt(version),
    position: BigInt(position),
  }));
  try {
    const original = resolveIdempotentAppend(
      append.streamId,
      append.expectedVersion,
      append.events.map((e) => e.id),
      found,
    );
    if (original !== void 0) return { ok: true, result: original };
    return {
      ok: false,
      error: new TidingsError('STORE_PROTOCOL', 'The batch statement reported stored ids but listed none.'),
    };
  } catch (error) {
    return { ok: false, error };
  }
}
async function appendInTransaction(client, schema2, append, now) {
  const [outcome] = await runAppendBatch(client, schema2, [append], now);
  if (outcome?.ok === true) return outcome.result;
  if (outcome?.ok === false) throw outcome.error;
  throw new TidingsError('STORE_PROTOCOL', 'The batch statement left a lone append undecided.');
}

// packages/postgres/src/connection.ts
import pg from 'pg';
function redactConnectionString(connectionString) {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return connectionString.replace(/password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/gi, 'password=***');
  }
}
function describePool(pool) {
  const o = pool.options;
  if (typeof o.connectionString === 'string') return redactConnectionString(o.connectionString);
  const user = o.user ?? process.env['PGUSER'] ?? '';
  const host = o.host ?? process.env['PGHOST'] ?? 'localhost';
  const port = o.port ?? process.env['PGPORT'] ?? 5432;
  const db = o.database ?? process.env['PGDATABASE'] ?? user;
  return `postgres://${user === '' ? '' : `${user}@`}${host}:${port}/${db}`;
}
function createPool(connectionString, max) {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}
var configured = /* @__PURE__ */ new WeakSet();
async function checkout(pool, settings, target) {
  let client;
  try {
    client = await pool.connect();
  } catch (error) {
    throw unreachable(target, error);
  }
  if (!configured.has(client)) {
    client.on('error', () => {});
    try {
      await client.query(
        `set lock_timeout = ${settings.lockTimeoutMs}; set idle_in_transaction_session_timeout = ${settings.idleInTransactionTimeoutMs}; set statement_timeout = ${settings.statementTimeoutMs}; set synchronous_commit = ${settings.synchronousCommit}` +
          (settings.planGuard === true ? '; set enable_seqscan = off; set jit = off' : ''),
      );
    } catch (error) {
      client.release(true);
      throw unreachable(target, error);
    }
    configured.add(client);
  }
  return client;
}
function unreachable(target, error) {
  const detail = error instanceof Error ? error.message : String(error);
  return new TidingsError(
    'STORE_UNREACHABLE',
    `Cannot use PostgreSQL at ${target}: ${detail}. Check that the server is running, the address and credentials are right (TIDINGS_PG_URL), and the database exists.`,
    { cause: error },
  );
}
var CONNECTION_CODES = /* @__PURE__ */ new Set([
  '57P01',
  '57P02',
  '57P03',
  '25P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
function isConnectionError(error) {
  if (typeof error !== 'object' || error === null) return false;
  const e = error;
  if (typeof e.code === 'string') {
    if (CONNECTION_CODES.has(e.code)) return true;
    if (/^E[A-Z]+$/.test(e.code)) return true;
  }
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|not queryable|Client was closed|connection error/i.test(message);
}
function neverSent(error) {
  return error instanceof Error && /not queryable/.test(error.message);
}
function mapPgError(error, what, settings) {
  if (typeof error !== 'object' || error === null) return error;
  const code = error.code;
  if (code === '55P03') return new StoreBusyError(what, settings.lockTimeoutMs, error);
  if (code === '57014') {
    return new TimeoutError(
      `${what} exceeded statement_timeout (${settings.statementTimeoutMs} ms) and was cancelled; nothing it was writing was stored. Raise statementTimeoutMs or make the work smaller.`,
      settings.statementTimeoutMs,
      { cause: error },
    );
  }
  if (code === '40P01') {
    return new TidingsError(
      'DEADLOCK',
      `${what} was chosen as a deadlock victim and rolled back; nothing was stored. Retry it.`,
      { cause: error },
    );
  }
  if (code === '42P01' || code === '42883') {
    return new TidingsError(
      'STORE_NOT_MIGRATED',
      `${what} failed: the store's tables or functions are missing (${error.message}). Run store.migrate() first, or create the store with { migrate: true }.`,
      { cause: error },
    );
  }
  return error;
}

// packages/postgres/src/group-commit.ts
function createGroupCommit(deps, limits) {
  return new BatchCoalescer({
    limits,
    size: (a) => ({ events: a.events.length, bytes: a.bytes }),
    ids: (a) => a.events.map((e) => e.id),
    write: deps.write,
    retryable: deps.retryable,
    toError: deps.toError,
    committed: (batch, outcomes) => {
      let top = -1n;
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i];
        if (outcome.ok === true && batch[i].events.length > 0 && outcome.result.position > top) {
          top = outcome.result.position;
        }
      }
      if (top >= 0n) deps.committed(top);
    },
  });
}

// packages/postgres/src/head-signal.ts
var HeadSignal = class {
  #listeners = /* @__PURE__ */ new Set();
  #readHead;
  #pollMs;
  #onError;
  #last = -1n;
  #timer;
  #stopped = false;
  constructor(readHead, pollMs, onError) {
    this.#readHead = readHead;
    this.#pollMs = pollMs;
    this.#onError = onError;
  }
  /** A local commit reached `position`. */
  moved(position) {
    if (position <= this.#last) return;
    this.#last = position;
    if (this.#listeners.size === 0) return;
    queueMicrotask(() => this.#notify(position));
  }
  subscribe(listener) {
    this.#listeners.add(listener);
    if (this.#last < 0n) {
      this.#readHead().then(
        (head) => {
          if (this.#last < 0n) this.#last = head;
        },
        () => {},
      );
    }
    this.#schedule();
    const dispose = () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer !== void 0) {
        clearTimeout(this.#timer);
        this.#timer = void 0;
      }
    };
    return { [Symbol.dispose]: dispose };
  }
  stop() {
    this.#stopped = true;
    if (this.#timer !== void 0) clearTimeout(this.#timer);
    this.#timer = void 0;
    this.#listeners.clear();
  }
  #notify(position) {
    for (const listener of [...this.#listeners]) {
      try {
        listener(position);
      } catch (error) {
        this.#onError(error, 'onHeadMoved listener');
      }
    }
  }
  #schedule() {
    if (this.#timer !== void 0 || this.#stopped || this.#listeners.size === 0) return;
    this.#timer = setTimeout(() => void this.#poll(), this.#pollMs);
    this.#timer.unref();
  }
  async #poll() {
    try {
      const head = await this.#readHead();
      if (!this.#stopped) this.moved(head);
    } catch (error) {
      if (!this.#stopped) this.#onError(error, 'head poll');
    } finally {
      this.#timer = void 0;
      this.#schedule();
    }
  }
};

// packages/postgres/src/sql/append-function-v2.ts
function appendFunctionV2Sql(s) {
  return `
create or replace function ${s}.append_batch(
  p_stream text[], p_kind smallint[], p_expected bigint[], p_count integer[],
  p_category text[], p_hash integer[], p_app integer[], p_k integer[],
  p_id uuid[], p_type text[], p_data text[], p_meta text[], p_corr text[], p_caus text[], p_schema integer[],
  p_now timestamptz, p_fast boolean
) returns table (r_status smallint, r_version bigint, r_position bigint, r_detail text)
language plpgsql
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
-- Disabling sequential scans inflates costs; never let that trigger JIT compilation (tens of ms).
set jit = off
as $fn$
begin
  if coalesce(array_length(p_stream, 1), 0) = 0 then return; end if;
  -- Fast path for the most common call, one append with events to an existing stream (outside a
  -- caller's transaction): everything in one statement. It writes only when the stream row is
  -- there, its check passes and none of the ids is stored; otherwise it writes nothing and the
  -- general path below answers. Its snapshot predates any wait for the stream lock, so an id
  -- committed meanwhile by the writer it waited for is not seen here: the insert then fails
  -- with unique_violation and the client calls again without the fast path (autocommit: the
  -- failed call left nothing). That is why a caller's transaction never uses it.
  if p_fast and array_length(p_stream, 1) = 1 and p_count[1] > 0 and p_kind[1] <> 1 and not (p_kind[1] = 3 and p_expected[1] = 0) then
    return query
      with s as (
        select t.version, t.deleted from ${s}.streams t where t.stream_id = p_stream[1] for update
      ), ok as (
        select s.version as v0 from s
          where s.deleted is distinct from 'hard'
            and case p_kind[1] when 0 then true when 2 then s.version > 0 and s.deleted is distinct from 'soft'
                  else s.version = p_expected[1] end
            and not exists (select 1 from ${s}.events x where x.event_id = any(p_id))
      ), h as (
        update ${s}.head set position = position + p_count[1], recorded_at = greatest(recorded_at, p_now)
          where id and exists (select 1 from ok)
          returning position - p_count[1] as h_base, recorded_at as h_ts
      ), ins as (
        insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                                 correlation_id, causation_id, schema_version, recorded_at)
          select h.h_base + e.u_k, e.u_id, p_stream[1], ok.v0 + e.u_k, p_category[1], p_hash[1],
                 e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, h.h_ts
            from h, ok, unnest(p_k, p_id, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
                 as e(u_k, u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
      ), upd as (
        update ${s}.streams t set version = ok.v0 + p_count[1], last_position = h.h_base + p_count[1], deleted = null
          from h, ok where t.stream_id = p_stream[1]
      )
      select 1::smallint, ok.v0 + p_count[1], h.h_base + p_count[1], null::text from h, ok;
    if found then return; end if;
  end if;

  -- The general path. Its variables live in this inner block so the fast path above does not
  -- pay for initialising them.
  declare
    n integer := coalesce(array_length(p_stream, 1), 0);
    s_id text[]; s_ver bigint[]; s_last bigint[]; s_del text[]; s_rel bigint[];
    x_id uuid[]; x_stream text[]; x_ver bigint[]; x_pos bigint[];
    st smallint[] := array_fill(0::smallint, array[n]);
    rv bigint[] := array_fill(0::bigint, array[n]);
    rp bigint[] := array_fill(0::bigint, array[n]);
    rd text[] := array_fill(null::text, array[n]);
    -- Per append, null-free so that subscripting them per event is O(1): the relative position
    -- before its first event (-1 when it writes nothing) and its version before its first event.
    a_rel bigint[] := array_fill(-1::bigint, array[n]);
    a_ver bigint[] := array_fill(0::bigint, array[n]);
    total bigint := 0; off integer := 0;
    i integer; j integer; k integer; m integer; cnt integer; cur bigint; del text;
    refs jsonb; pass boolean; found_all boolean; tried boolean := false;
  begin
    loop
      -- Missing streams get a version-0 row so that every writer, in every process, locks a row.
      -- Inserted before locking anything (in sorted order), so two batches creating overlapping
      -- streams cannot deadlock. A lone append locks only its one row, so it may lock first and
      -- insert only when the stream is new, saving a statement in the common case.
      if n > 1 or tried then
        insert into ${s}.streams (stream_id)
          select distinct u.u_s from unnest(p_stream) as u(u_s) order by 1
          on conflict (stream_id) do nothing;
      end if;
      tried := true;
      select array_agg(t.stream_id), array_agg(t.version), array_agg(t.last_position), array_agg(t.deleted)
        into s_id, s_ver, s_last, s_del
        from (select stream_id, version, last_position, deleted from ${s}.streams
              where stream_id = any(p_stream) order by stream_id for update) t;
      -- A stream may be new, or its blank row may vanish between the insert and the lock (another
      -- writer's clean-up below, after its append failed): then insert and lock again.
      found_all := s_id is not null;
      if found_all and n > 1 then
        for i in 1..n loop
          if array_position(s_id, p_stream[i]) is null then found_all := false; exit; end if;
        end loop;
      end if;
      exit when found_all;
    end loop;
    s_rel := array_fill(null::bigint, array[array_length(s_id, 1)]);

    select array_agg(e.event_id), array_agg(e.stream_id), array_agg(e.version), array_agg(e.position)
      into x_id, x_stream, x_ver, x_pos
      from ${s}.events e where e.event_id = any(p_id);

    for i in 1..n loop
      k := case when n = 1 then 1 else array_position(s_id, p_stream[i]) end;
      cur := s_ver[k]; del := s_del[k];
      cnt := p_count[i];
      if x_id is not null and cnt > 0 and del is distinct from 'hard' then
        -- Some ids are already stored: not written here. The caller decides between the original
        -- result and DuplicateEventError with the rule every store shares (resolveIdempotentAppend).
        refs := '[]';
        for j in 1..cnt loop
          m := array_position(x_id, p_id[off + j]);
          if m is not null then
            refs := refs || jsonb_build_array(jsonb_build_object('id', x_id[m], 'streamId', x_stream[m],
                                                                 'version', x_ver[m]::text, 'position', x_pos[m]::text));
          end if;
        end loop;
        if jsonb_array_length(refs) > 0 then st[i] := 3; rd[i] := refs::text; end if;
      end if;
      if st[i] = 0 then
        -- A soft-deleted stream counts as absent for 'no-stream' and 'exists' (versions continue).
        pass := case p_kind[i] when 0 then true when 1 then cur = 0 or del is not distinct from 'soft'
                  when 2 then cur > 0 and del is distinct from 'soft' else cur = p_expected[i] end;
        if del is not distinct from 'hard' then
          st[i] := 4;
        elsif not pass then
          st[i] := 5; rv[i] := cur;
        elsif cnt = 0 then
          st[i] := 1; rv[i] := cur; rp[i] := s_last[k];
        else
          -- Running versions: a later append to the same stream in this batch starts after this one.
          st[i] := 1; rv[i] := cur + cnt;
          a_rel[i] := total; a_ver[i] := cur;
          total := total + cnt;
          rp[i] := total;
          s_ver[k] := cur + cnt; s_rel[k] := total; s_del[k] := null;
        end if;
      end if;
      off := off + cnt;
    end loop;

    -- Rows created above only to be locked, for streams this batch writes nothing to (still at
    -- version 0 after it), are removed again. Done before the write below, which is why the
    -- streams are picked by their new version, not by the row's.
    if 0 = any(s_ver) then
      delete from ${s}.streams t
        where t.stream_id = any(array(select u.u_id from unnest(s_id, s_ver) as u(u_id, u_v) where u.u_v = 0))
          and t.version = 0 and t.deleted is null
          and t.metadata = '{}' and t.truncated_before = 0;
    end if;

    if total = 0 then
      return query
        select st[g.gi], rv[g.gi], rp[g.gi], rd[g.gi] from generate_series(1, n) as g(gi) order by g.gi;
      return;
    end if;
    -- One statement for the head, the events, the stream rows and the answer (each statement has a
    -- fixed cost that is most of a small append's). The ordering section starts at the head update
    -- and ends at COMMIT. The stream rows are already locked by this transaction, so this
    -- statement's snapshot, taken before it may wait for the head, sees them as they are.
    return query
      with h as (
        update ${s}.head set position = position + total, recorded_at = greatest(recorded_at, p_now)
          where id returning position - total as h_base, recorded_at as h_ts
      ), ins as (
        insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata,
                                 correlation_id, causation_id, schema_version, recorded_at)
          select h.h_base + a_rel[e.u_app] + e.u_k, e.u_id, p_stream[e.u_app], a_ver[e.u_app] + e.u_k,
                 p_category[e.u_app], p_hash[e.u_app], e.u_type, e.u_data, e.u_meta, e.u_corr, e.u_caus, e.u_sv, h.h_ts
            from h, unnest(p_app, p_k, p_id, p_type, p_data, p_meta, p_corr, p_caus, p_schema)
                 as e(u_app, u_k, u_id, u_type, u_data, u_meta, u_corr, u_caus, u_sv)
            where a_rel[e.u_app] >= 0
      ), upd as (
        update ${s}.streams t set version = u.u_v, last_position = h.h_base + u.u_r, deleted = null
          from h, unnest(s_id, s_ver, s_rel) as u(u_id, u_v, u_r)
          where u.u_r is not null and t.stream_id = u.u_id
      )
      select st[g.gi], rv[g.gi], case when a_rel[g.gi] >= 0 then h.h_base + rp[g.gi] else rp[g.gi] end, rd[g.gi]
        from h, generate_series(1, n) as g(gi) order by g.gi;
  end;
end
$fn$;
`;
}

// packages/postgres/src/sql/migrations.ts
var STORE_KIND = 'tidings-event-store';
var MIGRATIONS = [
  {
    version: 1,
    description: 'head row, streams, events (append_batch() is created by migration 2)',
    sql: (s) => `
create table ${s}.head (
  id boolean primary key default true check (id),
  position bigint not null,
  recorded_at timestamptz not null
);
insert into ${s}.head (position, recorded_at) values (0, '-infinity');

create table ${s}.streams (
  stream_id text primary key,
  version bigint not null default 0,
  last_position bigint not null default 0,
  truncated_before bigint not null default 0,
  deleted text check (deleted in ('soft', 'hard')),
  metadata text not null default '{}',
  max_count bigint,
  max_age_ms bigint
);
create index streams_retention on ${s}.streams (stream_id) where max_count is not null or max_age_ms is not null;

-- data and metadata are JSON text, not jsonb: byte-exact round trips (key order, duplicate keys,
-- big numbers, "\\u0000" escapes that jsonb rejects) and no parse cost on the write path.
create table ${s}.events (
  position bigint primary key,
  event_id uuid not null unique,
  stream_id text not null,
  version bigint not null,
  category text not null generated always as (split_part(stream_id, '-', 1)) stored,
  stream_hash integer not null generated always as (('x' || substr(md5(stream_id), 1, 8))::bit(32)::integer) stored,
  type text not null,
  data text not null,
  metadata text not null,
  correlation_id text,
  causation_id text,
  schema_version integer not null,
  recorded_at timestamptz not null,
  unique (stream_id, version)
);
create index events_type on ${s}.events (type, position);
create index events_category on ${s}.events (category, position);
create index events_recorded_at on ${s}.events (recorded_at, position);
create index events_correlation on ${s}.events (correlation_id) where correlation_id is not null;
create index events_causation on ${s}.events (causation_id) where causation_id is not null;`,
  },
  {
    version: 2,
    description: 'category and stream_hash filled by the client; append_batch() planned once, with a fast path',
    // Decision 0303. DROP EXPRESSION keeps the values already stored and rewrites nothing. The
    // function's signature changed, so the old one is dropped rather than replaced.
    sql: (s) => `
alter table ${s}.events alter column category drop expression, alter column stream_hash drop expression;
drop function if exists ${s}.append_batch(text[], smallint[], bigint[], integer[], uuid[], text[], text[], text[],
  text[], text[], integer[], timestamptz);
${appendFunctionV2Sql(s)}`,
  },
  {
    version: 3,
    description: 'appends are plain statements (append_batch() dropped); the schema records its write mode',
    // Decisions 0310 and 0311. Nothing stored changes: events keep their positions, streams their
    // versions. streams.last_position is no longer kept current by every append; the position an
    // empty append reports is derived from the stream's last event (it was exact when written).
    sql: (s) => `
drop function if exists ${s}.append_batch(text[], smallint[], bigint[], integer[], text[], integer[], integer[],
  integer[], uuid[], text[], text[], text[], text[], text[], integer[], timestamptz, boolean);
alter table ${s}.tidings_store add column write_mode text not null default 'serial-flush'
  check (write_mode in ('serial-flush', 'shared-flush'));`,
  },
];
var CODE_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

// packages/postgres/src/migrate.ts
var LOCK_CLASS = 1953064041;
var MIGRATION_LOCK_TIMEOUT_MS = 12e4;
function newer(schema2, found) {
  return new IncompatibleStoreError(
    `PostgreSQL schema '${schema2}' is at store version ${found}, newer than this code understands (${CODE_SCHEMA_VERSION}). It was written by a newer @tidings/postgres; upgrade the package. The schema is left untouched.`,
  );
}
async function migrateSchema(client, schema2) {
  const s = quoteIdent(schema2);
  await client.query('begin');
  try {
    await client.query(`set local lock_timeout = ${MIGRATION_LOCK_TIMEOUT_MS}`);
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema2]);
    await client.query(`create schema if not exists ${s}`);
    const marker = await client.query(
      `select count(*) as n from pg_tables where schemaname = $1 and tablename = 'tidings_store'`,
      [schema2],
    );
    if (marker.rows[0]?.n === '0') {
      const foreign = await client.query(
        `select tablename from pg_tables where schemaname = $1 and tablename in ('head', 'streams', 'events')`,
        [schema2],
      );
      if (foreign.rows.length > 0) {
        throw new IncompatibleStoreError(
          `PostgreSQL schema '${schema2}' already has table(s) ${foreign.rows.map((r) => r.tablename).join(', ')} but no tidings_store marker: it is not a Tidings store. Choose another schema name; nothing was changed.`,
        );
      }
      await client.query(`
        create table ${s}.tidings_store (
          id boolean primary key default true check (id),
          kind text not null,
          schema_version integer not null,
          store_id uuid not null default gen_random_uuid(),
          created_at timestamptz not null default now()
        )`);
      await client.query(`insert into ${s}.tidings_store (kind, schema_version) values ($1, 0)`, [STORE_KIND]);
    }
    const found = await readIdentity(client, schema2);
    if (found.version > CODE_SCHEMA_VERSION) throw newer(schema2, found.version);
    const applied = [];
    for (const migration of MIGRATIONS) {
      if (migration.version <= found.version) continue;
      await client.query(migration.sql(s));
      applied.push(migration.version);
    }
    if (applied.length > 0) {
      await client.query(`update ${s}.tidings_store set schema_version = $1`, [CODE_SCHEMA_VERSION]);
    }
    await client.query('commit');
    return { from: found.version, to: CODE_SCHEMA_VERSION, applied };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}
async function readIdentity(client, schema2) {
  const row = await client.query(`select kind, schema_version, store_id from ${quoteIdent(schema2)}.tidings_store`);
  const r = row.rows[0];
  if (r === void 0 || r.kind !== STORE_KIND) {
    throw new IncompatibleStoreError(
      `PostgreSQL schema '${schema2}' has a tidings_store table that is not a Tidings event store marker. Choose another schema.`,
    );
  }
  return { storeId: r.store_id, version: r.schema_version };
}
async function checkSchema(client, schema2) {
  let found;
  try {
    found = await readIdentity(client, schema2);
  } catch (error) {
    if (error.code === '42P01' || error.code === '3F000') {
      throw new TidingsError(
        'STORE_NOT_MIGRATED',
        `PostgreSQL schema '${schema2}' holds no Tidings event store yet. Run store.migrate() (or create the store with { migrate: true }) before using it.`,
        { cause: error },
      );
    }
    throw error;
  }
  if (found.version > CODE_SCHEMA_VERSION) throw newer(schema2, found.version);
  if (found.version < CODE_SCHEMA_VERSION) {
    throw new TidingsError(
      'STORE_NOT_MIGRATED',
      `PostgreSQL schema '${schema2}' is at store version ${found.version}; this code needs ${CODE_SCHEMA_VERSION}. Run store.migrate() to upgrade it.`,
    );
  }
  return found;
}

// packages/postgres/src/options.ts
var SYNC_LEVELS = ['on', 'off', 'local', 'remote_write', 'remote_apply'];
function positiveInt(name, value, fallback, min = 1) {
  if (value === void 0) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValidationError(
      `Invalid option ${name} = ${JSON.stringify(value)}: expected an integer >= ${min}.`,
      [{ path: [name], message: 'invalid' }],
      {
        code: 'INVALID_OPTION',
      },
    );
  }
  return value;
}
function resolveOptions(options) {
  const schema2 = options.schema ?? 'tidings';
  assertSchemaName(schema2);
  const synchronousCommit = options.synchronousCommit ?? 'on';
  if (!SYNC_LEVELS.includes(synchronousCommit)) {
    throw new ValidationError(
      `Invalid option synchronousCommit = ${JSON.stringify(synchronousCommit)}: expected one of ${SYNC_LEVELS.join(', ')}.`,
      [],
      {
        code: 'INVALID_OPTION',
      },
    );
  }
  const lockTimeoutMs = positiveInt('lockTimeoutMs', options.lockTimeoutMs, 5e3);
  const statementTimeoutMs = positiveInt(
    'statementTimeoutMs',
    options.statementTimeoutMs,
    Math.max(3e4, lockTimeoutMs * 2),
  );
  if (statementTimeoutMs <= lockTimeoutMs) {
    throw new ValidationError(
      `statementTimeoutMs (${statementTimeoutMs}) must be above lockTimeoutMs (${lockTimeoutMs}), or a busy lock surfaces as a statement timeout instead of StoreBusyError.`,
      [],
      { code: 'INVALID_OPTION' },
    );
  }
  return {
    schema: schema2,
    migrate: options.migrate ?? false,
    clock: options.clock ?? systemClock,
    codec: options.codec,
    upcast: options.upcast,
    maxEventBytes: positiveInt('maxEventBytes', options.maxEventBytes, DEFAULT_MAX_EVENT_BYTES),
    lockTimeoutMs,
    idleInTransactionTimeoutMs: positiveInt('idleInTransactionTimeoutMs', options.idleInTransactionTimeoutMs, 3e4),
    statementTimeoutMs,
    synchronousCommit,
    maxBatchAppends: positiveInt('maxBatchAppends', options.maxBatchAppends, 256),
    maxBatchEvents: positiveInt('maxBatchEvents', options.maxBatchEvents, 2e3),
    maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes, 8 * 1024 * 1024),
    readPageSize: positiveInt('readPageSize', options.readPageSize, 1e3),
    headPollMs: positiveInt('headPollMs', options.headPollMs, 500),
    poolSize: positiveInt('poolSize', options.poolSize, 10),
    onError: options.onError ?? ((error, context) => console.error(`[tidings/postgres] ${context}:`, error)),
  };
}

// packages/postgres/src/reads.ts
var EVENT_COLUMNS = 'e.position, e.event_id, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at';
function toRecorded(row, ctx) {
  const metadata = JSON.parse(row.metadata);
  const raw = JSON.parse(row.data);
  const data =
    ctx.codec === void 0 ? raw : ctx.codec.decode(raw, { type: row.type, streamId: row.stream_id, metadata });
  const event = {
    id: row.event_id,
    type: row.type,
    data,
    metadata,
    streamId: row.stream_id,
    version: BigInt(row.version),
    position: BigInt(row.position),
    recordedAt: row.recorded_at,
    occurredAt: row.recorded_at,
  };
  return ctx.upcast === void 0 ? event : ctx.upcast(event);
}
async function* paged(fetch, start, forward, limit, pageSize, key, ctx) {
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  let cursor = start;
  while (remaining > 0) {
    const n2 = Math.min(pageSize, remaining);
    const rows = await fetch(cursor, n2);
    for (const row of rows) yield toRecorded(row, ctx);
    remaining -= rows.length;
    const last = rows[rows.length - 1];
    if (rows.length < n2 || last === void 0) return;
    cursor = forward ? key(last) + 1n : key(last) - 1n;
    if (cursor < 0n) return;
  }
}
function retentionClause(s, nowParam) {
  return `(not exists (select 1 from ${s}.streams q where q.max_count is not null or q.max_age_ms is not null)
    or not exists (select 1 from ${s}.streams r where r.stream_id = e.stream_id
      and (r.max_count is not null or r.max_age_ms is not null)
      and ((r.max_count is not null and e.version <= r.version - r.max_count)
        or (r.max_age_ms is not null and e.recorded_at < ${nowParam} - r.max_age_ms * interval '1 millisecond'))))`;
}
function allPageQuery(ctx, q) {
  const values = [];
  const where = [];
  const param = (v) => {
    values.push(v);
    return `$${values.length + 1}`;
  };
  const now = param(new Date(ctx.now()));
  if (q.filter?.types !== void 0) where.push(`e.type = any(${param([...q.filter.types])}::text[])`);
  if (q.filter?.categories !== void 0) where.push(`e.category = any(${param([...q.filter.categories])}::text[])`);
  if (q.time !== void 0)
    where.push(
      `e.recorded_at >= ${param(q.time.from)}::timestamptz and e.recorded_at < ${param(q.time.to)}::timestamptz`,
    );
  where.push(retentionClause(ctx.s, `${now}::timestamptz`));
  const text = (n2) => `select ${EVENT_COLUMNS} from ${ctx.s}.events e
    where e.position ${q.forward ? '>=' : '<='} $1 and ${where.join(' and ')}
    order by e.position ${q.forward ? 'asc' : 'desc'} limit ${n2}`;
  const name =
    where.length === 1
      ? `tidings_all_${q.forward ? 'fwd' : 'bwd'}_${ctx.pageSize}_${ctx.s.replace(/\W/g, '')}`
      : void 0;
  const full = text(ctx.pageSize);
  return (cursor, n2) => {
    const args = [cursor.toString(), ...values];
    if (name !== void 0 && n2 === ctx.pageSize) return { name, text: full, values: args };
    return { text: text(n2), values: args };
  };
}
function toStreamInfo(streamId, row) {
  if (row === void 0) return { streamId, version: 0n, truncatedBefore: 0n, deleted: void 0, metadata: {} };
  return {
    streamId,
    version: BigInt(row.version),
    truncatedBefore: BigInt(row.truncated_before),
    deleted: row.deleted ?? void 0,
    metadata: JSON.parse(row.metadata),
  };
}

// packages/postgres/src/stream-reads.ts
async function fetchStreamRow(client, s, streamId, lock = false) {
  const r = await client.query(
    `select stream_id, version, last_position, truncated_before, deleted, metadata, max_count, max_age_ms
       from ${s}.streams where stream_id = $1${lock ? ' for update' : ''}`,
    [streamId],
  );
  return r.rows[0];
}
async function streamInfo(withClient, ctx, streamId) {
  assertStreamId(streamId);
  const row = await withClient((c2) => fetchStreamRow(c2, ctx.s, streamId));
  return toStreamInfo(streamId, row);
}
async function* readStream(withClient, ctx, streamId, options) {
  assertStreamId(streamId);
  assertReadStreamOptions(options);
  const forward = (options?.direction ?? 'forward') === 'forward';
  const row = await withClient((c2) => fetchStreamRow(c2, ctx.s, streamId));
  if (row === void 0) return;
  const version = BigInt(row.version);
  let lower = BigInt(row.truncated_before);
  if (row.max_count !== null && version - BigInt(row.max_count) + 1n > lower)
    lower = version - BigInt(row.max_count) + 1n;
  const cutoff = row.max_age_ms === null ? null : new Date(ctx.now() - Number(row.max_age_ms));
  const start = forward
    ? options?.from !== void 0 && options.from > lower
      ? options.from
      : lower
    : (options?.from ?? version);
  const text = `select ${EVENT_COLUMNS} from ${ctx.s}.events e
     where e.stream_id = $1 and e.version ${forward ? '>=' : '<='} $2 and e.version >= $3
       and ($4::timestamptz is null or e.recorded_at >= $4::timestamptz)
     order by e.version ${forward ? 'asc' : 'desc'} limit $5`;
  const fetch = (cursor, n2) =>
    withClient(async (c2) => (await c2.query(text, [streamId, cursor.toString(), lower.toString(), cutoff, n2])).rows);
  yield* paged(fetch, start, forward, options?.limit, ctx.pageSize, (r) => BigInt(r.version), ctx);
}

// packages/postgres/src/stream-admin.ts
var recordLastPosition = (s) => `last_position = greatest(last_position,
  coalesce((select e.position from ${s}.events e where e.stream_id = $1 order by e.version desc limit 1), 0))`;
async function setStreamMetadata(client, s, streamId, metadata) {
  assertStreamId(streamId);
  const text = encodeStreamMetadata(streamId, metadata);
  const maxCount = metadata.maxCount ?? null;
  const maxAge = metadata.maxAge ?? null;
  const r = await client.query(
    `insert into ${s}.streams as t (stream_id, metadata, max_count, max_age_ms) values ($1, $2, $3, $4)
       on conflict (stream_id) do update set metadata = excluded.metadata, max_count = excluded.max_count, max_age_ms = excluded.max_age_ms
       where t.deleted is distinct from 'hard'
     returning 1`,
    [streamId, text, maxCount, maxAge],
  );
  if (r.rowCount === 0) throw new StreamDeletedError(streamId);
}
async function truncateBefore(client, s, streamId, before) {
  const row = await fetchStreamRow(client, s, streamId, true);
  if (row?.deleted === 'hard') throw new StreamDeletedError(streamId);
  if (row === void 0 || row.version === '0') return;
  const cap = BigInt(row.version) + 1n;
  const bound = before < cap ? before : cap;
  if (bound <= BigInt(row.truncated_before)) return;
  await client.query(`update ${s}.streams set truncated_before = $2, ${recordLastPosition(s)} where stream_id = $1`, [
    streamId,
    bound.toString(),
  ]);
  await client.query(`delete from ${s}.events where stream_id = $1 and version < $2`, [streamId, bound.toString()]);
}
async function deleteStream(client, s, streamId, mode, expected) {
  const row = await fetchStreamRow(client, s, streamId, true);
  if (row?.deleted === 'hard') return;
  const version = row === void 0 ? 0n : BigInt(row.version);
  if (!versionMatches(expected, version, row?.deleted === 'soft'))
    throw new ConcurrencyError(streamId, expected, version);
  if (mode === 'soft' && version === 0n) return;
  if (row === void 0) {
    await client.query(`insert into ${s}.streams (stream_id, deleted, truncated_before) values ($1, 'hard', 1)`, [
      streamId,
    ]);
    return;
  }
  await client.query(
    mode === 'hard'
      ? `update ${s}.streams set deleted = 'hard', truncated_before = version + 1, metadata = '{}', max_count = null, max_age_ms = null where stream_id = $1`
      : `update ${s}.streams set deleted = 'soft', truncated_before = version + 1, ${recordLastPosition(s)} where stream_id = $1`,
    [streamId],
  );
  await client.query(`delete from ${s}.events where stream_id = $1`, [streamId]);
}

// packages/postgres/src/transaction.ts
async function runTransaction(client, work, deps) {
  let lost;
  const onLost = (error) => {
    lost ??= error;
  };
  const onEnd = () => onLost(new Error('Connection terminated'));
  client.on('error', onLost);
  client.on('end', onEnd);
  const callbacks = [];
  const streams = [];
  let top = -1n;
  let open = true;
  let broken = false;
  const assertActive = () => {
    if (!open)
      throw new TidingsError(
        'TRANSACTION_FINISHED',
        'This store transaction has already committed or rolled back; use it only inside its work function.',
      );
  };
  const useTx = async (use) => {
    assertActive();
    try {
      return await use(client);
    } catch (error) {
      throw mapPgError(error, 'A read in the store transaction', deps.settings);
    }
  };
  const reader = {
    readStream: (streamId, options) => readStream(useTx, deps.readContext, streamId, options),
    streamInfo: (streamId) => streamInfo(useTx, deps.readContext, streamId),
  };
  const tx = {
    ...reader,
    connection: client,
    async append(streamId, events, options) {
      assertActive();
      const prepared = deps.prepare(streamId, events, options);
      let result;
      try {
        result = await appendInTransaction(client, deps.schema, prepared, deps.now());
      } catch (error) {
        if (error instanceof TidingsError) throw error;
        if (isConnectionError(error)) throw lostBeforeCommit(deps.target, error);
        throw mapPgError(error, `The append to '${streamId}'`, deps.settings);
      }
      if (prepared.events.length > 0) {
        streams.push(streamId);
        if (result.position > top) top = result.position;
      }
      return result;
    },
    afterCommit(callback) {
      assertActive();
      callbacks.push(callback);
    },
  };
  try {
    try {
      await client.query(
        deps.settings.planGuard === true
          ? 'begin; set local enable_seqscan to default; set local jit to default'
          : 'begin',
      );
    } catch (error) {
      broken = isConnectionError(error);
      throw mapPgError(error, 'BEGIN', deps.settings);
    }
    let result;
    try {
      result = await work(tx);
    } catch (error) {
      open = false;
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw error;
    }
    open = false;
    if (lost !== void 0) {
      broken = true;
      throw lostBeforeCommit(deps.target, lost);
    }
    let commit;
    try {
      commit = await client.query('commit');
    } catch (error) {
      if (isConnectionError(error)) {
        broken = true;
        if (neverSent(error)) throw lostBeforeCommit(deps.target, error);
        throw new UnknownOutcomeError(
          streams.length > 0 ? streams.join("', '") : '(transaction without appends)',
          error,
        );
      }
      throw mapPgError(error, 'COMMIT', deps.settings);
    }
    if (commit.command === 'ROLLBACK') {
      throw new TidingsError(
        'TRANSACTION_ABORTED',
        'The store transaction was rolled back at COMMIT because a statement inside it had failed (its error was caught inside the work). Nothing was stored; let errors propagate out of the work.',
      );
    }
    if (top >= 0n) deps.committed(top);
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        deps.onError(error, 'afterCommit callback');
      }
    }
    return result;
  } finally {
    open = false;
    client.off('error', onLost);
    client.off('end', onEnd);
    client.release(broken || lost !== void 0);
  }
}
function lostBeforeCommit(target, cause) {
  return new TidingsError(
    'CONNECTION_LOST',
    `The connection to ${target} was lost before COMMIT: the transaction was rolled back and nothing was stored. Retry the whole unit of work.`,
    { cause },
  );
}

// packages/postgres/src/store.ts
function postgresEventStore(options) {
  const opts = resolveOptions(options);
  const { schema: schema2, clock } = opts;
  const s = quoteIdent(schema2);
  let pool;
  let target;
  if (options.pool !== void 0) {
    pool = options.pool;
    target = describePool(pool);
  } else {
    const connectionString = options.connectionString;
    if (typeof connectionString !== 'string' || connectionString === '') {
      throw new ValidationError(
        'postgresEventStore needs a connectionString (postgres://user@host:5432/db) or a pg Pool in options.pool.',
        [],
        { code: 'INVALID_OPTION' },
      );
    }
    pool = createPool(connectionString, opts.poolSize);
    target = redactConnectionString(connectionString);
  }
  const ownsPool = options.pool === void 0;
  const settings = {
    lockTimeoutMs: opts.lockTimeoutMs,
    idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs,
    statementTimeoutMs: opts.statementTimeoutMs,
    synchronousCommit: opts.synchronousCommit,
    planGuard: ownsPool,
  };
  const nextId = uuidv7Generator({ now: () => clock.now() });
  let closed = false;
  let closing;
  let identity;
  const assertOpen = () => {
    if (closed) throw new StoreClosedError('PostgreSQL');
  };
  const ready = () => {
    identity ??= (async () => {
      const client = await checkout(pool, settings, target);
      try {
        if (opts.migrate) await migrateSchema(client, schema2);
        return await checkSchema(client, schema2);
      } finally {
        client.release();
      }
    })().catch((error) => {
      identity = void 0;
      throw error;
    });
    return identity;
  };
  const withClient = async (use) => {
    assertOpen();
    await ready();
    const client = await checkout(pool, settings, target);
    let broken = false;
    try {
      return await use(client);
    } catch (error) {
      broken = isConnectionError(error);
      throw mapPgError(error, 'The PostgreSQL store call', settings);
    } finally {
      client.release(broken);
    }
  };
  const readContext = {
    s,
    codec: opts.codec,
    upcast: opts.upcast,
    pageSize: opts.readPageSize,
    now: () => clock.now(),
  };
  const head = new HeadSignal(
    async () => withClient(async (c2) => BigInt((await c2.query(`select position from ${s}.head`)).rows[0].position)),
    opts.headPollMs,
    opts.onError,
  );
  const prepare = (streamId, events, appendOptions) => {
    const p = prepareAppend(streamId, events, appendOptions, {
      maxEventBytes: opts.maxEventBytes,
      nextId,
      encode: opts.codec === void 0 ? void 0 : (data, event) => opts.codec.encode(data, event),
    });
    let bytes = 0;
    for (const e of p.events) bytes += e.data.length + e.metadata.length;
    const generatedIds = events.every((e) => e.id === void 0);
    return { streamId: p.streamId, expectedVersion: p.expectedVersion, events: p.events, bytes, generatedIds };
  };
  const writeBatch = async (batch) => {
    await ready();
    for (let attempt = 0; ; attempt++) {
      const client = await checkout(pool, settings, target);
      try {
        const outcomes = await runAppendBatch(client, schema2, batch, new Date(clock.now()), {
          autocommit: true,
          guarded: ownsPool,
        });
        client.release();
        return outcomes;
      } catch (error) {
        client.release(isConnectionError(error));
        if (neverSent(error) && attempt === 0) continue;
        throw error;
      }
    }
  };
  const committer = createGroupCommit(
    {
      write: writeBatch,
      retryable: (error) =>
        !(error instanceof TidingsError) && !isConnectionError(error) && !['55P03', '57014'].includes(error.code ?? ''),
      toError: (error, append) => {
        if (error instanceof TidingsError) return error;
        if (isConnectionError(error)) {
          if (neverSent(error)) {
            return new TidingsError(
              'CONNECTION_LOST',
              `The append to '${append.streamId}' was not sent: the connection to ${target} was lost. Nothing was stored; retry it.`,
              {
                cause: error,
              },
            );
          }
          return new UnknownOutcomeError(append.streamId, error);
        }
        return mapPgError(error, `The append to '${append.streamId}'`, settings);
      },
      committed: (position) => head.moved(position),
    },
    opts,
  );
  async function* readAll(options2) {
    assertOpen();
    assertReadAllOptions(options2);
    const forward = (options2?.direction ?? 'forward') === 'forward';
    const filter = options2?.filter;
    if (filter?.types?.length === 0 || filter?.categories?.length === 0) return;
    const start = options2?.from ?? (forward ? 0n : await store2.headPosition());
    const page = allPageQuery(readContext, { forward, filter });
    const fetch = (cursor, n2) => withClient(async (c2) => (await c2.query(page(cursor, n2))).rows);
    yield* paged(fetch, start, forward, options2?.limit, opts.readPageSize, (r) => BigInt(r.position), readContext);
  }
  async function* readByTime(options2) {
    assertOpen();
    assertReadByTimeOptions(options2);
    const filter = options2.filter;
    if (filter?.types?.length === 0 || filter?.categories?.length === 0) return;
    const page = allPageQuery(readContext, { forward: true, filter, time: { from: options2.from, to: options2.to } });
    const fetch = (cursor, n2) => withClient(async (c2) => (await c2.query(page(cursor, n2))).rows);
    yield* paged(fetch, 0n, true, options2.limit, opts.readPageSize, (r) => BigInt(r.position), readContext);
  }
  const adminTransaction = (what, work) =>
    withClient(async (client) => {
      await client.query('begin');
      try {
        const result = await work(client);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw mapPgError(error, what, settings);
      }
    });
  const store2 = {
    schema: schema2,
    async migrate() {
      assertOpen();
      const client = await checkout(pool, settings, target);
      try {
        const result = await migrateSchema(client, schema2);
        identity = void 0;
        return result;
      } finally {
        client.release();
      }
    },
    append(streamId, events, appendOptions) {
      try {
        assertOpen();
        return committer.append(prepare(streamId, events, appendOptions));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    readStream: (streamId, options2) => {
      assertOpen();
      return readStream(withClient, readContext, streamId, options2);
    },
    streamInfo: (streamId) => streamInfo(withClient, readContext, streamId),
    readAll,
    readByType(types, options2) {
      return readAll({ ...options2, filter: { types } });
    },
    readByTime,
    async setStreamMetadata(streamId, metadata) {
      assertOpen();
      await withClient((c2) => setStreamMetadata(c2, s, streamId, metadata));
    },
    async truncateBefore(streamId, before) {
      assertOpen();
      assertStreamId(streamId);
      assertTruncateVersion(streamId, before);
      await adminTransaction(`truncateBefore('${streamId}')`, (c2) => truncateBefore(c2, s, streamId, before));
    },
    async deleteStream(streamId, options2) {
      assertOpen();
      assertStreamId(streamId);
      const { mode, expectedVersion } = resolveDeleteOptions(streamId, options2);
      await adminTransaction(`deleteStream('${streamId}')`, (c2) =>
        deleteStream(c2, s, streamId, mode, expectedVersion),
      );
    },
    async transaction(work) {
      assertOpen();
      if (typeof work !== 'function') {
        throw new TidingsError(
          'INVALID_ARGUMENT',
          'transaction(work) expects an async function receiving the transaction.',
        );
      }
      await ready();
      const client = await checkout(pool, settings, target);
      return runTransaction(client, work, {
        s,
        schema: schema2,
        settings,
        readContext,
        target,
        prepare,
        now: () => new Date(clock.now()),
        committed: (position) => head.moved(position),
        onError: opts.onError,
      });
    },
    async headPosition() {
      return withClient(async (c2) => BigInt((await c2.query(`select position from ${s}.head`)).rows[0].position));
    },
    onHeadMoved(listener) {
      assertOpen();
      return head.subscribe(listener);
    },
    async info() {
      assertOpen();
      const { storeId } = await ready();
      return {
        storeId,
        kind: 'postgres',
        durability: describeDurability(opts.synchronousCommit),
      };
    },
    close() {
      closing ??= (async () => {
        closed = true;
        head.stop();
        await committer.idle();
        if (ownsPool) await pool.end();
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return store2.close();
    },
  };
  return store2;
}
function describeDurability(level) {
  switch (level) {
    case 'on':
      return 'PostgreSQL synchronous_commit=on: an acknowledged append is flushed to the WAL on disk and survives a crash of the server or the host.';
    case 'remote_write':
    case 'remote_apply':
      return `PostgreSQL synchronous_commit=${level}: an acknowledged append is on disk locally and ${level === 'remote_apply' ? 'applied on' : 'written to'} a synchronous standby.`;
    case 'local':
      return 'PostgreSQL synchronous_commit=local: an acknowledged append is flushed to the local WAL (standbys not awaited).';
    default:
      return 'PostgreSQL synchronous_commit=off: an acknowledged append survives a server crash only after the WAL writer flushes (up to 3x wal_writer_delay later); it is never corrupted, the last moments may be lost.';
  }
}

// packages/postgres/src/test-support/perf/loop.ts
var URL2 = 'postgres://postgres@127.0.0.1:5432/test';
var writers = Number(process.argv[2] ?? 1);
var n = Number(process.argv[3] ?? 2e4);
var schema = `zz_loop_${Math.random().toString(36).slice(2, 8)}`;
var store = postgresEventStore({ connectionString: URL2, schema, synchronousCommit: 'off' });
await store.migrate();
var ev = (i) => [
  {
    type: 'perf.item-added',
    data: { n: i, sku: `sku-${i % 97}`, quantity: 1 + (i % 5), note: 'an ordinary short note' },
  },
];
var c0 = process.cpuUsage();
var t0 = performance.now();
await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < n / writers; i++) await store.append(`s-${w}`, ev(i), { expectedVersion: BigInt(i) });
  }),
);
var c = process.cpuUsage(c0);
console.log(
  `${writers} writers: ${((c.user + c.system) / n).toFixed(1)} \xB5s client CPU per append (user ${(c.user / n).toFixed(1)}, sys ${(c.system / n).toFixed(1)}); wall ${(((performance.now() - t0) * 1e3) / n).toFixed(0)} \xB5s`,
);
await store
  .transaction(async (tx) => {
    await tx.connection.query(`drop schema ${schema} cascade`);
  })
  .catch(() => {});
await store.close();
