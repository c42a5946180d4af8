import type { DurableHandlerContext } from 'tidings';
import type { ShopState, StateWriter } from '../shop-state.js';
import { stateIn } from '../shop-state.js';

/** Position as a sortable key suffix. */
export const seq = (position: bigint | undefined): string => String(position ?? 0n).padStart(15, '0');

/**
 * Runs an observer's handler with its state bound to the transaction the runner gives it
 * (`effects: 'transactional'`): the state and the checkpoint commit together.
 */
export function withState(
  state: ShopState,
  handle: (state: StateWriter, ctx: DurableHandlerContext) => Promise<void>,
): (ctx: DurableHandlerContext) => Promise<void> {
  return async (ctx) => {
    if (ctx.tx === undefined) throw new Error('observer subscribed without effects: transactional');
    await handle(await stateIn(state, ctx.tx), ctx);
  };
}
