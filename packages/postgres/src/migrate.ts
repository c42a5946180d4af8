import type { PoolClient } from 'pg';
import { IncompatibleStoreError, TidingsError } from 'tidings';
import { quoteIdent } from './sql/identifiers.js';
import { CODE_SCHEMA_VERSION, MIGRATIONS, STORE_KIND } from './sql/migrations.js';

/** What {@link PostgresEventStore.migrate} did. */
export interface MigrationResult {
  /** Schema version found (0 for a new schema). */
  readonly from: number;
  /** Schema version now. */
  readonly to: number;
  /** Versions applied by this call; empty when another process had already migrated. */
  readonly applied: readonly number[];
}

export interface StoreIdentity {
  readonly storeId: string;
  readonly version: number;
}

// Arbitrary constant first half of the advisory lock key, so our locks do not collide with the app's.
const LOCK_CLASS = 0x7469_6469; // 'tidi'
const MIGRATION_LOCK_TIMEOUT_MS = 120_000;

function newer(schema: string, found: number): IncompatibleStoreError {
  return new IncompatibleStoreError(
    `PostgreSQL schema '${schema}' is at store version ${found}, newer than this code understands (${CODE_SCHEMA_VERSION}). It was written by a newer @tidings/postgres; upgrade the package. The schema is left untouched.`,
  );
}

/**
 * Applies missing migrations in one transaction under an advisory lock keyed by the schema name,
 * so concurrent callers (several processes starting at once) wait for the first and then find
 * nothing to do. Refuses a schema written by newer code or one holding tables that are not ours.
 */
export async function migrateSchema(client: PoolClient, schema: string): Promise<MigrationResult> {
  const s = quoteIdent(schema);
  await client.query('begin');
  try {
    await client.query(`set local lock_timeout = ${MIGRATION_LOCK_TIMEOUT_MS}`);
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    await client.query(`create schema if not exists ${s}`);
    const marker = await client.query<{ n: string }>(
      `select count(*) as n from pg_tables where schemaname = $1 and tablename = 'tidings_store'`,
      [schema],
    );
    if (marker.rows[0]?.n === '0') {
      const foreign = await client.query<{ tablename: string }>(
        `select tablename from pg_tables where schemaname = $1 and tablename in ('head', 'streams', 'events')`,
        [schema],
      );
      if (foreign.rows.length > 0) {
        throw new IncompatibleStoreError(
          `PostgreSQL schema '${schema}' already has table(s) ${foreign.rows.map((r) => r.tablename).join(', ')} but no tidings_store marker: it is not a Tidings store. Choose another schema name; nothing was changed.`,
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
    const found = await readIdentity(client, schema);
    if (found.version > CODE_SCHEMA_VERSION) throw newer(schema, found.version);
    const applied: number[] = [];
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

async function readIdentity(client: PoolClient, schema: string): Promise<StoreIdentity> {
  const row = await client.query<{ kind: string; schema_version: number; store_id: string }>(
    `select kind, schema_version, store_id from ${quoteIdent(schema)}.tidings_store`,
  );
  const r = row.rows[0];
  if (r === undefined || r.kind !== STORE_KIND) {
    throw new IncompatibleStoreError(
      `PostgreSQL schema '${schema}' has a tidings_store table that is not a Tidings event store marker. Choose another schema.`,
    );
  }
  return { storeId: r.store_id, version: r.schema_version };
}

/** Checks, without changing anything, that the schema is a store this code can use. */
export async function checkSchema(client: PoolClient, schema: string): Promise<StoreIdentity> {
  let found: StoreIdentity;
  try {
    found = await readIdentity(client, schema);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01' || (error as { code?: unknown }).code === '3F000') {
      throw new TidingsError(
        'STORE_NOT_MIGRATED',
        `PostgreSQL schema '${schema}' holds no Tidings event store yet. Run store.migrate() (or create the store with { migrate: true }) before using it.`,
        { cause: error },
      );
    }
    throw error;
  }
  if (found.version > CODE_SCHEMA_VERSION) throw newer(schema, found.version);
  if (found.version < CODE_SCHEMA_VERSION) {
    throw new TidingsError(
      'STORE_NOT_MIGRATED',
      `PostgreSQL schema '${schema}' is at store version ${found.version}; this code needs ${CODE_SCHEMA_VERSION}. Run store.migrate() to upgrade it.`,
    );
  }
  return found;
}
