import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { defineEvent, payload } from './define.js';
import { isUuid, uuidv7Generator, uuidv7Time } from './ids.js';
import { assertMessageType, assertPattern, categoryOf, compilePattern } from './names.js';
import { fromWire, toWire } from './wire.js';
import { LazyEnvelope } from './envelope.js';
import { systemClock } from '../time/clock.js';
import { isTraceparent } from './metadata.js';
import { createEventBus } from '../bus/event-bus.js';

describe('UUIDv7 ids', () => {
  it('are valid v7 UUIDs carrying the millisecond and strictly increasing within one millisecond', () => {
    let now = 1_700_000_000_000;
    const next = uuidv7Generator({ now: () => now });
    const ids = Array.from({ length: 5000 }, () => next());
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(uuidv7Time(ids[0]!)).toBe(now);
    now -= 10; // a clock that steps back never breaks the order
    const later = next();
    expect(later > ids.at(-1)!).toBe(true);
  });

  it('take their randomness from an injectable source', () => {
    const a = uuidv7Generator({ now: () => 0, random: (b) => b.fill(7) });
    const b = uuidv7Generator({ now: () => 0, random: (b2) => b2.fill(7) });
    expect(a()).toBe(b());
  });
});

describe('type names and patterns', () => {
  it.each(['order.paid', 'sensor.temperature', 'UserCreated', 'a.b-c.d_e', 'x1'])('accepts the type %j', (t) => {
    expect(() => assertMessageType(t)).not.toThrow();
  });
  it.each(['', 'order..paid', '.x', 'x.', 'a b', 'a.*', '-a', 'a-', 'x'.repeat(201)])('refuses the type %j', (t) => {
    expect(() => assertMessageType(t)).toThrow(ValidationError);
  });
  it.each(['order.**.x', 'order..paid', '***', 'a.**b', ''])('refuses the pattern %j', (p) => {
    expect(() => assertPattern(p)).toThrow(expect.objectContaining({ code: 'INVALID_PATTERN' }));
  });
  it('matches * as one segment and trailing ** as one or more', () => {
    expect(compilePattern('order.*')('order.paid')).toBe(true);
    expect(compilePattern('order.*')('order.line.added')).toBe(false);
    expect(compilePattern('order.**')('order.line.added')).toBe(true);
    expect(compilePattern('order.**')('order')).toBe(false);
    expect(compilePattern('*.paid')('user.paid')).toBe(true);
    expect(compilePattern('a-b.*')('a-b.c')).toBe(true);
  });
  it('takes the category before the first dash', () => {
    expect(categoryOf('order-42')).toBe('order');
    expect(categoryOf('order-42-x')).toBe('order');
    expect(categoryOf('singleton')).toBe('singleton');
  });
  it('refuses a malformed type at definition', () => {
    expect(() => defineEvent('order..paid')).toThrow(ValidationError);
  });
});

describe('definitions', () => {
  it('build messages and narrow with is()', () => {
    const OrderPaid = defineEvent('order.paid', payload<{ orderId: string }>());
    const m = OrderPaid({ orderId: 'o' }, { source: 'test' });
    expect(m).toEqual({ type: 'order.paid', data: { orderId: 'o' }, metadata: { source: 'test' } });
    expect(OrderPaid.is(m)).toBe(true);
    expect(OrderPaid.is({ type: 'order.shipped' })).toBe(false);
    expect(OrderPaid.schema).toBeUndefined();
  });
});

describe('definitions without a shape', () => {
  it('carry null data, which emit and publish accept', async () => {
    const LoggedOut = defineEvent('user.logged-out');
    const bus = createEventBus({ events: [LoggedOut] });
    const seen: unknown[] = [];
    bus.subscribe('user.logged-out', (e) => void seen.push(e.data));
    bus.emit(LoggedOut(null));
    await bus.publish((LoggedOut as unknown as () => ReturnType<typeof LoggedOut>)()); // called from JavaScript
    expect(seen).toEqual([null, null]);
  });
});

describe('wire form', () => {
  it('round-trips an envelope through CloudEvents-style headers and a JSON body', () => {
    const envelope = new LazyEnvelope(
      { clock: systemClock, nextId: () => '0190a5b2-7c41-7000-8f3e-000000000001' },
      {
        type: 'order.paid',
        data: { orderId: 'o-1', amount: 9900 },
        metadata: {
          correlationId: 'c',
          causationId: 'k',
          schemaVersion: 2,
          tenant: 'acme',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      },
      'order-o-1',
      undefined,
    );
    const wire = toWire(envelope);
    expect(wire.headers['ce-type']).toBe('order.paid');
    expect(wire.headers['tidings-stream-id']).toBe('order-o-1');
    const back = fromWire(wire);
    expect(back).toMatchObject({
      id: envelope.id,
      type: 'order.paid',
      streamId: 'order-o-1',
      data: { orderId: 'o-1', amount: 9900 },
    });
    expect(back.metadata).toEqual(envelope.metadata);
    expect(back.occurredAt.getTime()).toBe(envelope.occurredAt.getTime());
  });
  it('refuses a message without the required headers or with a broken body', () => {
    expect(() => fromWire({ headers: {}, body: '{}' })).toThrow(
      expect.objectContaining({ code: 'INVALID_WIRE_MESSAGE' }),
    );
    expect(() =>
      fromWire({ headers: { 'ce-id': 'x', 'ce-type': 'a.b', 'ce-time': new Date().toISOString() }, body: '{' }),
    ).toThrow(ValidationError);
  });
  it.each([
    ['tidings-meta that is JSON null', { 'tidings-meta': 'null', 'ce-source': 'billing' }, 'tidings-meta'],
    ['tidings-meta that is a JSON string', { 'tidings-meta': '"x"' }, 'tidings-meta'],
    ['tidings-meta that is a JSON array', { 'tidings-meta': '[1]' }, 'tidings-meta'],
    ['an unparseable ce-time', { 'ce-time': 'yesterday' }, 'ce-time'],
    ['a non-integer schema version', { 'tidings-schema-version': 'two' }, 'tidings-schema-version'],
  ])('refuses %s with a typed error naming the header', (_what, headers, name) => {
    const base = { 'ce-id': 'x', 'ce-type': 'a.b', 'ce-time': '2026-01-01T00:00:00.000Z' };
    let error: unknown;
    try {
      fromWire({ headers: { ...base, ...headers }, body: '{}' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_WIRE_MESSAGE' });
    expect((error as Error).message).toContain(name);
  });
  it('recognises W3C traceparent values', () => {
    expect(isTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe(true);
    expect(isTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBe(false);
    expect(isTraceparent('nope')).toBe(false);
  });
});
