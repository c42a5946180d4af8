// Child: migrates one schema and prints what it did. Started 4 at a time by migrate.int.test.ts.
import { postgresEventStore } from '../../index.js';

const [url, schema] = process.argv.slice(2) as [string, string];
const store = postgresEventStore({ connectionString: url, schema, poolSize: 1 });
try {
  const result = await store.migrate();
  console.log(JSON.stringify({ applied: result.applied, from: result.from, to: result.to }));
} finally {
  await store.close();
}
