import type { Message } from 'tidings';
import { OrderCancelled, OrderPaid, OrderPlaced, type OrderEvent, type OrderRequest } from './sale-messages.js';
import { refuse } from './sale-rejected-error.js';

export type SaleOrderStatus = 'awaiting-payment' | 'paid' | 'cancelled';

export type SaleOrderState =
  | { readonly status: 'none' }
  | (OrderRequest & {
      readonly status: SaleOrderStatus;
      readonly total: number;
      readonly payBy: string;
      readonly reason?: string;
    });

export type SaleOrderCommand =
  | Message<'order.create', OrderRequest & { payBy: string }>
  | Message<'order.pay', { orderId: string; paymentId: string; amount: number }>
  | Message<'order.cancel', { orderId: string; reason: string }>;

/**
 * A flash-sale order: created once its stock is locked, then paid or cancelled, once. Unlike the
 * S1 shop's order, a paid order cannot be cancelled: its stock is already deducted.
 */
export const saleOrderDecider = {
  initialState: (): SaleOrderState => ({ status: 'none' }),

  decide(command: SaleOrderCommand, state: SaleOrderState): OrderEvent[] {
    const id = command.data.orderId;
    if (command.type === 'order.create') {
      if (state.status !== 'none') refuse('ORDER_EXISTS', `Order ${id} already exists (${state.status}).`);
      const { payBy, ...request } = command.data;
      return [OrderPlaced({ ...request, total: request.quantity * request.unitPrice, payBy })];
    }
    if (state.status === 'none') return refuse('ORDER_NOT_FOUND', `Order ${id} does not exist.`);
    const base = { orderId: id, userId: state.userId, productId: state.productId, quantity: state.quantity };
    switch (command.type) {
      case 'order.pay':
        if (state.status === 'cancelled') {
          refuse('ORDER_CANCELLED', `Cannot pay order ${id}: it was cancelled (${state.reason ?? 'no reason'}).`);
        }
        if (state.status === 'paid') refuse('ORDER_ALREADY_PAID', `Order ${id} is already paid.`);
        if (command.data.amount !== state.total) {
          refuse(
            'PAYMENT_AMOUNT_MISMATCH',
            `Payment ${command.data.paymentId} is ${command.data.amount} cents; order ${id} totals ${state.total}.`,
          );
        }
        return [OrderPaid({ ...base, paymentId: command.data.paymentId, amount: command.data.amount })];
      case 'order.cancel':
        if (state.status === 'paid') {
          refuse('ORDER_ALREADY_PAID', `Cannot cancel order ${id}: it is already paid and its stock deducted.`);
        }
        if (state.status === 'cancelled') {
          refuse('ORDER_ALREADY_CANCELLED', `Order ${id} is already cancelled (${state.reason ?? 'no reason'}).`);
        }
        return [OrderCancelled({ ...base, reason: command.data.reason })];
    }
  },

  evolve(state: SaleOrderState, event: OrderEvent): SaleOrderState {
    switch (event.type) {
      case 'order.placed': {
        const { total, payBy, ...request } = event.data;
        return { ...request, status: 'awaiting-payment', total, payBy };
      }
      case 'order.paid':
        return state.status === 'none' ? state : { ...state, status: 'paid' };
      case 'order.cancelled':
        return state.status === 'none' ? state : { ...state, status: 'cancelled', reason: event.data.reason };
    }
  },
};

export const saleOrderStream = (orderId: string): string => `order-${orderId}`;
