import { defineEvent, payload } from 'tidings';
import { map, pipe, storeSource } from 'tidings/streams';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';

const Reading = defineEvent('reading.recorded', payload<{ n: number }>());
const tmp = tempDir('tidings-stream-source-');
afterAll(() => tmp.remove());

describe('storeSource on SQLite', () => {
  it('a pipeline reopened on the same file (a restarted process) resumes after its checkpoint', async () => {
    const file = tmp.path('resume.db');
    {
      await using store = await sqliteEventStore(file);
      for (let n = 1; n <= 6; n++) await store.append(`reading-${n}`, [Reading({ n })]);
      const source = storeSource(store, { processor: 'averages', checkpointEvery: 2 });
      const seen: number[] = [];
      const running = pipe(
        source,
        map((e) => (e.data as { n: number }).n),
      ).start();
      const done = running.pipeTo((n) => void seen.push(n));
      await vi.waitFor(() => expect(seen).toHaveLength(6), { timeout: 5_000 });
      await running.stop();
      await done;
      await source.close();
      expect((await store.processing.getCheckpoint('averages'))?.position).toBe(6n);
    }
    await using reopened = await sqliteEventStore(file);
    await reopened.append('reading-7', [Reading({ n: 7 })]);
    const source = storeSource(reopened, { processor: 'averages' });
    const first = await pipe(
      source,
      map((e) => (e.data as { n: number }).n),
    )
      .start()
      .next();
    expect(first.value).toBe(7);
    expect(source.stats().resumedFrom).toBe(6n);
    await source.close();
  });
});
