import { describe, expect, it } from 'vitest';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import { ValidationError } from '../errors.js';
import { defineSaga } from '../sagas/define-saga.js';
import { SagaScenario } from './saga-scenario.js';
import { SpecFailedError } from './spec-error.js';

const MIN = 60_000;
const NOW = Date.UTC(2026, 0, 1, 12);
const StockLocked = defineEvent('stock.locked', payload<{ orderId: string }>());
const OrderPaid = defineEvent('order.paid', payload<{ orderId: string }>());
const PaymentTimedOut = defineEvent('checkout.payment-timed-out', payload<{ orderId: string }>());
const CancelOrder = defineCommand('order.cancel', payload<{ orderId: string; reason: string }>());
const ConfirmOrder = defineCommand('order.confirm', payload<{ orderId: string }>());

interface State {
  readonly status: 'new' | 'awaiting-payment' | 'paid' | 'timed-out';
}

const checkout = defineSaga({
  name: 'checkout',
  startedBy: [StockLocked],
  handles: [OrderPaid, PaymentTimedOut],
  correlate: (event) => event.data.orderId,
  initialState: (): State => ({ status: 'new' }),
  react(state, event, saga): State | undefined {
    switch (event.type) {
      case 'stock.locked':
        saga.schedule('payment-timeout', PaymentTimedOut({ orderId: event.data.orderId }), { after: 15 * MIN });
        return { status: 'awaiting-payment' };
      case 'order.paid':
        if (state.status !== 'awaiting-payment') return undefined;
        saga.cancel('payment-timeout');
        saga.send(ConfirmOrder({ orderId: event.data.orderId }));
        saga.complete();
        return { status: 'paid' };
      case 'checkout.payment-timed-out':
        if (event.data.orderId === 'boom') throw new Error('react failed');
        saga.send(CancelOrder({ orderId: event.data.orderId, reason: 'payment timeout' }));
        saga.complete();
        return { status: 'timed-out' };
    }
  },
});

function failure(fn: () => unknown): SpecFailedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecFailedError) return error;
    throw error;
  }
  throw new Error('expected the scenario to fail');
}

describe('SagaScenario', () => {
  const scenario = SagaScenario.for(checkout, { now: NOW });

  it('checks the timer a starting event schedules, with its due time from now', () => {
    scenario.when(StockLocked({ orderId: 'o-1' })).then({
      state: { status: 'awaiting-payment' },
      scheduled: [{ name: 'payment-timeout', event: PaymentTimedOut({ orderId: 'o-1' }), dueAt: NOW + 15 * MIN }],
      sends: [],
      completed: false,
    });
  });

  it('checks sends, cancels and completion after given events', () => {
    scenario
      .given([StockLocked({ orderId: 'o-1' })])
      .when(OrderPaid({ orderId: 'o-1' }))
      .then({ sends: [ConfirmOrder({ orderId: 'o-1' })], cancelled: ['payment-timeout'], completed: true });
  });

  it('applies the runtime rules: not started, completed', () => {
    scenario.when(OrderPaid({ orderId: 'o-1' })).thenIgnored('not-started');
    scenario
      .given([StockLocked({ orderId: 'o-1' }), OrderPaid({ orderId: 'o-1' })])
      .when(PaymentTimedOut({ orderId: 'o-1' }))
      .thenIgnored('completed');
  });

  it('fails with a diff when the reaction differs (the spec can fail)', () => {
    const wrongSend = failure(() =>
      scenario
        .given([StockLocked({ orderId: 'o-1' })])
        .when(PaymentTimedOut({ orderId: 'o-1' }))
        .then({ sends: [CancelOrder({ orderId: 'o-1', reason: 'other' })] }),
    );
    expect(wrongSend.message).toContain('(sends)');
    expect(wrongSend.message).toContain('payment timeout');
    const wrongDue = failure(() =>
      scenario.when(StockLocked({ orderId: 'o-1' })).then({
        scheduled: [{ name: 'payment-timeout', event: PaymentTimedOut({ orderId: 'o-1' }), dueAt: NOW + 14 * MIN }],
      }),
    );
    expect(wrongDue.message).toContain('(scheduled)');
    expect(failure(() => scenario.when(OrderPaid({ orderId: 'o-1' })).then({ completed: true })).message).toContain(
      'ignored (not-started)',
    );
    expect(failure(() => scenario.when(StockLocked({ orderId: 'o-1' })).thenIgnored()).message).toContain(
      'it was handled',
    );
    expect(
      failure(() =>
        scenario
          .given([StockLocked({ orderId: 'o-1' })])
          .when(OrderPaid({ orderId: 'o-2' }))
          .thenIgnored(),
      ).message,
    ).toContain("belongs to instance 'o-1'");
  });

  it('reports what react threw', () => {
    const error = scenario
      .given([StockLocked({ orderId: 'boom' })])
      .when(PaymentTimedOut({ orderId: 'boom' }))
      .thenThrows(Error);
    expect((error as Error).message).toBe('react failed');
    expect(failure(() => scenario.when(StockLocked({ orderId: 'o-1' })).thenThrows()).message).toContain(
      'expected the reaction to throw',
    );
    expect(() =>
      scenario
        .given([StockLocked({ orderId: 'boom' })])
        .when(PaymentTimedOut({ orderId: 'boom' }))
        .result(),
    ).toThrow(SpecFailedError);
  });

  it('refuses unknown keys and a saga not made by defineSaga', () => {
    expect(() => SagaScenario.for(checkout, { nwo: 1 } as never)).toThrow(ValidationError);
    expect(() => SagaScenario.for({ name: 'x', startedBy: [], handles: [], sends: undefined })).toThrow(/defineSaga/);
    expect(() => scenario.when(StockLocked({ orderId: 'o-1' })).then({ complete: true } as never)).toThrow(
      ValidationError,
    );
  });
});
