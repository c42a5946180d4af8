import type { PoolClient } from 'pg';
import { categoryOf, ConcurrencyError, resolveIdempotentAppend, StreamDeletedError, TidingsError } from 'tidings';
import type { AppendResult, ExpectedVersion, PreparedEvent, StoredEventRef } from 'tidings';
import { streamHash } from './stream-hash.js';

/** One validated, encoded append waiting to be written. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
  /** Approximate JSON size, for the group-commit byte bound. */
  readonly bytes: number;
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
 * Writes a batch of appends with one call of the schema's `append_batch` function: one round trip.
 * With `autocommit` (no caller transaction around it) the statement commits on its own, so the
 * batch is one transaction, and a lone append may take the function's one-statement fast path.
 * Throws only when the statement itself fails (then nothing of the batch is stored, or the
 * outcome is unknown if the connection died); per-append refusals come back as outcomes.
 */
export async function runAppendBatch(
  client: PoolClient,
  schema: string,
  appends: readonly PreparedAppend[],
  now: Date,
  autocommit = false,
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
  const call = (fast: boolean) =>
    client.query<BatchRow>({
      // Named: parsed once per connection (the function's own statements are planned once too).
      name: `tidings_append_${schema}`,
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
  let result;
  try {
    // The one-statement fast path only outside a caller's transaction (see append-function.ts).
    result = await call(autocommit && appends.length === 1);
  } catch (error) {
    // The fast path met an id committed while it waited for the stream lock; its failed call
    // left nothing, and the general path answers exactly (the original result, or a duplicate).
    if (!(autocommit && appends.length === 1 && (error as { code?: unknown }).code === '23505')) throw error;
    result = await call(false);
  }
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
