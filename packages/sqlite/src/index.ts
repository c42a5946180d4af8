// The public API of @tidings/sqlite, picked by hand.
export { sqliteEventStore } from './store.js';
export type { SqliteEventStore } from './store.js';
export type { SqliteEventStoreOptions } from './options.js';
export { APPLICATION_ID } from './migrations.js';
export { sqliteTable } from './read-model-table.js';
export type { SqliteTableOptions } from './read-model-table.js';
