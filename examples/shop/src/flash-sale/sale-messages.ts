import { defineCommand, defineEvent, payload, returns } from 'tidings';
import { z } from 'zod';

// The flash sale (SCENARIOS.md S2). Three kinds of entity, each an event-sourced stream:
// the stock of a product (`stock-<productId>`, with its locks and wait list), a pending-payment
// order (`order-<orderId>`) and the coupon earned by a paid order (`coupon-<orderId>`).

/** How long a buyer has to pay once stock is locked for the order. */
export const PAYMENT_WINDOW_MS = 15 * 60_000;

const toStock = { stream: (e: { data: { productId: string } }) => `stock-${e.data.productId}` };
const toOrder = { stream: (e: { data: { orderId: string } }) => `order-${e.data.orderId}` };

/** What a buyer asks for: `quantity` units of a product, at the sale price (integer cents). */
export interface OrderRequest {
  readonly orderId: string;
  readonly userId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

// ---- stock --------------------------------------------------------------------------------------
export const StockOpened = defineEvent('stock.opened', payload<{ productId: string; quantity: number }>(), toStock);
/** Units are held for an order until it is paid (deducted) or not (released). */
export const StockLocked = defineEvent('stock.locked', payload<OrderRequest & { fromWaitList: boolean }>(), toStock);
/** Not enough stock: the request waits, in order, for released stock. */
export const WaitListed = defineEvent('stock.wait-listed', payload<OrderRequest & { position: number }>(), toStock);
export const StockDeducted = defineEvent(
  'stock.deducted',
  payload<{ productId: string; orderId: string; quantity: number }>(),
  toStock,
);
export const StockReleased = defineEvent(
  'stock.released',
  payload<{ productId: string; orderId: string; quantity: number; reason: string }>(),
  toStock,
);

// ---- orders -------------------------------------------------------------------------------------
export const OrderPlaced = defineEvent(
  'order.placed',
  payload<OrderRequest & { total: number; payBy: string }>(),
  toOrder,
);
export const OrderPaid = defineEvent(
  'order.paid',
  payload<{
    orderId: string;
    userId: string;
    productId: string;
    quantity: number;
    paymentId: string;
    amount: number;
  }>(),
  toOrder,
);
export const OrderCancelled = defineEvent(
  'order.cancelled',
  payload<{ orderId: string; userId: string; productId: string; quantity: number; reason: string }>(),
  toOrder,
);

// ---- coupons ------------------------------------------------------------------------------------
export const CouponIssued = defineEvent(
  'coupon.issued',
  payload<{ couponId: string; orderId: string; userId: string; percentOff: number }>(),
  { stream: (e) => `coupon-${e.data.orderId}` },
);

// ---- the checkout saga's own timer message --------------------------------------------------------
export const PaymentTimedOut = defineEvent('checkout.payment-timed-out', payload<{ orderId: string }>());

export const saleEvents = [
  StockOpened,
  StockLocked,
  WaitListed,
  StockDeducted,
  StockReleased,
  OrderPlaced,
  OrderPaid,
  OrderCancelled,
  CouponIssued,
  PaymentTimedOut,
] as const;
export type StockEvent = ReturnType<
  typeof StockOpened | typeof StockLocked | typeof WaitListed | typeof StockDeducted | typeof StockReleased
>;
export type OrderEvent = ReturnType<typeof OrderPlaced | typeof OrderPaid | typeof OrderCancelled>;
export type CouponEvent = ReturnType<typeof CouponIssued>;

// ---- commands -----------------------------------------------------------------------------------
const id = z.string().min(1).max(200);
const request = {
  orderId: id,
  userId: id,
  productId: id,
  quantity: z.number().int().positive(),
  unitPrice: z.number().int().nonnegative(),
};

export const OpenStock = defineCommand(
  'stock.open',
  z.object({ productId: id, quantity: z.number().int().positive() }),
);
/** What `placeOrder` answers: stock locked for the order (pay within 15 minutes) or a place on the wait list. */
export type PlaceOrderAnswer =
  | { readonly outcome: 'locked'; readonly message: 'stock locked, pay within 15 minutes' }
  | { readonly outcome: 'waiting'; readonly message: 'added to wait list'; readonly position: number };
export const PlaceOrder = defineCommand('flash-sale.place-order', z.object(request), returns<PlaceOrderAnswer>());
export const ConfirmDeduction = defineCommand('stock.confirm-deduction', z.object({ productId: id, orderId: id }));
export const ReleaseStock = defineCommand(
  'stock.release',
  z.object({ productId: id, orderId: id, reason: z.string().min(1) }),
);
export const CreateOrder = defineCommand('order.create', z.object({ ...request, payBy: z.iso.datetime() }));
export const PayOrder = defineCommand(
  'order.pay',
  z.object({ orderId: id, paymentId: id, amount: z.number().int().positive() }),
);
export const CancelOrder = defineCommand('order.cancel', z.object({ orderId: id, reason: z.string().min(1) }));
export const IssueCoupon = defineCommand(
  'coupon.issue',
  z.object({ orderId: id, userId: id, percentOff: z.number().int().min(1).max(100) }),
);

export const saleCommands = [
  OpenStock,
  PlaceOrder,
  ConfirmDeduction,
  ReleaseStock,
  CreateOrder,
  PayOrder,
  CancelOrder,
  IssueCoupon,
] as const;
