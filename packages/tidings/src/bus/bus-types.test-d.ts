import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createTidings } from '../app/create-tidings.js';
import { defineCommand, defineEvent, defineQuery, payload, returns } from '../messages/define.js';
import type { Envelope } from '../messages/message.js';
import { createCommandBus } from './request-bus.js';
import { createEventBus } from './event-bus.js';

const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());
const OrderShipped = defineEvent('order.shipped', z.object({ orderId: z.string(), carrier: z.string() }));
const UserPaid = defineEvent('user.paid', payload<{ userId: string }>());
const bus = createEventBus({ events: [OrderPaid, OrderShipped, UserPaid] });

describe('event bus types', () => {
  it('an exact subscription receives that event', () => {
    bus.subscribe('order.paid', (e) => {
      expectTypeOf(e).toEqualTypeOf<Envelope<'order.paid', { orderId: string; amount: number }>>();
    });
  });

  it('a wildcard subscription receives the union of matching events', () => {
    bus.subscribe('order.*', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'order.paid' | 'order.shipped'>();
      if (e.type === 'order.shipped') expectTypeOf(e.data).toEqualTypeOf<{ orderId: string; carrier: string }>();
    });
    bus.subscribe('*.paid', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'order.paid' | 'user.paid'>();
    });
    bus.subscribe('**', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'order.paid' | 'order.shipped' | 'user.paid'>();
    });
  });

  it('a pattern that matches nothing does not compile', () => {
    // @ts-expect-error -- no event type of this bus matches 'invoice.*'
    bus.subscribe('invoice.*', () => {});
  });

  it('publishing an unknown event type does not compile', () => {
    // @ts-expect-error -- 'order.refunded' is not an event of this bus
    bus.emit({ type: 'order.refunded', data: { orderId: 'x' } });
    // @ts-expect-error -- wrong data shape for a known type
    void bus.publish({ type: 'order.paid', data: { orderId: 'x' } });
    bus.emit(OrderPaid({ orderId: 'x', amount: 1 }));
  });

  it('waitFor narrows to the pattern', () => {
    expectTypeOf(bus.waitFor('user.paid')).resolves.toEqualTypeOf<Envelope<'user.paid', { userId: string }>>();
  });

  it('a definition without a shape takes null data', () => {
    const LoggedOut = defineEvent('user.logged-out');
    expectTypeOf(LoggedOut).parameter(0).toEqualTypeOf<null>();
    const withIt = createEventBus({ events: [LoggedOut] });
    withIt.subscribe('user.logged-out', (e) => expectTypeOf(e.data).toEqualTypeOf<null>());
  });

  it('an untyped bus accepts any event', () => {
    const loose = createEventBus();
    loose.emit({ type: 'anything.goes', data: 42 });
    loose.subscribe('a.*', (e) => expectTypeOf(e.data).toBeUnknown());
  });
});

describe('command and query result types', () => {
  const PayOrder = defineCommand('order.pay', payload<{ orderId: string }>(), returns<{ paidAt: string }>());
  const GetTotal = defineQuery('order.total', payload<{ orderId: string }>(), returns<number>());

  it('send returns the declared result type', () => {
    const commands = createCommandBus({ commands: [PayOrder] });
    commands.handle('order.pay', (cmd) => {
      expectTypeOf(cmd.data).toEqualTypeOf<{ orderId: string }>();
      return { paidAt: 'now' };
    });
    // @ts-expect-error -- the handler must return the declared result
    commands.handle('order.pay', () => 42);
    expectTypeOf(commands.send(PayOrder({ orderId: 'o' }))).resolves.toEqualTypeOf<{ paidAt: string }>();
  });

  it('the app facade types ctx.send, ctx.query and ctx.publish', () => {
    const app = createTidings({ events: [OrderPaid], commands: [PayOrder], queries: [GetTotal] });
    app.subscribe('order.paid', async (_e, ctx) => {
      expectTypeOf(await ctx.send(PayOrder({ orderId: 'o' }))).toEqualTypeOf<{ paidAt: string }>();
      expectTypeOf(await ctx.query(GetTotal({ orderId: 'o' }))).toEqualTypeOf<number>();
      // @ts-expect-error -- unknown event type through the context
      await ctx.publish({ type: 'nope.nope', data: {} });
    });
    expectTypeOf(app.query(GetTotal({ orderId: 'o' }))).resolves.toEqualTypeOf<number>();
  });
});
