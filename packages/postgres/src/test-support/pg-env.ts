import pg from 'pg';

/** Where the integration tests find PostgreSQL. */
export const PG_URL = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<boolean> | undefined;

/**
 * True when the server answers. Outside CI an unreachable server skips the suite with one printed
 * line; with CI=true it throws, so the suite fails instead of passing empty.
 */
export function pgAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (process.env['CI'] === 'true')
        throw new Error(`PostgreSQL at ${PG_URL} is unreachable (${why}) and CI=true: integration tests must run.`);
      console.log(`[skip] @tidings/postgres integration tests: PostgreSQL at ${PG_URL} is unreachable (${why}).`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

/** A fresh schema name for one test run. */
export function randomSchema(prefix = 't'): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Runs SQL on a throwaway connection (admin work in tests: triggers, drops, terminations). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`drop schema if exists "${schema}" cascade`);
}
