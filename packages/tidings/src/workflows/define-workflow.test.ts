import { describe, expect, it } from 'vitest';
import { createTidings } from '../app/create-tidings.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import { defineWorkflow } from './define-workflow.js';

const step = (name: string) => ({ name, execute: () => undefined });
const spec = { name: 'w', id: (i: { id: string }) => i.id, steps: [step('a')] };

describe('defineWorkflow refuses a bad definition at once', () => {
  it('duplicate step names, naming the step', () => {
    expect(() => defineWorkflow({ ...spec, steps: [step('a'), step('b'), step('a')] })).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_STEP', message: expect.stringContaining("two steps are named 'a'") }),
    );
  });

  it('no steps, a bad name, a bad id', () => {
    expect(() => defineWorkflow({ ...spec, steps: [] })).toThrow(expect.objectContaining({ code: 'NO_STEPS' }));
    expect(() => defineWorkflow({ ...spec, name: 'bank-transfer' })).toThrow(
      expect.objectContaining({ code: 'INVALID_WORKFLOW_NAME' }),
    );
    expect(() => defineWorkflow({ ...spec, name: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_WORKFLOW_NAME' }),
    );
    expect(() => defineWorkflow({ ...spec, id: 'x' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_WORKFLOW' }),
    );
    expect(() => defineWorkflow({ ...spec, steps: [{ name: 'a', execute: 1 as never }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_STEP' }),
    );
    expect(() => defineWorkflow({ ...spec, steps: [{ ...step('a'), compensate: 'x' as never }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_STEP' }),
    );
  });

  it('bad policy values', () => {
    const withPolicy = (onFailure: unknown) => () =>
      defineWorkflow({ ...spec, steps: [{ ...step('a'), onFailure: onFailure as never }] });
    for (const bad of [
      { retry: { maxAttempts: 0, delayMs: 1 } },
      { retry: { maxAttempts: 1.5, delayMs: 1 } },
      { retry: { maxAttempts: 101, delayMs: 1 } },
      { retry: { maxAttempts: 2, delayMs: -1 } },
      { retry: { maxAttempts: 2 } },
      { retry: 3 },
      { then: 'explode' },
      'retry',
    ]) {
      expect(withPolicy(bad)).toThrow(expect.objectContaining({ code: 'INVALID_POLICY' }));
    }
    expect(() => defineWorkflow({ ...spec, concurrency: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_WORKFLOW' }),
    );
  });

  it('unknown keys at every level', () => {
    expect(() => defineWorkflow({ ...spec, step: [] } as never)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_OPTION' }),
    );
    expect(() => defineWorkflow({ ...spec, steps: [{ ...step('a'), compensation: () => 1 } as never] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_OPTION' }),
    );
    expect(() => defineWorkflow({ ...spec, steps: [{ ...step('a'), onFailure: { retries: 2 } as never }] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_OPTION' }),
    );
    expect(() =>
      defineWorkflow({
        ...spec,
        steps: [{ ...step('a'), onFailure: { retry: { maxAttempts: 2, delay: 1 } as never } }],
      }),
    ).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPTION' }));
  });

  it('defaults: one attempt, then compensate; the stream category and processor name follow the name', () => {
    const w = defineWorkflow(spec);
    expect(w.steps[0]!.policy).toEqual({ maxAttempts: 1, delayMs: 0, then: 'compensate' });
    expect([w.category, w.processor, w.concurrency]).toEqual(['workflow.w', 'workflow:w', 8]);
  });
});

describe('createTidings({ workflows })', () => {
  it('needs a store, workflows made by defineWorkflow, and unique names', async () => {
    const w = defineWorkflow(spec);
    expect(() => createTidings({ workflows: [w] })).toThrow(expect.objectContaining({ code: 'NO_STORE' }));
    const store = createInMemoryEventStore();
    expect(() => createTidings({ store, workflows: [{ name: 'w' }] as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createTidings({ store, workflows: [w, defineWorkflow(spec)] })).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_WORKFLOW' }),
    );
    const bare = createTidings();
    await expect(bare.workflows.start(w, { id: 'x' })).rejects.toMatchObject({ code: 'NO_STORE' });
    await bare.close();
    await store.close();
  });
});
