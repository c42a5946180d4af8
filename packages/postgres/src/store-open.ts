import type { ClientConfig, Pool } from 'pg';
import { ValidationError } from 'tidings';
import { describeValue } from 'tidings/store-kit';
import { describePool, isConnectionError, mapPgError, redactConnectionString } from './connection.js';
import type { SessionSettings } from './connection.js';
import { checkSchema, migrateSchema } from './migrate.js';
import type { MigrationResult, StoreIdentity } from './migrate.js';
import type { PostgresEventStoreOptions } from './options.js';
import type { ProcessingSql } from './processing-sql.js';
import type { WithClient } from './reads.js';
import type { StoreConnections } from './store-connections.js';

/** Where the store's connections come from, checked once at construction. */
export interface StoreSource {
  readonly source: { readonly pool: Pool } | { readonly connectionString: string; readonly poolSize: number };
  /** The server, for error messages (credentials redacted). */
  readonly target: string;
  /** Where the LISTEN connection goes: the same server and credentials as the pool. */
  readonly listenConfig: ClientConfig;
  /** Whether the store created (and so configures and ends) its pool. */
  readonly ownsPool: boolean;
}

/** Checks `options.pool` / `options.connectionString` (clear errors, nothing connects). */
export function resolveSource(options: PostgresEventStoreOptions, poolSize: number): StoreSource {
  const given = (options as PostgresEventStoreOptions | undefined) ?? {};
  if (given.pool !== undefined) {
    if (typeof given.pool !== 'object' || given.pool === null || typeof given.pool.connect !== 'function') {
      throw new ValidationError(
        `postgresEventStore: option 'pool' must be a pg Pool, got ${describeValue(given.pool)}.`,
        [{ path: ['pool'], message: 'not a pg Pool' }],
        { code: 'INVALID_OPTION' },
      );
    }
    return {
      source: { pool: given.pool },
      target: describePool(given.pool),
      listenConfig: given.pool.options,
      ownsPool: false,
    };
  }
  const connectionString = given.connectionString;
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw new ValidationError(
      `postgresEventStore needs a connectionString (postgres://user@host:5432/db) or a pg Pool in options.pool; got connectionString ${describeValue(connectionString)}.`,
      [{ path: ['connectionString'], message: 'missing' }],
      { code: 'INVALID_OPTION' },
    );
  }
  return {
    source: { connectionString, poolSize },
    target: redactConnectionString(connectionString),
    listenConfig: { connectionString },
    ownsPool: true,
  };
}

export interface SchemaAccessDeps {
  readonly connections: StoreConnections;
  readonly schema: string;
  /** The `migrate` option: create or upgrade the schema on first use. */
  readonly migrate: boolean;
  readonly settings: SessionSettings;
  /** Tagged with the store's identity once it is read. */
  readonly processingSql: ProcessingSql;
  readonly assertOpen: () => void;
}

/** The schema, checked (and with `migrate: true` upgraded) before the first call, and the connections of store calls. */
export interface SchemaAccess {
  /** The store's identity, read once; a failure is retried by the next call (the server may come up). */
  readonly ready: () => Promise<StoreIdentity>;
  /** `store.migrate()`. */
  readonly migrate: () => Promise<MigrationResult>;
  /** One pooled connection for one store call, after `ready()`; errors mapped, a broken connection discarded. */
  readonly withClient: WithClient;
}

export function schemaAccess(deps: SchemaAccessDeps): SchemaAccess {
  const { connections, schema, settings, processingSql, assertOpen } = deps;
  let identity: Promise<StoreIdentity> | undefined;

  const ready = (): Promise<StoreIdentity> => {
    identity ??= (async () => {
      const client = await connections.checkout();
      try {
        if (deps.migrate) await migrateSchema(client, schema);
        const found = await checkSchema(client, schema);
        processingSql.storeId = found.storeId;
        return found;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      identity = undefined; // the next call tries again (the server may come up)
      throw error;
    });
    return identity;
  };

  const withClient: WithClient = async (use) => {
    assertOpen();
    await ready();
    const client = await connections.checkout();
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

  const migrate = async (): Promise<MigrationResult> => {
    assertOpen();
    const client = await connections.checkout();
    let broken = false;
    try {
      const result = await migrateSchema(client, schema);
      identity = undefined;
      return result;
    } catch (error) {
      broken = isConnectionError(error);
      throw mapPgError(error, 'store.migrate()', settings);
    } finally {
      client.release(broken);
    }
  };

  return { ready, migrate, withClient };
}
