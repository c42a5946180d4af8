import { assertKnownKeys, integerOption } from '../reliability/options.js';
import { createProcessorRunner } from '../processing/runner.js';
import type { Processor, ProcessorRunnerOptions, ProcessorStatus } from '../processing/processor-types.js';
import type { EventStore } from '../store/types.js';

/** Options of {@link runToHead}. */
export interface RunToHeadOptions<Connection = unknown> extends Pick<
  ProcessorRunnerOptions<Connection>,
  'owner' | 'clock' | 'random' | 'onError' | 'onParked'
> {
  /** Bound of the whole run in ms (start, catch-up, stop). Default 10 000. */
  readonly timeoutMs?: number;
}

/**
 * Runs processors until they handled everything stored when it was called (the store's head),
 * then stops them: the checkpoint is written, the lease released. For tests: append, run to the
 * head, assert on the read model or the parked events.
 *
 * @example
 * await store.append('order-1', [OrderPaid({ orderId: '1', amount: 10 })]);
 * const [status] = await runToHead(store, totals);
 * expect(status.handled).toBe(1);
 */
export async function runToHead<Connection>(
  store: EventStore<Connection>,
  processors: Processor<Connection> | readonly Processor<Connection>[],
  options?: RunToHeadOptions<Connection>,
): Promise<ProcessorStatus[]> {
  assertKnownKeys('runToHead', options, ['owner', 'clock', 'random', 'onError', 'onParked', 'timeoutMs']);
  const timeoutMs = integerOption('runToHead', 'timeoutMs', options?.timeoutMs ?? 10_000, 1);
  const { timeoutMs: _bound, ...runnerOptions } = options ?? {};
  const list = Array.isArray(processors) ? processors : [processors as Processor<Connection>];
  const runner = createProcessorRunner(store, {
    ...runnerOptions,
    processors: list,
    startTimeoutMs: timeoutMs,
    stopTimeoutMs: timeoutMs,
  });
  await runner.start();
  try {
    await runner.catchUp({ timeoutMs });
  } finally {
    await runner.stop();
  }
  return runner.status();
}
