import type { EventStore, RecordedEvent } from '../../store/types.js';

/** A promise opened by hand: lets a test hold a handler at a known point. */
export interface Gate {
  readonly wait: () => Promise<void>;
  readonly open: () => void;
  readonly opened: boolean;
}

export function gate(): Gate {
  let open!: () => void;
  let opened = false;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return {
    wait: () => promise,
    open: () => {
      opened = true;
      open();
    },
    get opened() {
      return opened;
    },
  };
}

/** Polls `predicate` (no fixed sleep: it returns as soon as the state is there), failing after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`waitUntil: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Appends one event `{ type, data: { n } }` per item, each in its own append. */
export async function appendAll(
  store: EventStore,
  items: readonly (readonly [streamId: string, n: number])[],
  type = 'thing.happened',
): Promise<void> {
  for (const [streamId, n] of items) await store.append(streamId, [{ type, data: { n } }]);
}

export const numberOf = (event: RecordedEvent): number => (event.data as { n: number }).n;

/** Interleaved events of `streams` streams, `perStream` each: [`${prefix}-${s}`, n] with n counting globally. */
export function interleaved(prefix: string, streams: number, perStream: number): [string, number][] {
  const items: [string, number][] = [];
  for (let i = 0; i < streams * perStream; i++) items.push([`${prefix}-${i % streams}`, i]);
  return items;
}
