import type { Metadata } from '../messages/metadata.js';
import { assertMessageType } from '../messages/names.js';
import type { RecordedEvent, Upcast } from '../store/types.js';
import { UpcastError } from './errors.js';

/**
 * Upgrades the data of one event from schema version n to n + 1. It receives the data at version
 * n and the event as read so far (already renamed, `metadata.schemaVersion` = n).
 */
export type UpcastStep = {
  // Method syntax makes the parameter bivariant, so `(data: { name: string }) => …` is accepted.
  bivariance(data: never, event: RecordedEvent): unknown;
}['bivariance'];

/** The upcasting steps of one event type, keyed by the version each step upgrades from: `{ 1: v1ToV2, 2: v2ToV3 }`. */
export type UpcastChain = Readonly<Record<number, UpcastStep>>;

/**
 * What {@link createUpcaster} takes: a chain of steps per event type, and under the reserved key
 * `aliases` the old names of renamed types (`{ OrderPlaced: 'order.placed' }`).
 */
export type UpcasterDefinition = {
  readonly [eventType: string]: UpcastChain | Readonly<Record<string, string>> | undefined;
} & {
  readonly aliases?: Readonly<Record<string, string>>;
};

/**
 * An {@link Upcast} function (give it to a store's `upcast` option or to `handleCommand`) that
 * also tells the schema version current code writes for each type.
 */
export interface Upcaster extends Upcast {
  /** The schema version events of `type` are written at by this code: one past the last step, 1 without steps. */
  currentVersion(type: string): number;
  /** The current name of `type` (follows aliases; unchanged for names that are not aliases). */
  canonicalType(type: string): string;
}

interface Chain {
  readonly first: number;
  readonly current: number;
  readonly steps: ReadonlyMap<number, UpcastStep>;
}

/**
 * Builds the read-side migration of stored events. On read, an event of an aliased type is renamed,
 * then its data is passed through the steps from its `schemaVersion` (1 when absent) up to the
 * current version, which the result carries. Old streams thus load under new code; stored events
 * are never rewritten.
 *
 * An event newer than the code (a `schemaVersion` past the last step) or one whose version has no
 * step is a typed {@link UpcastError} naming the type and versions — never silently misread.
 * Types without steps pass through unchanged.
 *
 * @example
 * const upcast = createUpcaster({
 *   'order.placed': {
 *     1: (data: { total: number }) => ({ total: { amount: data.total, currency: 'EUR' } }),
 *   },
 *   aliases: { OrderPlaced: 'order.placed' },
 * });
 * const store = createInMemoryEventStore({ upcast });
 */
export function createUpcaster(definition: UpcasterDefinition): Upcaster {
  const aliases = resolveAliases(definition.aliases ?? {});
  const chains = new Map<string, Chain>();
  for (const [type, value] of Object.entries(definition)) {
    if (type === 'aliases' || value === undefined) continue;
    assertMessageType(type, 'upcaster event type');
    if (aliases.has(type)) {
      invalid(
        type,
        `'${type}' is both an alias (of '${aliases.get(type)}') and has upcasting steps; put the steps under the current name`,
      );
    }
    chains.set(type, buildChain(type, value));
  }

  const canonicalType = (type: string): string => aliases.get(type) ?? type;
  const currentVersion = (type: string): number => chains.get(canonicalType(type))?.current ?? 1;

  const upcast = (event: RecordedEvent): RecordedEvent => {
    const type = canonicalType(event.type);
    const chain = chains.get(type);
    const stored = event.metadata.schemaVersion ?? 1;
    if (chain === undefined || stored === chain.current)
      return type === event.type ? event : withShape(event, type, event.data, event.metadata);
    if (!Number.isInteger(stored) || stored < 1) {
      throw new UpcastError(
        'UPCAST_CHAIN_GAP',
        `Event ${event.id} ('${type}') has schemaVersion ${JSON.stringify(stored)}: expected a positive integer.`,
        {
          eventType: type,
          fromVersion: Number(stored),
          knownVersion: chain.current,
        },
      );
    }
    if (stored > chain.current) {
      throw new UpcastError(
        'UNKNOWN_SCHEMA_VERSION',
        `Event ${event.id} ('${type}' in '${event.streamId ?? '?'}') is at schemaVersion ${stored}, but this code knows '${type}' only up to version ${chain.current}. It was written by a newer release: deploy that code (or add the missing upcasters) before reading it.`,
        { eventType: type, fromVersion: stored, knownVersion: chain.current },
      );
    }
    let current = withShape(event, type, event.data, event.metadata);
    for (let version = stored; version < chain.current; version++) {
      const step = chain.steps.get(version);
      if (step === undefined) {
        throw new UpcastError(
          'UPCAST_CHAIN_GAP',
          `Event ${event.id} ('${type}') is at schemaVersion ${version}, but the upcasters of '${type}' start at version ${chain.first}: add a step ${version} -> ${version + 1}.`,
          { eventType: type, fromVersion: version, knownVersion: chain.current },
        );
      }
      let data: unknown;
      try {
        data = step(current.data as never, current);
      } catch (error) {
        throw new UpcastError(
          'UPCAST_FAILED',
          `Upcasting event ${event.id} ('${type}') from schemaVersion ${version} to ${version + 1} threw: ${error instanceof Error ? error.message : String(error)}. Fix the step; the stored event is unchanged.`,
          { eventType: type, fromVersion: version, knownVersion: chain.current, cause: error },
        );
      }
      current = withShape(current, type, data, { ...current.metadata, schemaVersion: version + 1 });
    }
    return current;
  };
  return Object.assign(upcast, { currentVersion, canonicalType });
}

function withShape(event: RecordedEvent, type: string, data: unknown, metadata: Metadata): RecordedEvent {
  // Fields are copied one by one: a store may expose some of them through getters a spread would miss.
  return {
    id: event.id,
    type,
    data,
    metadata,
    streamId: event.streamId,
    version: event.version,
    position: event.position,
    recordedAt: event.recordedAt,
    occurredAt: event.occurredAt,
  };
}

function buildChain(type: string, value: unknown): Chain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(type, `the steps of '${type}' must be an object { 1: (data) => …, 2: … }`);
  }
  const steps = new Map<number, UpcastStep>();
  for (const [key, step] of Object.entries(value)) {
    const version = Number(key);
    if (!/^[1-9][0-9]*$/.test(key) || !Number.isSafeInteger(version)) {
      invalid(
        type,
        `step key '${key}' of '${type}' is not a schema version: use positive integers, the version each step upgrades from`,
      );
    }
    if (typeof step !== 'function') invalid(type, `step ${key} of '${type}' is not a function`);
    steps.set(version, step as UpcastStep);
  }
  const versions = [...steps.keys()].sort((a, b) => a - b);
  if (versions.length === 0) invalid(type, `'${type}' has no steps`);
  const first = versions[0]!;
  const last = versions[versions.length - 1]!;
  for (let v = first; v <= last; v++) {
    if (!steps.has(v)) {
      throw new UpcastError(
        'UPCAST_CHAIN_GAP',
        `The upcasters of '${type}' jump over version ${v}: steps exist for [${versions.join(', ')}], so nothing upgrades ${v} -> ${v + 1}. Add that step.`,
        { eventType: type, fromVersion: v, knownVersion: last + 1 },
      );
    }
  }
  return { first, current: last + 1, steps };
}

function resolveAliases(raw: unknown): Map<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    invalid('aliases', `'aliases' must map old type names to current ones`);
  const direct = new Map<string, string>();
  for (const [from, to] of Object.entries(raw as Record<string, unknown>)) {
    assertMessageType(from, 'aliased event type');
    assertMessageType(to, 'alias target event type');
    if (from === to) invalid(from, `alias '${from}' points to itself`);
    direct.set(from, to);
  }
  // Follow chains of renames (A -> B -> C) once, here, so reads do one lookup.
  const resolved = new Map<string, string>();
  for (const from of direct.keys()) {
    let to = direct.get(from)!;
    const seen = new Set([from]);
    while (direct.has(to)) {
      if (seen.has(to)) invalid(from, `aliases form a cycle through '${to}'`);
      seen.add(to);
      to = direct.get(to)!;
    }
    resolved.set(from, to);
  }
  return resolved;
}

function invalid(type: string, why: string): never {
  throw new UpcastError('INVALID_UPCASTER', `Invalid upcaster definition: ${why}.`, {
    eventType: type,
    fromVersion: 0,
    knownVersion: 0,
  });
}
