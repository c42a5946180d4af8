// The public API of @tidings/postgres, picked by hand.
export { postgresEventStore } from './store.js';
export type { PostgresEventStore } from './store.js';
export type { PostgresEventStoreOptions } from './options.js';
export type { MigrationResult } from './migrate.js';
export type { SynchronousCommit } from './connection.js';
export { redactConnectionString } from './connection.js';
export { CODE_SCHEMA_VERSION as POSTGRES_STORE_SCHEMA_VERSION } from './sql/migrations.js';
export { postgresTable } from './read-model-table.js';
export type { PostgresTableOptions } from './read-model-table.js';
