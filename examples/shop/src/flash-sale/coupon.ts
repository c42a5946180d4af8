import type { Message } from 'tidings';
import { CouponIssued, type CouponEvent } from './sale-messages.js';
import { refuse } from './sale-rejected-error.js';

export type CouponState = { readonly issued: false } | { readonly issued: true; readonly couponId: string };
export type CouponCommand = Message<'coupon.issue', { orderId: string; userId: string; percentOff: number }>;

/** One coupon per paid order, never two (the stream is `coupon-<orderId>`). */
export const couponDecider = {
  initialState: (): CouponState => ({ issued: false }),
  decide(command: CouponCommand, state: CouponState): CouponEvent[] {
    const { orderId, userId, percentOff } = command.data;
    if (state.issued) refuse('COUPON_ALREADY_ISSUED', `Order ${orderId} already earned coupon ${state.couponId}.`);
    return [CouponIssued({ couponId: `FLASH-${orderId}`, orderId, userId, percentOff })];
  },
  evolve: (_state: CouponState, event: CouponEvent): CouponState => ({ issued: true, couponId: event.data.couponId }),
};

export const couponStream = (orderId: string): string => `coupon-${orderId}`;
