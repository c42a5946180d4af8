import { createHash } from 'node:crypto';
import { ValidationError } from 'tidings';
import { describeValue } from 'tidings/store-kit';

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schema names are restricted to lower-case SQL identifiers so they never need case folding rules
 * and can be quoted without surprises. The schema is the unit of write scaling (one head row each).
 */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA_RE.test(schema) || schema.startsWith('pg_')) {
    throw new ValidationError(
      `Invalid PostgreSQL schema name ${describeValue(schema)}: expected 1 to 63 characters of a-z, 0-9 and '_', not starting with a digit or 'pg_', such as 'tidings' or 'tenant_42'.`,
      [{ path: ['schema'], message: 'invalid schema name' }],
      { code: 'INVALID_SCHEMA_NAME' },
    );
  }
}

/** Quotes an identifier already checked by {@link assertSchemaName}. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The name of a prepared statement of schema `schema`. PostgreSQL keeps only the first 63 bytes of
 * a statement name, so a long schema name is replaced by a hash of it: two stores sharing a pool
 * must never share a name for different statements.
 */
export function statementName(kind: string, schema: string): string {
  const name = `tidings_${kind}_${schema}`;
  return name.length <= 63 ? name : `tidings_${kind}_${createHash('sha1').update(schema).digest('hex').slice(0, 24)}`;
}
