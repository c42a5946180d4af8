import type { PoolClient } from 'pg';
import { categoryOf, ConcurrencyError, StreamDeletedError, TidingsError } from 'tidings';
import { resolveIdempotentAppend } from 'tidings/store-kit';
import type { AppendResult, ExpectedVersion } from 'tidings';
import type { PreparedEvent, StoredEventRef } from 'tidings/store-kit';
import { loneAppendSql } from './sql/lone-append.js';
import { statementName } from './sql/identifiers.js';
import { streamHash } from './stream-hash.js';

/** One validated, encoded append waiting to be written. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
  /** Approximate JSON size, for the group-commit byte bound. */
  readonly bytes: number;
  /**
   * True when the store generated every event id of the append (fresh UUIDv7s, which cannot be
   * stored already), so the lone-append statement skips the id look-up. Absent means look up.
   */
  readonly generatedIds?: boolean;
}

/** The per-append result of a batch: each append keeps its own outcome. */
export type AppendOutcome =
  { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: TidingsError };

interface BatchRow {
  r_status: number;
  r_version: string;
  r_position: string;
  r_detail: string | null;
}

function kindOf(expected: ExpectedVersion): [number, string | null] {
  if (expected === 'any') return [0, null];
  if (expected === 'no-stream') return [1, null];
  if (expected === 'exists') return [2, null];
  return [3, expected.toString()];
}

/**
 * Writes a batch of appends in one round trip: one call of the schema's `append_batch` function,
 * or, for a lone append with events to an existing stream in `autocommit` (no caller transaction
 * around it) on a guarded connection, the plain lone-append statement, which commits on its own.
 * When that statement cannot write (new stream, conflict, stored ids, tombstone) it writes
 * nothing and the function answers in a second round trip. Throws only when a statement itself
 * fails (then nothing of the batch is stored, or the outcome is unknown if the connection died);
 * per-append refusals come back as outcomes.
 */
export async function runAppendBatch(
  client: PoolClient,
  schema: string,
  appends: readonly PreparedAppend[],
  now: Date,
  mode: BatchMode = {},
): Promise<AppendOutcome[]> {
  const lone = appends.length === 1 ? appends[0]! : undefined;
  const fastEligible = mode.autocommit === true && lone !== undefined && loneEligible(lone);
  if (fastEligible && mode.loneStatement === true) {
    try {
      const written = await runLoneAppend(client, schema, lone, now);
      if (written !== undefined) return [written];
    } catch (error) {
      // unique_violation: an id stored by a writer that committed while this one waited for the
      // stream lock, or (ids generated here, not looked up) a collision. The failed autocommit
      // statement left nothing; the general path looks the ids up and answers exactly (the
      // original result, or DuplicateEventError).
      if (!isUniqueViolation(error)) throw error;
    }
    return runBatchFunction(client, schema, appends, now, false);
  }
  try {
    return await runBatchFunction(client, schema, appends, now, fastEligible);
  } catch (error) {
    // The function's own fast path has the same snapshot caveat; the same answer applies.
    if (!(fastEligible && isUniqueViolation(error))) throw error;
    return runBatchFunction(client, schema, appends, now, false);
  }
}

/** How a batch is written. */
export interface BatchMode {
  /** No caller transaction around the call: the statement commits on its own. */
  readonly autocommit?: boolean;
  /**
   * A lone append may use the lone-append statement (needs `autocommit` and the connection's plan
   * guard); otherwise it uses the function's fast path.
   */
  readonly loneStatement?: boolean;
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown }).code === '23505';

/** The lone-append statement needs an existing stream: 'no-stream' and exact 0 go to the function at once. */
function loneEligible(a: PreparedAppend): boolean {
  const e = a.expectedVersion;
  return a.events.length > 0 && e !== 'no-stream' && e !== 0n;
}

const loneStatements = new Map<string, { name: string; text: string }>();

/** Name and text of a lone-append shape, built once per schema (named: parsed and planned once per connection). */
function loneStatement(schema: string, single: boolean, lookup: boolean): { name: string; text: string } {
  const key = `${single ? 'one' : 'many'}${lookup ? '_ids' : ''}`;
  let statement = loneStatements.get(`${key} ${schema}`);
  if (statement === undefined) {
    statement = { name: statementName(`lone_${key}`, schema), text: loneAppendSql(`"${schema}"`, { single, lookup }) };
    loneStatements.set(`${key} ${schema}`, statement);
  }
  return statement;
}

interface LoneRow {
  version: string;
  position: string;
}

/** Runs the lone-append statement; the result when it wrote, undefined when it wrote nothing. */
export async function runLoneAppend(
  client: PoolClient,
  schema: string,
  a: PreparedAppend,
  now: Date,
): Promise<AppendOutcome | undefined> {
  const single = a.events.length === 1;
  const lookup = a.generatedIds !== true;
  const [kind, value] = kindOf(a.expectedVersion);
  const head = [a.streamId, kind, value, categoryOf(a.streamId), streamHash(a.streamId), now];
  let values: unknown[];
  if (single) {
    const e = a.events[0]!;
    values = [
      ...head,
      e.id,
      e.type,
      e.data,
      e.metadata,
      e.correlationId ?? null,
      e.causationId ?? null,
      e.schemaVersion,
    ];
  } else {
    const ev = a.events;
    values = [
      ...head,
      ev.map((e) => e.id),
      ev.map((e) => e.type),
      ev.map((e) => e.data),
      ev.map((e) => e.metadata),
      ev.map((e) => e.correlationId ?? null),
      ev.map((e) => e.causationId ?? null),
      ev.map((e) => e.schemaVersion),
    ];
  }
  const result = await client.query<LoneRow>({ ...loneStatement(schema, single, lookup), values });
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return { ok: true, result: { nextVersion: BigInt(row.version), position: BigInt(row.position) } };
}

/** One call of `append_batch` (its general path) for the whole batch. */
async function runBatchFunction(
  client: PoolClient,
  schema: string,
  appends: readonly PreparedAppend[],
  now: Date,
  fast: boolean,
): Promise<AppendOutcome[]> {
  const streams: string[] = [];
  const kinds: number[] = [];
  const expected: (string | null)[] = [];
  const counts: number[] = [];
  const categories: string[] = [];
  const hashes: number[] = [];
  const apps: number[] = [];
  const ks: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const meta: string[] = [];
  const corr: (string | null)[] = [];
  const caus: (string | null)[] = [];
  const schemaVersions: number[] = [];
  appends.forEach((a, i) => {
    const [kind, value] = kindOf(a.expectedVersion);
    streams.push(a.streamId);
    kinds.push(kind);
    expected.push(value);
    counts.push(a.events.length);
    // Once per append, not per event: every event of an append shares its stream.
    categories.push(categoryOf(a.streamId));
    hashes.push(streamHash(a.streamId));
    a.events.forEach((e, k) => {
      apps.push(i + 1);
      ks.push(k + 1);
      ids.push(e.id);
      types.push(e.type);
      data.push(e.data);
      meta.push(e.metadata);
      corr.push(e.correlationId ?? null);
      caus.push(e.causationId ?? null);
      schemaVersions.push(e.schemaVersion);
    });
  });
  const result = await client.query<BatchRow>({
    // Named: parsed once per connection (the function's own statements are planned once too).
    name: statementName('append', schema),
    // The last argument asks for the function's one-statement fast path (a lone append on a
    // connection without the plan guard; see append-function.ts).
    text: `select r_status, r_version, r_position, r_detail from "${schema}".append_batch($1::text[], $2::smallint[], $3::bigint[], $4::integer[], $5::text[], $6::integer[], $7::integer[], $8::integer[], $9::uuid[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::timestamptz, $17::boolean)`,
    values: [
      streams,
      kinds,
      expected,
      counts,
      categories,
      hashes,
      apps,
      ks,
      ids,
      types,
      data,
      meta,
      corr,
      caus,
      schemaVersions,
      now,
      fast,
    ],
  });
  if (result.rows.length !== appends.length) {
    throw new TidingsError(
      'STORE_PROTOCOL',
      `append_batch returned ${result.rows.length} rows for ${appends.length} appends; the schema's function does not match this code.`,
    );
  }
  return result.rows.map((row, i) => toOutcome(row, appends[i]!));
}

function toOutcome(row: BatchRow, append: PreparedAppend): AppendOutcome {
  switch (row.r_status) {
    case 1:
      return { ok: true, result: { nextVersion: BigInt(row.r_version), position: BigInt(row.r_position) } };
    case 3:
      return resolveStoredIds(row.r_detail ?? '[]', append);
    case 4:
      return { ok: false, error: new StreamDeletedError(append.streamId) };
    case 5:
      return { ok: false, error: new ConcurrencyError(append.streamId, append.expectedVersion, BigInt(row.r_version)) };
    default:
      return {
        ok: false,
        error: new TidingsError('STORE_PROTOCOL', `append_batch returned unknown status ${row.r_status}.`),
      };
  }
}

interface RefJson {
  id: string;
  streamId: string;
  version: string;
  position: string;
}

/** Some ids of the append were already stored: the original result, or DuplicateEventError. */
function resolveStoredIds(detail: string, append: PreparedAppend): AppendOutcome {
  const found: StoredEventRef[] = (JSON.parse(detail) as RefJson[]).map((r) => ({
    id: r.id,
    streamId: r.streamId,
    version: BigInt(r.version),
    position: BigInt(r.position),
  }));
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
      error: new TidingsError('STORE_PROTOCOL', 'append_batch reported stored ids but none were listed.'),
    };
  } catch (error) {
    return { ok: false, error: error as TidingsError };
  }
}
