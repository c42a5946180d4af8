import { ValidationError } from 'tidings';
import { describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import type { PostgresEventStoreOptions } from './index.js';

// Creating a store connects to nothing, so its options are checked without a server.
const open = (options: Partial<PostgresEventStoreOptions>) =>
  postgresEventStore({ connectionString: 'postgres://u@127.0.0.1:1/none', ...options });

const refused = (options: Partial<PostgresEventStoreOptions>): ValidationError => {
  try {
    open(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('INVALID_OPTION');
    return error as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
};

describe('client-side bound options', () => {
  it.each(['connectTimeoutMs', 'checkoutTimeoutMs', 'queryTimeoutMs', 'closeTimeoutMs'] as const)(
    '%s must be an integer number of milliseconds a timer can honour',
    (name) => {
      for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '100', 2 ** 31]) {
        const error = refused({ [name]: bad, statementTimeoutMs: 1_000, lockTimeoutMs: 100 });
        expect(error.message).toContain(name);
      }
    },
  );

  it('queryTimeoutMs must be above statementTimeoutMs, so the server cancels a slow statement first', () => {
    expect(refused({ queryTimeoutMs: 30_000 }).message).toMatch(
      /queryTimeoutMs \(30000\) must be above statementTimeoutMs \(30000\)/,
    );
    expect(refused({ lockTimeoutMs: 100, statementTimeoutMs: 2_000, queryTimeoutMs: 1_000 }).message).toMatch(
      /Lower statementTimeoutMs/,
    );
  });

  it('accepts valid bounds, and derives queryTimeoutMs from statementTimeoutMs by default', async () => {
    await open({ connectTimeoutMs: 1, checkoutTimeoutMs: 2 ** 31 - 1, closeTimeoutMs: 50 }).close();
    // statementTimeoutMs at the timer limit would leave no room above it: the default stays within it.
    await open({ statementTimeoutMs: 2 ** 31 - 2 }).close();
    await open({ lockTimeoutMs: 10, statementTimeoutMs: 20, queryTimeoutMs: 21 }).close();
  });
});
