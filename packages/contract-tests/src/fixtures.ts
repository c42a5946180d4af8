import {
  uuidv7,
  type TidingsError,
  type EventStore,
  type EventToAppend,
  type Metadata,
  type RecordedEvent,
} from 'tidings';
import { expect } from 'vitest';

/** An event to append; `id` is fresh unless given. */
export function ev(
  type = 'test.happened',
  data: unknown = {},
  extra: { id?: string; metadata?: Metadata } = {},
): EventToAppend {
  return {
    type,
    data,
    id: extra.id ?? uuidv7(),
    ...(extra.metadata === undefined ? {} : { metadata: extra.metadata }),
  };
}

/** `n` events numbered from `start` in their data. */
export function evs(n: number, type = 'test.happened', start = 0): EventToAppend[] {
  return Array.from({ length: n }, (_, i) => ev(type, { n: start + i }));
}

/** Reads an async iterable to the end. The factory form also catches a synchronous throw. */
export async function collect<T>(source: AsyncIterable<T> | (() => AsyncIterable<T>)): Promise<T[]> {
  const iterable = typeof source === 'function' ? source() : source;
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Awaits `fn`, expects it to fail with an instance of `type` (and `code`, when given), returns the error. */
export async function rejects<E extends Error>(fn: () => unknown, type: ErrorClass<E>, code?: string): Promise<E> {
  let error: unknown;
  let failed = false;
  try {
    await fn();
  } catch (e) {
    error = e;
    failed = true;
  }
  expect(failed, `expected a ${type.name}${code === undefined ? '' : ` (${code})`}, but the call succeeded`).toBe(true);
  expect(error).toBeInstanceOf(type);
  if (code !== undefined) expect((error as TidingsError).code).toBe(code);
  return error as E;
}

/** What a test compares to prove that a failed call wrote nothing. */
export async function contents(store: EventStore, streamIds: readonly string[] = []): Promise<unknown> {
  const all = await collect(store.readAll());
  const streams = [];
  for (const id of streamIds)
    streams.push({ info: await store.streamInfo(id), events: (await collect(store.readStream(id))).map(brief) });
  return { head: await store.headPosition(), all: all.map(brief), streams };
}

/** The identifying fields of a recorded event, for compact comparisons. */
export function brief(e: RecordedEvent): {
  id: string;
  streamId: string;
  version: bigint;
  position: bigint;
  type: string;
} {
  return { id: e.id, streamId: e.streamId, version: e.version, position: e.position, type: e.type };
}

/** Versions of events, for `toEqual` against a range. */
export const versions = (events: readonly RecordedEvent[]): bigint[] => events.map((e) => e.version);

/** `[from, from+1, …, to]` (or downwards when `to < from`). */
export function range(from: bigint, to: bigint): bigint[] {
  const out: bigint[] = [];
  const step = to >= from ? 1n : -1n;
  for (let v = from; step > 0n ? v <= to : v >= to; v += step) out.push(v);
  return out;
}

/** Lets other tasks (timers, I/O, other promise chains) run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `check` is true, polling each tick; fails after a generous bound. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
