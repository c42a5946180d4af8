import { TidingsError } from '../errors.js';

/** `publish` with a store found no stream for the event: its type declares no stream rule and no `streamId` was given. */
export class NoStreamRuleError extends TidingsError {
  readonly eventType: string;
  constructor(type: string) {
    super(
      'NO_STREAM_RULE',
      `Cannot publish '${type}' to the store: its event type declares no stream and no streamId was given. Declare where it goes, e.g. defineEvent('${type}', schema, { stream: (e) => \`<category>-\${e.data.<id>}\` }) (one stream per entity), or pass publish(event, { streamId }). Nothing was written.`,
    );
    this.eventType = type;
  }
}

/** An operation needs `createTidings({ store })` (history, replay, rebuild, commandHandler). */
export class NoStoreError extends TidingsError {
  constructor(operation: string) {
    super(
      'NO_STORE',
      `${operation} needs an event store: create the app with createTidings({ store }) (createInMemoryEventStore(), sqliteEventStore(file) or postgresEventStore(...)).`,
    );
  }
}

/** A durable subscription was added after `start()`, or `start()` was called while running. */
export class AppStateError extends TidingsError {
  constructor(message: string) {
    super('APP_STATE', message);
  }
}
