import type { PoolClient } from 'pg';
import { ConcurrencyError, StreamDeletedError, TidingsError } from 'tidings';
import { resolveIdempotentAppend } from 'tidings/store-kit';
import type { AppendResult, ExpectedVersion } from 'tidings';
import type { MemberOutcome, PreparedEvent, StoredEventRef } from 'tidings/store-kit';
import { batchAppendSql, lastPositionSql, lockStreamsSql } from './sql/batch-append.js';
import { noListenerSql } from './listener-lock.js';
import { loneAppendSql } from './sql/lone-append.js';
import { statementName } from './sql/identifiers.js';
import { streamKeys } from './stream-hash.js';

/** One validated, encoded append waiting to be written. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
  /** Approximate JSON size, for the group-commit byte bound. */
  readonly bytes: number;
  /**
   * True when the store generated every event id of the append (fresh UUIDv7s, which cannot be
   * stored already), so the write skips the id look-up. Absent means look up.
   */
  readonly generatedIds?: boolean;
}

/** The per-append result of a batch: each append keeps its own outcome. */
export type AppendOutcome = MemberOutcome<AppendResult>;

/** How a batch is written. */
export interface BatchMode {
  /** No caller transaction around the call: the statement commits on its own. */
  readonly autocommit?: boolean;
  /**
   * The connection has the store's plan guard (a pool the store owns): statements are named
   * (planned once per connection) and a lone append may use the lone-append statement.
   */
  readonly guarded?: boolean;
  /**
   * Autocommit only: told, after a statement that wrote, whether a session in another process may
   * be listening for this commit (true) or certainly is not (false: no NOTIFY needed; decision 0312).
   */
  readonly listening?: (maybe: boolean) => void;
}

interface BatchRow {
  status: number;
  version: string | null;
  position: string | null;
  detail: string | null;
  /** The listener test (autocommit statements): true when nobody listens; null when nothing was written. */
  quiet?: boolean | null;
}

const KINDS: Record<string, number> = { any: 0, 'no-stream': 1, exists: 2 };

/** How many times a batch statement is run again after a unique violation (see batch-append.ts). */
const COLLISION_RETRIES = 3;

/**
 * Writes a batch of appends in one round trip: the lone-append statement for a lone append with
 * events to an existing stream on a guarded connection in autocommit (falling back to the batch
 * statement when it cannot write), otherwise the set-based batch statement. Inside a caller's
 * transaction the batch's stream rows are locked first by a statement of their own. Throws only
 * when a statement itself fails (then nothing of the batch is stored, or the outcome is unknown
 * if the connection died); per-append refusals come back as outcomes.
 */
export async function runAppendBatch(
  client: PoolClient,
  schema: string,
  appends: readonly PreparedAppend[],
  now: Date,
  mode: BatchMode = {},
): Promise<AppendOutcome[]> {
  const autocommit = mode.autocommit === true;
  const guarded = mode.guarded === true;
  const lone = appends.length === 1 ? appends[0]! : undefined;
  let lookupAll = false;
  if (autocommit && guarded && lone !== undefined && loneEligible(lone)) {
    try {
      const written = await runLoneAppend(client, schema, lone, now, mode.listening);
      if (written !== undefined) return [written];
    } catch (error) {
      // unique_violation: an id stored by a writer that committed while this one waited for the
      // stream lock, or (ids generated here, not looked up) a collision. The failed autocommit
      // statement left nothing; the batch statement looks the ids up and answers exactly.
      if (!isUniqueViolation(error)) throw error;
      lookupAll = true;
    }
  }
  if (!autocommit) {
    await client.query({
      ...(guarded ? { name: statementName('lock', schema) } : {}),
      text: lockStreamsSql(`"${schema}"`),
      values: [appends.map((a) => a.streamId)],
    });
    return runBatchStatement(client, schema, guarded, appends, now, false, undefined);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await runBatchStatement(client, schema, guarded, appends, now, lookupAll, mode.listening ?? (() => {}));
    } catch (error) {
      // A stream created, or an id stored, by a writer that committed after this statement's
      // snapshot: nothing was written (autocommit); run it again with a new snapshot.
      if (!isUniqueViolation(error) || attempt >= COLLISION_RETRIES) throw error;
      lookupAll = true;
    }
  }
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown }).code === '23505';

/** The lone-append statement needs an existing stream: 'no-stream' and exact 0 go to the batch statement at once. */
function loneEligible(a: PreparedAppend): boolean {
  const e = a.expectedVersion;
  return a.events.length > 0 && e !== 'no-stream' && e !== 0n;
}

interface Statement {
  readonly name?: string;
  readonly text: string;
}

const statements = new Map<string, Statement>();

/** Name and text of a statement shape, built once per schema (named: parsed and planned once per connection). */
function cached(key: string, schema: string, build: () => Statement): Statement {
  const k = `${key} ${schema}`;
  let statement = statements.get(k);
  if (statement === undefined) {
    statement = build();
    statements.set(k, statement);
  }
  return statement;
}

/**
 * On a guarded connection the batch statement is named (planned once per connection; the guard
 * keeps its plans index-driven as the tables grow, decision 0304). On a caller's pool it is sent
 * unnamed and planned per call: without the guard a generic plan made while the tables were tiny
 * could keep sequential scans.
 */
function batchStatement(schema: string, shape: 'lean' | 'full', guarded: boolean, autocommit: boolean): Statement {
  // Inside a caller's transaction the listener test is left out: its lock would be held until the
  // caller's COMMIT, holding up listeners that open meanwhile; those commits always announce.
  const kind = `batch_${shape}${autocommit ? '' : '_tx'}`;
  return cached(`${kind}${guarded ? '' : '_unnamed'}`, schema, () => {
    const text = batchAppendSql(`"${schema}"`, shape, autocommit ? noListenerSql(schema) : undefined);
    return guarded ? { name: statementName(kind, schema), text } : { text };
  });
}

function loneStatement(schema: string, single: boolean, lookup: boolean, plain: boolean): Statement {
  const key = `lone_${single ? 'one' : plain ? 'plain' : 'many'}${lookup ? '_ids' : ''}`;
  return cached(key, schema, () => ({
    name: statementName(key, schema),
    text: loneAppendSql(`"${schema}"`, { single, lookup, plain }, noListenerSql(schema)),
  }));
}

interface LoneRow {
  version: string;
  position: string;
  quiet: boolean;
}

/** Runs the lone-append statement; the result when it wrote, undefined when it wrote nothing. */
export async function runLoneAppend(
  client: PoolClient,
  schema: string,
  a: PreparedAppend,
  now: Date,
  listening?: (maybe: boolean) => void,
): Promise<AppendOutcome | undefined> {
  const single = a.events.length === 1;
  const lookup = a.generatedIds !== true;
  const e = a.expectedVersion;
  const kind = typeof e === 'bigint' ? 3 : KINDS[e]!;
  const value = typeof e === 'bigint' ? e.toString() : null;
  const { category, hash } = streamKeys(a.streamId);
  let values: unknown[];
  let plain = !single;
  if (single) {
    const ev = a.events[0]!;
    values = [
      a.streamId,
      kind,
      value,
      category,
      hash,
      // ISO text: pg's own Date formatting (local time with an offset) costs more per call.
      now.toISOString(),
      ev.id,
      ev.type,
      ev.data,
      ev.metadata,
      ev.correlationId ?? null,
      ev.causationId ?? null,
      ev.schemaVersion,
    ];
  } else {
    const n = a.events.length;
    const ids = new Array<string>(n);
    const types = new Array<string>(n);
    const data = new Array<string>(n);
    const meta = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      const ev = a.events[k]!;
      ids[k] = ev.id;
      types[k] = ev.type;
      data[k] = ev.data;
      meta[k] = ev.metadata;
      if (ev.correlationId !== undefined || ev.causationId !== undefined || ev.schemaVersion !== 1) plain = false;
    }
    values = [a.streamId, kind, value, category, hash, now.toISOString(), ids, types, data, meta];
    if (!plain) {
      values.push(
        a.events.map((ev) => ev.correlationId ?? null),
        a.events.map((ev) => ev.causationId ?? null),
        a.events.map((ev) => ev.schemaVersion),
      );
    }
  }
  const result = await client.query<LoneRow>({ ...loneStatement(schema, single, lookup, plain), values });
  const row = result.rows[0];
  if (row === undefined) return undefined;
  listening?.(!row.quiet);
  return { ok: true, result: { nextVersion: BigInt(row.version), position: BigInt(row.position) } };
}

/**
 * One run of the batch statement for the whole batch. `listening` is given in autocommit (told the
 * listener test's answer when the batch wrote) and undefined in a caller's transaction.
 */
async function runBatchStatement(
  client: PoolClient,
  schema: string,
  guarded: boolean,
  appends: readonly PreparedAppend[],
  now: Date,
  lookupAll: boolean,
  listening: ((maybe: boolean) => void) | undefined,
): Promise<AppendOutcome[]> {
  const inTransaction = listening === undefined;
  const n = appends.length;
  const streams = new Array<string>(n);
  const kinds = new Array<number>(n);
  const expected = new Array<string | null>(n);
  const counts = new Array<number>(n);
  const ranks = new Array<number>(n);
  const categories = new Array<string>(n);
  const hashes = new Array<number>(n);
  const offs = new Array<number>(n);
  const ids: string[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const meta: string[] = [];
  const corr: (string | null)[] = [];
  const caus: (string | null)[] = [];
  const schemaVersions: number[] = [];
  const apps: number[] = [];
  const lookup: string[] = [];
  // Running versions: each append's rank among this batch's appends to its stream.
  let seen: Map<string, number> | undefined;
  let repeated = false;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const a = appends[i]!;
    const e = a.expectedVersion;
    const cnt = a.events.length;
    streams[i] = a.streamId;
    kinds[i] = typeof e === 'bigint' ? 3 : KINDS[e]!;
    expected[i] = typeof e === 'bigint' ? e.toString() : null;
    counts[i] = cnt;
    if (n > 1) {
      seen ??= new Map();
      const rank = (seen.get(a.streamId) ?? 0) + 1;
      if (rank > 1) repeated = true;
      ranks[i] = rank;
      seen.set(a.streamId, rank);
    } else {
      ranks[i] = 1;
    }
    const keys = streamKeys(a.streamId);
    categories[i] = keys.category;
    hashes[i] = keys.hash;
    offs[i] = off;
    off += cnt;
    const look = lookupAll || a.generatedIds !== true;
    for (const ev of a.events) {
      ids.push(ev.id);
      types.push(ev.type);
      data.push(ev.data);
      meta.push(ev.metadata);
      corr.push(ev.correlationId ?? null);
      caus.push(ev.causationId ?? null);
      schemaVersions.push(ev.schemaVersion);
      apps.push(i + 1);
      if (look) lookup.push(ev.id);
    }
  }
  const lean = !inTransaction && !repeated && lookup.length === 0;
  const values: unknown[] = [
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
    now.toISOString(),
  ];
  // The lean shape has nothing to look up ($18 is not in it).
  if (!lean) values.push(lookup);
  const result = await client.query<BatchRow>({
    ...batchStatement(schema, lean ? 'lean' : 'full', guarded, !inTransaction),
    values,
  });
  const rows = result.rows;
  const quiet = rows[0]?.quiet;
  if (listening !== undefined && quiet !== undefined && quiet !== null) listening(!quiet);
  if (rows.length !== n) {
    throw new TidingsError(
      'STORE_PROTOCOL',
      `The batch statement returned ${rows.length} rows for ${n} appends; the schema does not match this code.`,
    );
  }
  const outcomes = new Array<AppendOutcome>(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    // An empty append that passed, to a stream this batch did not write before it: its position is
    // its stream's last event's, looked up after the fact (rare; see lastPositionSql).
    if (row.status === 1 && row.position === null) row.position = await lastPosition(client, schema, appends[i]!, row);
    outcomes[i] = toOutcome(row, appends[i]!);
  }
  return outcomes;
}

async function lastPosition(
  client: PoolClient,
  schema: string,
  append: PreparedAppend,
  row: BatchRow,
): Promise<string> {
  const r = await client.query<{ position: string }>({
    text: lastPositionSql(`"${schema}"`),
    values: [append.streamId, row.version],
  });
  return r.rows[0]!.position;
}

function toOutcome(row: BatchRow, append: PreparedAppend): AppendOutcome {
  switch (row.status) {
    case 1:
      return { ok: true, result: { nextVersion: BigInt(row.version!), position: BigInt(row.position!) } };
    case 3:
      return resolveStoredIds(row.detail ?? '[]', append);
    case 4:
      return { ok: false, error: new StreamDeletedError(append.streamId) };
    case 5:
      return { ok: false, error: new ConcurrencyError(append.streamId, append.expectedVersion, BigInt(row.version!)) };
    default:
      return {
        ok: false,
        error: new TidingsError('STORE_PROTOCOL', `The batch statement returned unknown status ${row.status}.`),
      };
  }
}

/** Some ids of the append were already stored: the original result, or DuplicateEventError. */
function resolveStoredIds(detail: string, append: PreparedAppend): AppendOutcome {
  const found: StoredEventRef[] = (JSON.parse(detail) as [string, string, string, string][]).map(
    ([id, streamId, version, position]) => ({ id, streamId, version: BigInt(version), position: BigInt(position) }),
  );
  try {
    const original = resolveIdempotentAppend(
      append.streamId,
      append.expectedVersion,
      append.events.map((e) => e.id),
      found,
    );
    if (original !== undefined) return { ok: true, result: original };
    return {
      ok: false,
      error: new TidingsError('STORE_PROTOCOL', 'The batch statement reported stored ids but listed none.'),
    };
  } catch (error) {
    return { ok: false, error: error as TidingsError };
  }
}
