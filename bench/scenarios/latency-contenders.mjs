// Contenders of the latency scenario. Each is built with `build({ capacity, onError })` and offers:
//   subscribe(handler) -> { idle(): Promise<void> }  — the handler receives the payload object
//   publish(payload)   -> Promise<void> (awaited contenders) or undefined (inline, synchronous ones)
// Every handler is the caller's function, called once per event with the payload; ours receives the
// envelope and passes `event.data` on, as a real handler reads it. A contender is imported only in
// its own process, so no library warms another one's JIT.
import { createQueuedEmitter } from '../lib/hand-rolled-queue.mjs';

const TYPE = 'bench.tick';

// `onError` receives every handler failure: the measurement counts them and fails the run, so a
// failing handler is never counted as a fast delivery.
async function createBus(onError, options = {}) {
  const { createEventBus } = await import('../../packages/tidings/dist/index.js');
  if (typeof createEventBus !== 'function')
    throw new Error('packages/tidings/dist does not export createEventBus yet (run npm run build)');
  return createEventBus({ ...options, onError: (f) => onError(f.error) });
}

function queuedBus(options) {
  return async ({ capacity, onError }) => {
    const bus = await createBus(onError, options);
    return {
      subscribe: (handler) =>
        bus.subscribe(TYPE, (event) => handler(event.data), { queue: { capacity, concurrency: 1 } }),
      publish: (payload) => bus.publish({ type: TYPE, data: payload }),
    };
  };
}

async function eventEmitter3() {
  const { default: EventEmitter } = await import('eventemitter3');
  return EventEmitter;
}

/** Queued delivery: the handler runs off the publisher's call, from a bounded queue, one at a time. */
export const queuedContenders = {
  'tidings (queued)': queuedBus({}),
  // The same without the publish-time JSON check (on by default), to show what that check costs.
  'tidings (queued, checkSerializable: false)': queuedBus({ checkSerializable: false }),
  'eventemitter3 + queue (queueMicrotask)': async ({ capacity, onError }) =>
    createQueuedEmitter(await eventEmitter3(), TYPE, { capacity, drain: 'microtask', onError }),
  'eventemitter3 + queue (setImmediate)': async ({ capacity, onError }) =>
    createQueuedEmitter(await eventEmitter3(), TYPE, { capacity, drain: 'immediate', onError }),
};

/** Inline delivery, for reference: the handler runs inside the publisher's synchronous `emit`. */
export const inlineContenders = {
  'tidings (inline emit)': async ({ onError }) => {
    const bus = await createBus(onError);
    return {
      subscribe: (handler) => {
        const sub = bus.subscribe(TYPE, (event) => handler(event.data));
        return { idle: () => sub.idle() };
      },
      publish: (payload) => bus.emit({ type: TYPE, data: payload }),
    };
  },
  'eventemitter3 (inline emit)': async () => {
    const EventEmitter = await eventEmitter3();
    const ee = new EventEmitter();
    return {
      subscribe: (handler) => {
        ee.on(TYPE, handler);
        return { idle: () => Promise.resolve() };
      },
      publish: (payload) => void ee.emit(TYPE, payload),
    };
  },
};

export const allContenders = { ...queuedContenders, ...inlineContenders };
