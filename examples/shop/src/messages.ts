import { defineCommand, defineEvent, defineQuery, payload, returns } from 'tidings';
import { z } from 'zod';

/** One line of an order. Amounts are integer cents. */
export interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

const line = z.object({
  productId: z.string().min(1),
  quantity: z.number().int().positive(),
  unitPrice: z.number().int().nonnegative(),
});

// Events: what happened to an order. Each goes to its order's stream, `order-<id>`.
const toOrder = { stream: (e: { data: { orderId: string } }) => `order-${e.data.orderId}` };
export const OrderCreated = defineEvent(
  'order.created',
  payload<{ orderId: string; userId: string; lines: OrderLine[]; total: number }>(),
  toOrder,
);
export const OrderPaid = defineEvent(
  'order.paid',
  payload<{ orderId: string; userId: string; paymentId: string; amount: number; lines: OrderLine[] }>(),
  toOrder,
);
export const OrderCancelled = defineEvent(
  'order.cancelled',
  payload<{ orderId: string; userId: string; reason: string; wasPaid: boolean; lines: OrderLine[] }>(),
  toOrder,
);
export const OrderShipped = defineEvent(
  'order.shipped',
  payload<{ orderId: string; userId: string; trackingNumber: string }>(),
  toOrder,
);

export const shopEvents = [OrderCreated, OrderPaid, OrderCancelled, OrderShipped] as const;
export type ShopEvent = ReturnType<(typeof shopEvents)[number]>;

// Commands: what a caller asks the order service to do. Validated where they enter.
export const CreateOrder = defineCommand(
  'order.create',
  z.object({ orderId: z.string().min(1), userId: z.string().min(1), lines: z.array(line).min(1) }),
  returns<{ total: number }>(),
);
export const PayOrder = defineCommand(
  'order.pay',
  z.object({ orderId: z.string().min(1), paymentId: z.string().min(1), amount: z.number().int().positive() }),
);
export const CancelOrder = defineCommand(
  'order.cancel',
  z.object({ orderId: z.string().min(1), reason: z.string().min(1) }),
);
export const ShipOrder = defineCommand(
  'order.ship',
  z.object({ orderId: z.string().min(1), trackingNumber: z.string().min(1) }),
);

export const shopCommands = [CreateOrder, PayOrder, CancelOrder, ShipOrder] as const;

export const GetOrder = defineQuery('order.get', payload<{ orderId: string }>(), returns<OrderView | undefined>());
export const shopQueries = [GetOrder] as const;

export interface OrderView {
  readonly orderId: string;
  readonly userId: string;
  readonly status: 'created' | 'paid' | 'shipped' | 'cancelled';
  readonly total: number;
}
