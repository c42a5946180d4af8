import type { Message } from 'tidings';
import {
  StockDeducted,
  StockLocked,
  StockOpened,
  StockReleased,
  WaitListed,
  type OrderRequest,
  type StockEvent,
} from './sale-messages.js';
import { refuse } from './sale-rejected-error.js';

/**
 * The stock of one product in the sale. `available + locked + sold` is always the opening
 * quantity (see {@link stockConserved}); requests that do not fit wait in order.
 */
export interface StockState {
  readonly productId: string;
  readonly initial: number;
  readonly available: number;
  /** Units held per order id until the order is paid or cancelled. */
  readonly locks: Readonly<Record<string, number>>;
  readonly sold: number;
  readonly waiting: readonly OrderRequest[];
  /** Every order id this stock has seen (a second request with one is refused). */
  readonly known: Readonly<Record<string, true>>;
}

export type StockCommand =
  | Message<'stock.open', { productId: string; quantity: number }>
  | Message<'flash-sale.place-order', OrderRequest>
  | Message<'stock.confirm-deduction', { productId: string; orderId: string }>
  | Message<'stock.release', { productId: string; orderId: string; reason: string }>;

const closed: StockState = { productId: '', initial: 0, available: 0, locks: {}, sold: 0, waiting: [], known: {} };

/** Units locked in total. */
export const lockedUnits = (s: StockState): number => Object.values(s.locks).reduce((a, b) => a + b, 0);

/** The conservation rule of the sale: opening stock = sold + available + locked. */
export const stockConserved = (s: StockState): boolean => s.initial === s.sold + s.available + lockedUnits(s);

/** Hands released units to the head of the wait list, in order, while the head's quantity fits. */
function serveWaitList(state: StockState, available: number): StockEvent[] {
  const events: StockEvent[] = [];
  for (const next of state.waiting) {
    if (next.quantity > available) break; // first come, first served: nobody overtakes the head
    events.push(StockLocked({ ...next, fromWaitList: true }));
    available -= next.quantity;
  }
  return events;
}

/** The stock as a decider: no I/O, so its rules are tested without a store. */
export const stockDecider = {
  initialState: (): StockState => closed,

  decide(command: StockCommand, state: StockState): StockEvent[] {
    const { productId } = command.data;
    if (command.type === 'stock.open') {
      if (state.productId !== '') {
        refuse('STOCK_ALREADY_OPEN', `The sale of ${productId} is already open with ${state.initial} units.`);
      }
      return [StockOpened({ productId, quantity: command.data.quantity })];
    }
    if (state.productId === '') refuse('NOT_ON_SALE', `${productId} is not on sale: open its stock first.`);
    const { orderId } = command.data;
    switch (command.type) {
      case 'flash-sale.place-order': {
        const { quantity } = command.data;
        if (state.known[orderId]) refuse('ORDER_EXISTS', `Order ${orderId} was already placed.`);
        if (quantity > state.initial) {
          refuse(
            'QUANTITY_EXCEEDS_STOCK',
            `Order ${orderId} asks for ${quantity} units of ${productId}; the whole sale has ${state.initial}.`,
          );
        }
        // While others wait, a newcomer queues behind them even if a few units are free.
        if (state.waiting.length === 0 && quantity <= state.available) {
          return [StockLocked({ ...command.data, fromWaitList: false })];
        }
        return [WaitListed({ ...command.data, position: state.waiting.length + 1 })];
      }
      case 'stock.confirm-deduction': {
        const quantity = state.locks[orderId];
        if (quantity === undefined) refuse('NO_LOCK', `No stock of ${productId} is locked for order ${orderId}.`);
        return [StockDeducted({ productId, orderId, quantity: quantity! })];
      }
      case 'stock.release': {
        const quantity = state.locks[orderId];
        if (quantity === undefined) refuse('NO_LOCK', `No stock of ${productId} is locked for order ${orderId}.`);
        const released = StockReleased({ productId, orderId, quantity: quantity!, reason: command.data.reason });
        return [released, ...serveWaitList(state, state.available + quantity!)];
      }
    }
  },

  evolve(state: StockState, event: StockEvent): StockState {
    switch (event.type) {
      case 'stock.opened':
        return {
          ...closed,
          productId: event.data.productId,
          initial: event.data.quantity,
          available: event.data.quantity,
        };
      case 'stock.locked': {
        const { orderId, quantity } = event.data;
        return {
          ...state,
          available: state.available - quantity,
          locks: { ...state.locks, [orderId]: quantity },
          waiting: event.data.fromWaitList ? state.waiting.filter((w) => w.orderId !== orderId) : state.waiting,
          known: { ...state.known, [orderId]: true },
        };
      }
      case 'stock.wait-listed': {
        const { position: _position, ...request } = event.data;
        return { ...state, waiting: [...state.waiting, request], known: { ...state.known, [request.orderId]: true } };
      }
      case 'stock.deducted': {
        const { [event.data.orderId]: _gone, ...locks } = state.locks;
        return { ...state, locks, sold: state.sold + event.data.quantity };
      }
      case 'stock.released': {
        const { [event.data.orderId]: _gone, ...locks } = state.locks;
        return { ...state, locks, available: state.available + event.data.quantity };
      }
    }
  },
};

export const stockStream = (productId: string): string => `stock-${productId}`;
