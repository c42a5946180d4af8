import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AbortedError, DuplicateHandlerError, HandlerNotFoundError, ValidationError } from '../errors.js';
import { defineCommand, defineEvent, defineQuery, payload, returns } from '../messages/define.js';
import type { Envelope } from '../messages/message.js';
import { createTidings } from '../app/create-tidings.js';
import { createCommandBus, createQueryBus } from './request-bus.js';
import { createFakeClock } from '../time/fake-clock.js';

const PayOrder = defineCommand('order.pay', z.object({ orderId: z.string().min(1) }), returns<{ paid: string }>());
const OrderPaid = defineEvent('order.paid', payload<{ orderId: string }>());
const GetOrder = defineQuery('order.get', payload<{ orderId: string }>(), returns<{ status: string } | undefined>());

describe('command bus', () => {
  it('returns the handler result', async () => {
    const commands = createCommandBus({ commands: [PayOrder] });
    commands.handle('order.pay', (cmd) => ({ paid: cmd.data.orderId }));
    await expect(commands.send(PayOrder({ orderId: 'o-1' }))).resolves.toEqual({ paid: 'o-1' });
  });

  it('refuses a second handler for the same type', () => {
    const commands = createCommandBus({ commands: [PayOrder] });
    commands.handle('order.pay', () => ({ paid: 'x' }));
    expect(() => commands.handle('order.pay', () => ({ paid: 'y' }))).toThrow(DuplicateHandlerError);
  });

  it('rejects a command with no handler, naming the type', async () => {
    const commands = createCommandBus();
    const error = await commands.send({ type: 'order.pay', data: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerNotFoundError);
    expect((error as Error).message).toContain("'order.pay'");
  });

  it('validates before running the handler', async () => {
    const commands = createCommandBus({ commands: [PayOrder] });
    let ran = false;
    commands.handle('order.pay', () => {
      ran = true;
      return { paid: '' };
    });
    const error = await commands.send(PayOrder({ orderId: '' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path).toEqual(['orderId']);
    expect(ran).toBe(false);
  });

  it('unregisters with dispose, so the type can be handled again', async () => {
    const commands = createCommandBus({ commands: [PayOrder] });
    {
      using _reg = commands.handle('order.pay', () => ({ paid: 'first' }));
    }
    commands.handle('order.pay', () => ({ paid: 'second' }));
    await expect(commands.send(PayOrder({ orderId: 'o' }))).resolves.toEqual({ paid: 'second' });
  });

  it('runs send middleware around the handler and passes the signal', async () => {
    const log: string[] = [];
    const commands = createCommandBus({
      middleware: [
        async (ctx, next) => {
          log.push(`before ${ctx.kind} ${ctx.handler ?? ''}`);
          const r = await next();
          log.push('after');
          return r;
        },
      ],
    });
    const controller = new AbortController();
    commands.handle('order.pay', (_cmd, ctx) => {
      log.push(`handler signal=${ctx.signal === controller.signal}`);
      return 1;
    });
    await commands.send({ type: 'order.pay', data: {} }, { signal: controller.signal });
    expect(log).toEqual(['before send order.pay', 'handler signal=true', 'after']);
  });

  it('gives the command the id the caller passes, and refuses an empty one', async () => {
    const commands = createCommandBus();
    let seen: string | undefined;
    commands.handle('order.pay', (cmd) => void (seen = cmd.id));
    await commands.send({ type: 'order.pay', data: {} }, { id: 'cmd-1' });
    expect(seen).toBe('cmd-1');
    await expect(commands.send({ type: 'order.pay', data: {} }, { id: '' })).rejects.toMatchObject({
      code: 'INVALID_ID',
    });
  });

  it('refuses an already-aborted signal without running the handler', async () => {
    const commands = createCommandBus();
    let ran = false;
    commands.handle('order.pay', () => void (ran = true));
    const sent = commands.send({ type: 'order.pay', data: {} }, { signal: AbortSignal.abort() });
    await expect(sent).rejects.toMatchObject({ code: 'ABORTED' });
    // The same class as every other abort (waitFor, sleep, retry), so one instanceof check covers them.
    await expect(sent).rejects.toBeInstanceOf(AbortedError);
    expect(ran).toBe(false);
  });
});

describe('query bus', () => {
  it('answers typed queries and refuses duplicates', async () => {
    const queries = createQueryBus({ queries: [GetOrder] });
    queries.handle('order.get', (q) => (q.data.orderId === 'o-1' ? { status: 'paid' } : undefined));
    await expect(queries.send(GetOrder({ orderId: 'o-1' }))).resolves.toEqual({ status: 'paid' });
    await expect(queries.send(GetOrder({ orderId: 'nope' }))).resolves.toBeUndefined();
    expect(() => queries.handle('order.get', () => undefined)).toThrow(DuplicateHandlerError);
  });

  it('refuses the same type defined twice', () => {
    expect(() => createQueryBus({ queries: [GetOrder, GetOrder] })).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_DEFINITION' }),
    );
  });

  it('refuses definitions of the wrong kind', () => {
    expect(() => createQueryBus({ queries: [PayOrder] })).toThrow(ValidationError);
  });
});

describe('createTidings wiring', () => {
  it('a command handler publishes with causation; an event handler sends a query', async () => {
    const app = createTidings({ events: [OrderPaid], commands: [PayOrder], queries: [GetOrder] });
    let paid: Envelope | undefined;
    let answer: unknown;
    app.commands.handle('order.pay', async (cmd, ctx) => {
      await ctx.publish(OrderPaid({ orderId: cmd.data.orderId }));
      return { paid: cmd.data.orderId };
    });
    app.queries.handle('order.get', () => ({ status: 'paid' }));
    app.subscribe('order.paid', async (e, ctx) => {
      paid = e;
      answer = await ctx.query(GetOrder({ orderId: e.data.orderId }));
    });
    const command = PayOrder({ orderId: 'o-9' });
    await expect(app.send(command)).resolves.toEqual({ paid: 'o-9' });
    expect(paid!.metadata.causationId).toBeDefined();
    expect(paid!.metadata.correlationId).toBe(paid!.metadata.causationId);
    expect(answer).toEqual({ status: 'paid' });
    await app.close();
    await expect(app.send(command)).rejects.toMatchObject({ code: 'BUS_CLOSED' });
  });

  it('runs the send and query middleware of the app around their handlers', async () => {
    const log: string[] = [];
    const trace = (name: string) =>
      async function traced(ctx: { kind: string; handler: string | undefined }, next: () => Promise<unknown>) {
        log.push(`${name}:${ctx.kind}:${ctx.handler ?? '?'}`);
        return next();
      };
    const app = createTidings({
      commands: [PayOrder],
      queries: [GetOrder],
      middleware: { send: [trace('send')], query: [trace('query')] },
    });
    app.commands.handle('order.pay', async (cmd, ctx) => {
      await ctx.query(GetOrder({ orderId: cmd.data.orderId }));
      return { paid: cmd.data.orderId };
    });
    app.queries.handle('order.get', () => ({ status: 'paid' }));
    await app.send(PayOrder({ orderId: 'o-1' }));
    expect(log).toEqual(['send:send:order.pay', 'query:query:order.get']);
    await app.close();
  });

  it('close() lets commands already running finish, their publishes included, and refuses new ones', async () => {
    const app = createTidings({ events: [OrderPaid], commands: [PayOrder] });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.commands.handle('order.pay', async (cmd, ctx) => {
      await held; // e.g. the append to the store
      await ctx.publish(OrderPaid({ orderId: cmd.data.orderId }));
      return { paid: cmd.data.orderId };
    });
    const seen: string[] = [];
    app.subscribe('order.paid', (e) => void seen.push(e.data.orderId), { queue: true });
    const running = app.send(PayOrder({ orderId: 'o-1' }));
    await Promise.resolve();
    const closing = app.close();
    await expect(app.send(PayOrder({ orderId: 'o-2' }))).rejects.toMatchObject({ code: 'BUS_CLOSED' });
    release();
    await expect(running).resolves.toEqual({ paid: 'o-1' });
    await closing;
    expect(seen).toEqual(['o-1']);
  });

  it('a standalone bus says how to connect when a handler sends', async () => {
    const commands = createCommandBus();
    commands.handle('a.b', (_c, ctx) => ctx.publish({ type: 'x.y', data: 1 }));
    await expect(commands.send({ type: 'a.b', data: 1 })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });
});

describe('command envelopes', () => {
  it('keep the send time as occurredAt when the handler reads it after an await', async () => {
    const clock = createFakeClock({ now: 5_000 });
    const commands = createCommandBus({ clock });
    commands.handle('slow.run', async (cmd) => {
      await clock.sleep(1_000);
      return cmd.occurredAt.getTime();
    });
    const result = commands.send({ type: 'slow.run', data: null });
    await clock.advance(1_000);
    await expect(result).resolves.toBe(5_000);
  });
});
