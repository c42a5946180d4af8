// Test support shared by the examples' integration tests (not part of any package).
import pg from 'pg';
import { reachable } from './reachable.js';

/** Where integration tests find PostgreSQL. */
export const PG_URL = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<boolean> | undefined;

/**
 * True when PostgreSQL answers. Outside CI an unreachable server skips the caller's suite with one
 * printed line; with CI=true it throws, so the suite fails instead of passing empty.
 */
export function postgresReachable(suite: string): Promise<boolean> {
  probe ??= reachable('PostgreSQL', PG_URL, suite, async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  return probe;
}

/** A fresh schema name, and a way to drop every schema handed out. */
export function schemas(prefix: string): { next(): string; dropAll(): Promise<void> } {
  const made: string[] = [];
  return {
    next() {
      const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
      made.push(name);
      return name;
    },
    async dropAll() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        for (const name of made) await client.query(`drop schema if exists ${pg.escapeIdentifier(name)} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
