import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConcurrencyError, IncompatibleStoreError, StreamDeletedError, ValidationError } from 'tidings';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { APPLICATION_ID, LATEST_VERSION } from './migrations.js';
import { sqliteEventStore } from './store.js';

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('opening files', () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  /** Opening must fail with IncompatibleStoreError naming `mentions`, leaving the file byte-for-byte unchanged. */
  async function expectRefused(path: string, mentions: RegExp): Promise<void> {
    const before = sha(path);
    const error: unknown = await sqliteEventStore(path).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IncompatibleStoreError);
    expect((error as Error).message).toMatch(mentions);
    expect((error as Error).message).toMatch(/not changed/);
    expect(sha(path)).toBe(before);
    expect(existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`).length : 0).toBe(0);
  }

  it('creates a new file with our application_id and the latest user_version', async () => {
    const path = tmp.path();
    await (await sqliteEventStore(path)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a SQLite file of another application', async () => {
    const path = tmp.path('foreign.db');
    const db = new Database(path);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    db.pragma('application_id = 42');
    db.close();
    await expectRefused(path, /another application \(application_id 42/);
  });

  it('refuses a SQLite file with tables but no application_id', async () => {
    const path = tmp.path('plain.db');
    const db = new Database(path);
    db.exec("CREATE TABLE events (position INTEGER PRIMARY KEY, x TEXT); INSERT INTO events (x) VALUES ('theirs')");
    db.close();
    await expectRefused(path, /another application/);
  });

  it('refuses a file that is not SQLite', async () => {
    const path = tmp.path('notes.txt');
    writeFileSync(path, 'These are my notes, not a database.\n'.repeat(200));
    await expectRefused(path, /not a readable SQLite database/);
  });

  it('refuses a store written by a newer release (higher user_version)', async () => {
    const path = tmp.path();
    await (await sqliteEventStore(path)).close();
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    await expectRefused(path, new RegExp(`schema version ${LATEST_VERSION + 1}, newer`));
  });

  it('refuses in-memory databases with a ValidationError pointing elsewhere', async () => {
    await expect(sqliteEventStore(':memory:')).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses bad options with a ValidationError naming the option', async () => {
    await expect(sqliteEventStore(tmp.path(), { synchronous: 'off' as 'full' })).rejects.toThrow(/synchronous/);
    await expect(sqliteEventStore(tmp.path(), { lockTimeoutMs: -1 })).rejects.toThrow(/lockTimeoutMs/);
  });

  it('states its durability setting', async () => {
    await using normal = await sqliteEventStore(tmp.path('n.db'));
    await using full = await sqliteEventStore(tmp.path('f.db'), { synchronous: 'full' });
    expect((await normal.info()).durability).toMatch(/synchronous=NORMAL/);
    expect((await full.info()).durability).toMatch(/synchronous=FULL/);
    expect((await normal.info()).kind).toBe('sqlite');
  });
});

describe('positions', () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it('deleting the last events of the store and appending again never reuses a position, even after reopening', async () => {
    const path = tmp.path();
    {
      await using store = await sqliteEventStore(path);
      await store.append('gone-1', [
        { type: 'x.happened', data: 1 },
        { type: 'x.happened', data: 2 },
        { type: 'x.happened', data: 3 },
      ]);
      await store.deleteStream('gone-1', { mode: 'hard' });
      expect(await collect(store.readAll())).toEqual([]);
    }
    await using store = await sqliteEventStore(path);
    const r = await store.append('next-1', [{ type: 'x.happened', data: 4 }]);
    expect(r.position).toBe(4n);
    expect(await store.headPosition()).toBe(4n);
  });

  it('negative control: the same check fails for a plain INTEGER PRIMARY KEY (no AUTOINCREMENT)', () => {
    const db = new Database(tmp.path('plain.db'));
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, data TEXT)');
    const insert = db.prepare('INSERT INTO events (data) VALUES (?)');
    for (const d of ['1', '2', '3']) insert.run(d);
    db.exec('DELETE FROM events');
    expect(Number(insert.run('4').lastInsertRowid)).toBe(1); // reused: a reader at position 3 would skip it
    db.close();
  });
});

describe('bad input writes nothing', () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it('wrong expected version, invalid stream id, non-serialisable data, oversized event, tombstoned stream', async () => {
    await using store = await sqliteEventStore(tmp.path(), { maxEventBytes: 1000 });
    await store.append('ok-1', [{ type: 'x.happened', data: {} }]);
    await store.deleteStream('dead-1', { mode: 'hard' });
    const head = await store.headPosition();
    await expect(
      store.append('ok-1', [{ type: 'x.happened', data: {} }], { expectedVersion: 5n }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.append('bad\u0000id', [{ type: 'x.happened', data: {} }])).rejects.toMatchObject({
      code: 'INVALID_STREAM_ID',
    });
    await expect(store.append('ok-1', [{ type: 'x.happened', data: { n: 1n } }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.append('ok-1', [{ type: 'x.happened', data: 'x'.repeat(2000) }])).rejects.toMatchObject({
      code: 'EVENT_TOO_LARGE',
    });
    await expect(store.append('dead-1', [{ type: 'x.happened', data: {} }])).rejects.toBeInstanceOf(StreamDeletedError);
    expect(await store.headPosition()).toBe(head);
    expect(await collect(store.readAll())).toHaveLength(1);
  });
});
