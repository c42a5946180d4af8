import { ValidationError } from '../errors.js';
import type { AnyDefinition } from '../messages/define.js';
import { assertMessageType } from '../messages/names.js';
import type { StandardSchemaV1 } from '../messages/standard-schema.js';
import type { Sub, SubscriptionRegistry } from './subscription-registry.js';

/** The subscriptions one event type reaches, computed once per type and cached. */
export interface Route {
  readonly type: string;
  readonly schema: StandardSchemaV1 | undefined;
  readonly inline: readonly Sub[];
  readonly queued: readonly Sub[];
  /**
   * True when a plain `emit` of this type needs nothing but inline delivery: no schema, no queues,
   * no category subscriptions, no publish middleware. Routes are rebuilt whenever any of those change.
   */
  readonly direct: boolean;
}

const MAX_CACHED_ROUTES = 10_000;

/**
 * Resolves an event type to its route: the declared schema and the matching pattern
 * subscriptions, split into inline and queued. Routes are cached per type and dropped whenever the
 * subscription set changes; `last` is a one-entry cache in front of the map, which the emit fast
 * path reads directly (bursts of one type skip the hash lookup).
 */
export class RouteTable {
  last: Route | undefined;
  readonly #routes = new Map<string, Route>();
  readonly #registry: SubscriptionRegistry;
  readonly #schemas: Map<string, StandardSchemaV1 | undefined> | undefined;
  /** Publish middleware exists: no route is `direct`. */
  readonly #hasPublishMiddleware: boolean;

  constructor(
    registry: SubscriptionRegistry,
    definitions: readonly AnyDefinition[] | undefined,
    hasPublishMiddleware: boolean,
  ) {
    this.#registry = registry;
    this.#schemas = definitions === undefined ? undefined : schemaMap(definitions);
    this.#hasPublishMiddleware = hasPublishMiddleware;
  }

  routeFor(type: string): Route {
    const last = this.last;
    if (last !== undefined && last.type === type) return last;
    const cached = this.#routes.get(type);
    if (cached !== undefined) return (this.last = cached);
    assertMessageType(type, 'event type');
    let schema: StandardSchemaV1 | undefined;
    if (this.#schemas !== undefined) {
      if (!this.#schemas.has(type)) {
        throw new ValidationError(
          `Unknown event type '${type}': this bus was created with event definitions and '${type}' is not one of them. Add its defineEvent(...) to createEventBus({ events }).`,
          [{ path: ['type'], message: 'undeclared event type' }],
          { code: 'UNKNOWN_TYPE' },
        );
      }
      schema = this.#schemas.get(type);
    }
    const inline: Sub[] = [];
    const queued: Sub[] = [];
    for (const sub of this.#registry.patterns) {
      if (sub.matches!(type)) (sub.queue === undefined ? inline : queued).push(sub);
    }
    const direct =
      schema === undefined &&
      queued.length === 0 &&
      this.#registry.categories.length === 0 &&
      !this.#hasPublishMiddleware;
    const route: Route = { type, schema, inline, queued, direct };
    if (this.#routes.size >= MAX_CACHED_ROUTES) this.#routes.clear();
    this.#routes.set(type, route);
    return (this.last = route);
  }

  /** Drops every cached route (the subscription set changed). */
  clear(): void {
    this.#routes.clear();
    this.last = undefined;
  }
}

function schemaMap(definitions: readonly AnyDefinition[]): Map<string, StandardSchemaV1 | undefined> {
  const map = new Map<string, StandardSchemaV1 | undefined>();
  for (const def of definitions) {
    if (def.kind !== 'event') {
      throw new ValidationError(
        `createEventBus({ events }) got the ${def.kind} '${def.type}': only defineEvent(...) definitions belong there.`,
        [{ path: ['events'], message: 'not an event definition' }],
      );
    }
    if (map.has(def.type)) {
      throw new ValidationError(
        `createEventBus({ events }) got '${def.type}' twice: each event type is defined once. Remove the duplicate defineEvent('${def.type}', …).`,
        [{ path: ['events'], message: 'duplicate event type' }],
        { code: 'DUPLICATE_DEFINITION' },
      );
    }
    map.set(def.type, def.schema);
  }
  return map;
}
