import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TidingsError, ValidationError } from 'tidings';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './store.js';

// Issue 8 item 12: every way of pointing the store at something it cannot use gets a typed error
// that names the path, at open time — not `writer.pragma is not a function`, not an error without
// the path, not a store that opens and then fails its first append with a raw SQLITE_READONLY.

async function openError(...args: Parameters<typeof sqliteEventStore>): Promise<unknown> {
  return sqliteEventStore(...args).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

/**
 * Makes `path` read-only for this process. Permission bits do not stop root, so as root the file
 * is also made immutable (`chattr +i`); the precondition is verified, never assumed.
 */
function makeReadOnly(path: string): () => void {
  chmodSync(path, 0o444);
  const root = process.getuid?.() === 0;
  if (root) execFileSync('chattr', ['+i', path]);
  try {
    closeSync(openSync(path, 'r+'));
    throw new Error(`test precondition: could not make ${path} read-only for this process`);
  } catch (error) {
    if (!['EACCES', 'EPERM'].includes((error as { code?: string }).code ?? '')) throw error;
  }
  return () => {
    if (root) execFileSync('chattr', ['-i', path]);
    chmodSync(path, 0o644);
  };
}

describe('opening what cannot be a store', () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it('a path that is neither a string nor a Database is a ValidationError (negative control: writer.pragma is not a function)', async () => {
    for (const bad of [42, null, undefined, {}, ['a.db'], new URL('file:///tmp/x.db')]) {
      const error = await openError(bad as never);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('INVALID_STORE_PATH');
      expect((error as Error).message).toMatch(/file path/);
    }
  });

  it('a directory, or a file in a missing directory, fails with an error naming the path', async () => {
    const dir = join(tmp.dir, 'a-directory');
    mkdirSync(dir);
    const asDir = await openError(dir);
    expect(asDir).toBeInstanceOf(TidingsError);
    expect((asDir as TidingsError).code).toBe('STORE_OPEN_FAILED');
    expect((asDir as Error).message).toContain(`'${dir}'`);
    expect((asDir as Error).message).toMatch(/is a directory/);

    const missing = join(tmp.dir, 'no-such-dir', 'events.db');
    const noParent = await openError(missing);
    expect(noParent).toBeInstanceOf(TidingsError);
    expect((noParent as TidingsError).code).toBe('STORE_OPEN_FAILED');
    expect((noParent as Error).message).toContain(`'${missing}'`);
    expect((noParent as Error).message).toContain(join(tmp.dir, 'no-such-dir'));
  });

  it('a read-only store file is refused at open with STORE_READ_ONLY naming it (negative control: the first append failed with raw SQLITE_READONLY)', async () => {
    const path = tmp.path('readonly.db');
    const store = await sqliteEventStore(path);
    await store.append('s-1', [{ type: 'x.happened', data: 1 }]);
    await store.close();
    const restore = makeReadOnly(path);
    try {
      const error = await openError(path);
      expect(error).toBeInstanceOf(TidingsError);
      expect((error as TidingsError).code).toBe('STORE_READ_ONLY');
      expect((error as Error).message).toContain(`'${path}'`);
    } finally {
      restore();
    }
    // Writable again: it opens and appends.
    await using again = await sqliteEventStore(path);
    expect((await again.append('s-1', [{ type: 'x.happened', data: 2 }])).nextVersion).toBe(2n);
  });

  it('a Database opened read-only is refused with STORE_READ_ONLY', async () => {
    const path = tmp.path();
    await (await sqliteEventStore(path)).close();
    const db = new Database(path, { readonly: true });
    try {
      const error = await openError(db);
      expect((error as TidingsError).code).toBe('STORE_READ_ONLY');
      expect((error as Error).message).toContain(path);
    } finally {
      db.close();
    }
  });

  it('options that are not an object are refused with INVALID_OPTIONS', async () => {
    for (const bad of ['full', null, 5, []]) {
      const error = await openError(tmp.path(), bad as never);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('INVALID_OPTIONS');
    }
  });
});
