// Child: appends through the store for `durationMs` with `loops` concurrent appenders (so group
// commit coalesces them), then prints counts. Never waits on other writers.
import { postgresEventStore } from '../../index.js';

const [url, schema, durationArg, idArg, loopsArg] = process.argv.slice(2) as [string, string, string, string, string];
const store = postgresEventStore({ connectionString: url, schema, lockTimeoutMs: 20_000, statementTimeoutMs: 40_000 });
const end = Date.now() + Number(durationArg);
let ok = 0;
let events = 0;
const failures: Record<string, number> = {};

async function loop(loopId: number): Promise<void> {
  for (let i = 0; Date.now() < end; i++) {
    const n = 1 + (i % 3);
    const batch = Array.from({ length: n }, (_, k) => ({
      type: 'test.written',
      data: { writer: idArg, loop: loopId, i, k },
    }));
    try {
      await store.append(`w${idArg}_${loopId}-${i % 7}`, batch);
      ok++;
      events += n;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unknown';
      failures[code] = (failures[code] ?? 0) + 1;
    }
  }
}

try {
  await Promise.all(Array.from({ length: Number(loopsArg) }, (_, i) => loop(i)));
  console.log(JSON.stringify({ ok, events, failures }));
} finally {
  await store.close();
}
