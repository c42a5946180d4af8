import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { postgresEventStore } from '@tidings/postgres';
import { sqliteEventStore } from '@tidings/sqlite';
import pg from 'pg';
import { createInMemoryEventStore, TidingsError, type EventStore } from 'tidings';
import { memoryShopState, type ShopState } from './shop-state.js';
import { postgresShopState } from './shop-state.postgres.js';
import { sqliteShopState } from './shop-state.sqlite.js';

export type StoreKind = 'memory' | 'sqlite' | 'postgres';

/**
 * Opens the store the demo runs on: one setting, `TIDINGS_STORE`, moves the same shop from memory
 * to an SQLite file (the default, no server) to PostgreSQL. The demo starts from an empty store
 * each run, so it drops what a previous run left.
 */
export async function openDemoStore(
  kind: string = process.env['TIDINGS_STORE'] ?? 'sqlite',
): Promise<{ store: EventStore; state: ShopState; where: string }> {
  switch (kind) {
    case 'memory':
      return {
        store: createInMemoryEventStore(),
        state: memoryShopState(),
        where: 'memory (nothing kept)',
      };
    case 'sqlite': {
      const path = resolve(process.env['TIDINGS_SQLITE_PATH'] ?? 'shop.db');
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      return {
        store: await sqliteEventStore(path),
        state: sqliteShopState(),
        where: `SQLite file ${path}`,
      };
    }
    case 'postgres': {
      const connectionString = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
      const schema = process.env['TIDINGS_PG_SCHEMA'] ?? 'tidings_shop_demo';
      const admin = new pg.Client({ connectionString });
      await admin.connect();
      try {
        await admin.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
      } finally {
        await admin.end();
      }
      const store = postgresEventStore({ connectionString, schema });
      await store.migrate();
      return { store, state: postgresShopState(schema), where: `PostgreSQL schema ${schema}` };
    }
    default:
      throw new TidingsError(
        'INVALID_OPTION',
        `TIDINGS_STORE=${kind} is not a store the demo knows: use memory, sqlite or postgres.`,
      );
  }
}
