import { ValidationError } from '../errors.js';
import { hexBytes, uuidv5 } from '../sourcing/command-event-ids.js';

// Fixed namespace for timer ids (chosen once; changing it would let a redelivered event schedule twice).
const NAMESPACE = hexBytes('c41d7a90-3e52-4b8f-a6d1-5f09e2b7c834');

/**
 * A deterministic timer id: a name-based UUID (v5) of the owner (e.g. a saga instance id) and the
 * timer's name. The same owner and name always give the same id, so a redelivered event that
 * schedules the timer again does not schedule it twice.
 *
 * @example
 * const id = await timerId('order-42', 'payment-timeout');
 * await store.timers.schedule({ id, streamId: 'order-42', after: 15 * 60_000, message: { type: 'PaymentTimedOut', data: {} } });
 */
export async function timerId(owner: string, name: string): Promise<string> {
  for (const [what, value] of [
    ['owner', owner],
    ['name', name],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
      throw new ValidationError(
        `timerId(owner, name): ${what} must be a non-empty string of at most 512 characters, got ${JSON.stringify(value)}.`,
        [{ path: [what], message: 'invalid' }],
        { code: 'INVALID_TIMER_ID' },
      );
    }
  }
  return uuidv5(NAMESPACE, JSON.stringify([owner, name]));
}
