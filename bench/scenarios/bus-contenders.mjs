// The event-bus contenders. Each one is built with the same number of subscribers, and every
// subscriber does the same trivial work: add the payload's `n` to a sink. Each subscriber is its
// own function (emittery keeps listeners in a Set, so one shared function would count once).
// A contender is imported only inside its own process, so no library warms another one's JIT.

const TYPE = 'bench.tick';

/** Our bus, imported from the built dist so the figure is what users run. */
async function tidingsBus(options) {
  const { createEventBus } = await import('../../packages/tidings/dist/index.js');
  if (typeof createEventBus !== 'function')
    throw new Error('packages/tidings/dist does not export createEventBus yet (run npm run build)');
  return createEventBus(options);
}

/**
 * Sync contenders: `subscribe(handler)` adds one subscriber receiving the payload, `emit()` dispatches
 * one event synchronously. Ours receives the envelope; its handler reads `event.data.n` (or also
 * `event.id`, to show what the lazily created id costs).
 */
/**
 * Our three variants, for a dispatch function (`emit` for the sync cases, `publish` for the
 * awaited ones): default options; the handler also reading `event.id`; and no JSON check.
 */
const tidingsVariants = (dispatchOf) => ({
  tidings: async () => {
    const bus = await tidingsBus();
    return { subscribe: (add) => bus.subscribe(TYPE, (event) => add(event.data.n)), emit: dispatchOf(bus) };
  },
  'tidings (reads event.id)': async () => {
    const bus = await tidingsBus();
    let idChars = 0;
    return {
      subscribe: (add) =>
        bus.subscribe(TYPE, (event) => {
          idChars += event.id.length;
          add(event.data.n);
        }),
      emit: dispatchOf(bus),
      check: () => idChars > 0,
    };
  },
  'tidings (checkSerializable: false)': async () => {
    const bus = await tidingsBus({ checkSerializable: false });
    return { subscribe: (add) => bus.subscribe(TYPE, (event) => add(event.data.n)), emit: dispatchOf(bus) };
  },
});

export const syncContenders = {
  ...tidingsVariants((bus) => () => bus.emit({ type: TYPE, data: { n: 1 } })),
  'node:events': async () => {
    const { EventEmitter } = await import('node:events');
    const ee = new EventEmitter();
    ee.setMaxListeners(100);
    return { subscribe: (add) => ee.on(TYPE, (p) => add(p.n)), emit: () => ee.emit(TYPE, { n: 1 }) };
  },
  eventemitter3: async () => {
    const { default: EventEmitter } = await import('eventemitter3');
    const ee = new EventEmitter();
    return { subscribe: (add) => ee.on(TYPE, (p) => add(p.n)), emit: () => ee.emit(TYPE, { n: 1 }) };
  },
  mitt: async () => {
    const { default: mitt } = await import('mitt');
    const emitter = mitt();
    return { subscribe: (add) => emitter.on(TYPE, (p) => add(p.n)), emit: () => emitter.emit(TYPE, { n: 1 }) };
  },
  tseep: async () => {
    const { EventEmitter } = await import('tseep');
    const ee = new EventEmitter();
    return { subscribe: (add) => ee.on(TYPE, (p) => add(p.n)), emit: () => ee.emit(TYPE, { n: 1 }) };
  },
  'rxjs Subject': async () => {
    const { Subject } = await import('rxjs');
    const subject = new Subject();
    return { subscribe: (add) => subject.subscribe((p) => add(p.n)), emit: () => subject.next({ n: 1 }) };
  },
};

/** Awaited contenders: `emit()` returns a promise that settles once every subscriber has run. */
export const awaitedContenders = {
  ...tidingsVariants((bus) => () => bus.publish({ type: TYPE, data: { n: 1 } })),
  emittery: async () => {
    const { default: Emittery } = await import('emittery');
    const emitter = new Emittery();
    return { subscribe: (add) => emitter.on(TYPE, (p) => add(p.n)), emit: () => emitter.emit(TYPE, { n: 1 }) };
  },
};
