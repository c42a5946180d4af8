import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { Message } from '../messages/message.js';
import type { Processor } from '../processing/processor-types.js';
import { sagaBehaviour } from '../sagas/define-saga.js';
import { SagaCommandNotHandledError } from '../sagas/saga-errors.js';
import { sagaStreamId } from '../sagas/saga-ids.js';
import { sagaProcessors } from '../sagas/saga-processors.js';
import { loadInstance } from '../sagas/saga-stream.js';
import type { Saga, SagaInstance } from '../sagas/saga-types.js';
import type { EventStore } from '../store/types.js';
import type { Clock } from '../time/clock.js';

/** `app.sagas`: read saga instances from their streams. */
export interface AppSagas {
  /**
   * The instance's state, stream version of its last transition and completion, read from its
   * stream (`saga.<name>-<id>`); `undefined` when the instance does not exist. For tests and demos:
   * the stream's history (`store.readStream`) shows every transition.
   */
  get<S = unknown>(name: string | Saga<S>, id: string): Promise<SagaInstance<S> | undefined>;
}

/** What the app gives its sagas. */
export interface SagaWiringOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly hasHandler: (type: string) => boolean;
  readonly send: (command: Message, id: string) => Promise<unknown>;
  readonly onScheduled: () => void;
}

/** The sagas of an app: their processors, the start check of their declared sends, and `app.sagas`. */
export interface SagaWiring {
  readonly processors: readonly Processor[];
  /** Throws `SagaCommandNotHandledError` when a declared send has no handler (at `start()`). */
  checkSends(): void;
  readonly api: AppSagas;
}

/** Validates the `sagas` option (each from defineSaga, names unique). */
export function checkSagasOption(sagas: unknown): readonly Saga[] {
  if (sagas === undefined) return [];
  if (!Array.isArray(sagas)) {
    throw new ValidationError(
      `createTidings: 'sagas' must be an array of defineSaga(...) results, got ${describeValue(sagas)}.`,
      [{ path: ['sagas'], message: 'not an array' }],
      { code: 'INVALID_OPTION' },
    );
  }
  const names = new Set<string>();
  for (const saga of sagas as Saga[]) {
    sagaBehaviour(saga);
    if (names.has(saga.name)) {
      throw new ValidationError(
        `createTidings: two sagas are named '${saga.name}'. The name keys the instances' streams and processors: give each saga a unique name.`,
        [{ path: ['sagas'], message: 'duplicate name' }],
        { code: 'DUPLICATE_SAGA' },
      );
    }
    names.add(saga.name);
  }
  return sagas as Saga[];
}

/** Wires the app's sagas (with a store). */
export function wireSagas(sagas: readonly Saga[], options: SagaWiringOptions): SagaWiring {
  const byName = new Map(sagas.map((s) => [s.name, s] as const));
  return {
    processors: sagas.flatMap((saga) => sagaProcessors(saga, options)),
    checkSends() {
      for (const saga of sagas) {
        for (const type of saga.sends ?? []) {
          if (!options.hasHandler(type))
            throw new SagaCommandNotHandledError(saga.name, type, 'declared in its sends, checked at app.start()');
        }
      }
    },
    api: {
      async get<S>(name: string | Saga<S>, id: string): Promise<SagaInstance<S> | undefined> {
        const sagaName = typeof name === 'string' ? name : (name as Partial<Saga> | null)?.name;
        if (typeof sagaName !== 'string' || !byName.has(sagaName)) {
          throw new ValidationError(
            `app.sagas.get(${describeValue(sagaName)}, …): no saga of this app has that name. Known: ${[...byName.keys()].map((n) => `'${n}'`).join(', ') || '(none)'}.`,
            [{ path: ['name'], message: 'unknown saga' }],
            { code: 'UNKNOWN_SAGA' },
          );
        }
        if (typeof id !== 'string' || id.length === 0) {
          throw new ValidationError(
            `app.sagas.get('${sagaName}', id): id must be a non-empty string (the instance id correlate returns), got ${describeValue(id)}.`,
            [{ path: ['id'], message: 'not an instance id' }],
            { code: 'INVALID_SAGA_ID' },
          );
        }
        const { last } = await loadInstance(options.store, sagaStreamId(sagaName, id));
        if (last === undefined) return undefined;
        return { state: last.data.state as S, version: last.version, completed: last.data.completed };
      },
    },
  };
}

/** `app.sagas` of an app without a store or sagas: every name is unknown. */
export function noSagas(): AppSagas {
  return wireSagas([], {
    store: undefined as unknown as EventStore,
    clock: undefined as unknown as Clock,
    hasHandler: () => false,
    send: () => Promise.resolve(),
    onScheduled: () => undefined,
  }).api;
}
