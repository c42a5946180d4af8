import { postgresEventStore } from '../index.js';
import type { PostgresEventStore, PostgresEventStoreOptions } from '../index.js';
import { dropSchema, PG_URL, randomSchema } from './pg-env.js';

/** Opens stores in fresh schemas and drops them all at the end. */
export function storeFactory(prefix: string): {
  open(options?: Partial<PostgresEventStoreOptions>): Promise<PostgresEventStore>;
  cleanup(): Promise<void>;
} {
  const opened: PostgresEventStore[] = [];
  const schemas = new Set<string>();
  return {
    async open(options = {}) {
      const schema = options.schema ?? randomSchema(prefix);
      schemas.add(schema);
      const store = postgresEventStore({ connectionString: PG_URL, ...options, schema });
      opened.push(store);
      await store.migrate();
      return store;
    },
    async cleanup() {
      for (const s of opened) await s.close();
      for (const s of schemas) await dropSchema(s);
    },
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
