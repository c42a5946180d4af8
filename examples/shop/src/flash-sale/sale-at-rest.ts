import type { SaleProgress } from './simulation.js';

/** What {@link lookAtRest} asks of a running sale. */
export interface RestProbe {
  /** How many timers are still pending (not fired, not cancelled). */
  pendingTimers(): Promise<number>;
  /** Waits until every processor has handled what is stored (the app's catch-up). */
  settle(): Promise<void>;
  /** Counts what the store recorded so far (events included). */
  refresh(): Promise<SaleProgress>;
}

/** What one look found: the counts after the catch-up, and whether nothing can move any more. */
export interface RestLook {
  readonly progress: SaleProgress;
  /** Every lock is paid or released. */
  readonly finished: boolean;
  /** Nothing can move on its own: no timer pending, nothing recorded since `before`. */
  readonly quiet: boolean;
}

/**
 * One look at a sale with no buyer action pending: is it finished, or stuck for good?
 *
 * The pending timers are counted FIRST, before the catch-up and the event count. A timer that fires
 * after that read was counted as pending; one that fired before it wrote its event before the
 * count below, so the count differs from `before`. Counting the timers last (after the events)
 * has a gap: a timer firing between the two reads is neither pending nor counted, and its
 * saga's cancel is still in flight when the sale is reported ("awaiting payment without a pending
 * payment timeout", decision 1143).
 *
 * @example
 * const look = await lookAtRest({ pendingTimers: () => store.timers.count(), settle, refresh }, before);
 * if (look.finished || look.quiet) return look.progress;
 */
export async function lookAtRest(probe: RestProbe, before: SaleProgress): Promise<RestLook> {
  const timers = await probe.pendingTimers();
  await probe.settle();
  const progress = await probe.refresh();
  return {
    progress,
    finished: progress.locks === progress.unlocked,
    quiet: timers === 0 && progress.events === before.events,
  };
}
