import { describe, expect, it } from 'vitest';
import { defineEvent, payload } from '../messages/define.js';
import { defineProjection } from '../projections/define-projection.js';
import { memoryCollection } from '../projections/memory-collection.js';
import { ProjectionSpec } from './projection-spec.js';
import { SpecFailedError } from './spec-error.js';

const Paid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());

class NegativeAmount extends Error {}

function totals(options: { rebuildDiffers?: boolean } = {}) {
  const model = memoryCollection<number>('totals');
  let runs = 0;
  const projection = defineProjection({
    name: 'totals',
    events: [Paid],
    readModel: model,
    retry: { maxAttempts: 1 },
    handle: (events, { target }) => {
      runs++;
      for (const e of events) {
        if (e.data.amount < 0) throw new NegativeAmount('negative');
        // A deliberately broken projection: depends on how often it ran, not only on the events.
        const bonus = options.rebuildDiffers === true ? runs : 0;
        target.set(e.data.orderId, (target.get(e.data.orderId) ?? 0) + e.data.amount + bonus);
      }
    },
  });
  return { model, projection };
}

describe('ProjectionSpec', () => {
  it('passes when the read model matches, live and after a rebuild', async () => {
    const { model, projection } = totals();
    await ProjectionSpec.for(projection)
      .given([Paid({ orderId: 'a', amount: 2 })], 'order-a')
      .when([Paid({ orderId: 'a', amount: 3 }), Paid({ orderId: 'b', amount: 1 })], 'order-b')
      .then(() => model.values(), [5, 1]);
  });

  it('fails with a diff when it does not match', async () => {
    const { model, projection } = totals();
    await expect(
      ProjectionSpec.for(projection)
        .when([Paid({ orderId: 'a', amount: 3 })])
        .then(() => model.values(), [4]),
    ).rejects.toThrow(SpecFailedError);
  });

  it('catches a projection whose rebuild differs from its live result (negative control)', async () => {
    const { model, projection } = totals({ rebuildDiffers: true });
    await expect(
      ProjectionSpec.for(projection)
        .given([Paid({ orderId: 'a', amount: 1 })])
        .when([Paid({ orderId: 'a', amount: 1 })])
        .then(() => model.get('a'), 2 + 1 + 2),
    ).rejects.toThrow(/after a rebuild/);
  });

  it('thenThrows asserts the handler failed on a when event', async () => {
    const { projection } = totals();
    const error = await ProjectionSpec.for(projection)
      .when([Paid({ orderId: 'a', amount: -1 })])
      .thenThrows(NegativeAmount);
    expect(error).toBeInstanceOf(NegativeAmount);
    await expect(
      ProjectionSpec.for(projection)
        .when([Paid({ orderId: 'a', amount: 1 })])
        .thenThrows(),
    ).rejects.toThrow(/expected the handler to fail/);
  });
});
