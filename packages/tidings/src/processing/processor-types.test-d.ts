import { describe, expectTypeOf, it } from 'vitest';
import { defineEvent, payload } from '../messages/define.js';
import type { RecordedEvent, StoreTransaction } from '../store/types.js';
import { defineProcessor } from './define-processor.js';
import type { Processor, ProcessorContext } from './processor-types.js';

const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());

describe('defineProcessor types', () => {
  it('types the event from type names and definitions', () => {
    defineProcessor({
      name: 'a',
      events: ['order.placed', OrderPaid],
      handle: (event) => {
        expectTypeOf(event).toEqualTypeOf<
          RecordedEvent<'order.placed'> | RecordedEvent<'order.paid', { orderId: string; amount: number }>
        >();
      },
    });
  });

  it('gives tx only to transactional and inbox handlers', () => {
    defineProcessor({
      name: 'ext',
      handle: (_event, ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<ProcessorContext>();
      },
    });
    defineProcessor({
      name: 'tx',
      effects: 'transactional',
      handle: (_event, ctx) => {
        expectTypeOf(ctx.tx).toEqualTypeOf<StoreTransaction<unknown>>();
      },
    });
    defineProcessor({
      name: 'inbox',
      effects: 'inbox',
      handleBatch: (events, { tx }) => {
        expectTypeOf(events).toEqualTypeOf<readonly RecordedEvent<string>[]>();
        expectTypeOf(tx).toEqualTypeOf<StoreTransaction<unknown>>();
      },
    });
  });

  it('carries the connection type of an annotated context', () => {
    interface Db {
      exec(sql: string): void;
    }
    const p = defineProcessor({
      name: 'db',
      effects: 'transactional',
      handle: (_event, ctx: { tx: StoreTransaction<Db> } & ProcessorContext) => ctx.tx.connection.exec('select 1'),
    });
    expectTypeOf(p).toEqualTypeOf<Processor<Db>>();
    // A processor that needs no connection runs with any store.
    const plain: Processor<Db> = defineProcessor({ name: 'plain', handle: () => undefined });
    void plain;
  });
});
