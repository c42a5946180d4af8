import type { EventStore, RecordedEvent } from 'tidings';
import { collect, ev, evs } from './fixtures.js';

/** Polls `check` every few ms until it holds; false after `timeoutMs`. */
async function reached(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

/** Differences between what a subscriber delivered and what the store holds. */
function deliveryViolations(label: string, got: readonly RecordedEvent[], all: readonly bigint[]): string[] {
  const out: string[] = [];
  const seen = new Set<bigint>();
  for (let i = 0; i < got.length; i++) {
    const p = got[i]!.position;
    if (seen.has(p)) out.push(`${label}: position ${p} delivered twice`);
    if (i > 0 && p <= got[i - 1]!.position) out.push(`${label}: position ${p} follows ${got[i - 1]!.position}`);
    seen.add(p);
  }
  const missing = all.filter((p) => !seen.has(p));
  if (missing.length > 0)
    out.push(`${label}: never delivered ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  return out;
}

/**
 * Catch-up then live with appends racing the hand-over: 25 stored events read in pages of 4 by a
 * handler that appends while it handles the first 10 (inside catch-up pages and at their
 * boundaries), then, at the live edge, appends the next event each time it handles the latest one
 * (each append lands right after a short page — where a loop that reads the head after the page
 * jumps over it), with concurrent appends sharing commits; an iterating subscriber (pages of 3)
 * reads alongside. Returns the gaps, duplicates and reorderings found (empty when correct).
 * The subscriptions' own poll is off, so only the store's wake-ups move them.
 */
export async function subscriptionHandOver(store: EventStore, timeoutMs = 10_000): Promise<string[]> {
  const NO_POLL = 600_000;
  for (let i = 0; i < 25; i++) await store.append(`s-${i % 4}`, [ev('test.happened', { i })]);
  let frontier = (await store.headPosition()) + 1n;
  let chain = 0;
  let chained = 0; // chain steps finished (their append and background appends issued)
  const seen: RecordedEvent[] = [];
  const background: Promise<unknown>[] = [];
  const sub = store.subscribe({ pageSize: 4, pollIntervalMs: NO_POLL }, async (e) => {
    seen.push(e);
    if (seen.length <= 10) {
      await store.append(`h-${seen.length % 3}`, [ev('test.handled', { i: seen.length })]);
    } else if (e.position >= frontier - 1n && chain < 30) {
      chain++;
      frontier = (await store.append(`e-${chain % 3}`, [ev('test.chained', { i: chain })])).position + 1n;
      if (chain % 10 === 0) background.push(Promise.all([store.append('c-1', evs(2)), store.append('c-2', evs(3))]));
      chained++;
    }
  });
  const iterated: RecordedEvent[] = [];
  const readerSub = store.subscribe({ pageSize: 3, pollIntervalMs: NO_POLL });
  const reader = (async () => {
    for await (const e of readerSub) iterated.push(e);
  })();
  const out: string[] = [];
  try {
    if (!(await reached(() => chained === 30, timeoutMs))) {
      out.push(`the handler's chain of appends at the live edge stopped after ${chained} of 30`);
    }
    await Promise.all(background);
    const head = await store.headPosition();
    if (!(await reached(() => seen.at(-1)?.position === head, timeoutMs))) {
      out.push(`the handler subscription stopped at ${seen.at(-1)?.position ?? 'nothing'}, head ${head}`);
    }
    if (!(await reached(() => iterated.at(-1)?.position === head, timeoutMs))) {
      out.push(`the iterating subscription stopped at ${iterated.at(-1)?.position ?? 'nothing'}, head ${head}`);
    }
    // A few turns more: a late duplicate would show up.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2));
  } finally {
    await readerSub.close();
    await sub.close();
    await reader;
    await sub.done.catch((error: unknown) => out.push(`the handler subscription failed: ${String(error)}`));
  }
  const all = (await collect(store.readAll())).map((e) => e.position);
  if (all.length !== 25 + 10 + 30 + 3 * 5) out.push(`the store holds ${all.length} events, expected 80`);
  out.push(...deliveryViolations('handler', seen, all), ...deliveryViolations('iterator', iterated, all));
  return out;
}
