import { TidingsError, type Message } from 'tidings';
import type { OrderLine } from './messages.js';
import { OrderCancelled, OrderCreated, OrderPaid, OrderShipped, type ShopEvent } from './messages.js';

export type OrderStatus = 'created' | 'paid' | 'shipped' | 'cancelled';

export type OrderState =
  | { readonly status: 'none' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly userId: string;
      readonly lines: readonly OrderLine[];
      readonly total: number;
    };

export type OrderCommand =
  | Message<'order.create', { orderId: string; userId: string; lines: OrderLine[] }>
  | Message<'order.pay', { orderId: string; paymentId: string; amount: number }>
  | Message<'order.cancel', { orderId: string; reason: string }>
  | Message<'order.ship', { orderId: string; trackingNumber: string }>;

/** A command the order's current state does not allow. Nothing is recorded. */
export class OrderRejectedError extends TidingsError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

const reject = (code: string, message: string): never => {
  throw new OrderRejectedError(code, message);
};

/**
 * The order as a decider: `decide` turns a command and the current state into events (or a
 * rejection), `evolve` folds events into state. No I/O, so it is tested without any bus or store.
 */
export const orderDecider = {
  initialState: (): OrderState => ({ status: 'none' }),

  decide(command: OrderCommand, state: OrderState): ShopEvent[] {
    const id = command.data.orderId;
    if (command.type === 'order.create') {
      if (state.status !== 'none') reject('ORDER_EXISTS', `Order ${id} already exists (status ${state.status}).`);
      const total = command.data.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
      return [OrderCreated({ orderId: id, userId: command.data.userId, lines: command.data.lines, total })];
    }
    if (state.status === 'none') return reject('ORDER_NOT_FOUND', `Order ${id} does not exist: create it first.`);
    switch (command.type) {
      case 'order.pay':
        if (state.status !== 'created') {
          reject(
            'ORDER_NOT_PAYABLE',
            `Cannot pay order ${id}: it is ${state.status}; an order can be paid only while created.`,
          );
        }
        if (command.data.amount !== state.total) {
          reject(
            'PAYMENT_AMOUNT_MISMATCH',
            `Payment ${command.data.paymentId} is ${command.data.amount} cents; order ${id} totals ${state.total}.`,
          );
        }
        return [
          OrderPaid({
            orderId: id,
            userId: state.userId,
            paymentId: command.data.paymentId,
            amount: command.data.amount,
            lines: [...state.lines],
          }),
        ];
      case 'order.cancel':
        if (state.status !== 'created' && state.status !== 'paid') {
          reject(
            'ORDER_NOT_CANCELLABLE',
            `Cannot cancel order ${id}: it is ${state.status}; only created or paid orders can be cancelled.`,
          );
        }
        return [
          OrderCancelled({
            orderId: id,
            userId: state.userId,
            reason: command.data.reason,
            wasPaid: state.status === 'paid',
            lines: [...state.lines],
          }),
        ];
      case 'order.ship':
        if (state.status !== 'paid')
          reject('ORDER_NOT_SHIPPABLE', `Cannot ship order ${id}: it is ${state.status}; pay it first.`);
        return [OrderShipped({ orderId: id, userId: state.userId, trackingNumber: command.data.trackingNumber })];
    }
  },

  evolve(state: OrderState, event: ShopEvent): OrderState {
    switch (event.type) {
      case 'order.created':
        return {
          status: 'created',
          orderId: event.data.orderId,
          userId: event.data.userId,
          lines: event.data.lines,
          total: event.data.total,
        };
      case 'order.paid':
        return state.status === 'none' ? state : { ...state, status: 'paid' };
      case 'order.cancelled':
        return state.status === 'none' ? state : { ...state, status: 'cancelled' };
      case 'order.shipped':
        return state.status === 'none' ? state : { ...state, status: 'shipped' };
    }
  },
};

export const orderStream = (orderId: string): string => `order-${orderId}`;
