import { TidingsError, ValidationError } from '../errors.js';

/**
 * A timer's event type has no handler: `saga.schedule` of a type the saga does not handle, or
 * `app.schedule` of a type no saga, processor or subscription of the app receives. Refused when
 * scheduling, so the timer can never fire into the void.
 */
export class TimerNotHandledError extends TidingsError {
  readonly eventType: string;
  constructor(eventType: string, message: string) {
    super('TIMER_NOT_HANDLED', message);
    this.eventType = eventType;
  }
}

/** A saga sends (or declares in `sends`) a command type that has no handler in the app. */
export class SagaCommandNotHandledError extends TidingsError {
  readonly saga: string;
  readonly commandType: string;
  constructor(saga: string, commandType: string, when: string) {
    super(
      'SAGA_COMMAND_NOT_HANDLED',
      `Saga '${saga}' sends '${commandType}' but no command handler is registered for '${commandType}' (${when}). Register one with app.commands.handle('${commandType}', …) before app.start(), or remove the send.`,
    );
    this.saga = saga;
    this.commandType = commandType;
  }
}

/** `correlate` returned something other than a non-empty string: the event is parked with this error. */
export class SagaCorrelationError extends ValidationError {
  constructor(saga: string, eventType: string, value: string) {
    super(
      `Saga '${saga}': correlate(event) returned ${value} for a '${eventType}' event; expected the instance id, a non-empty string of at most 400 characters (e.g. event.data.orderId). The event is parked; fix correlate and retry it from app.parked.`,
      [{ path: ['correlate'], message: 'not an instance id' }],
      { code: 'SAGA_CORRELATION' },
    );
  }
}

/** A command refused by its handler, sent by a saga without `onRejected`: the send is parked with it. */
export class SagaSendRejectedError extends TidingsError {
  constructor(saga: string, instanceId: string, commandType: string, sendId: string, cause: unknown) {
    super(
      'SAGA_SEND_REJECTED',
      `Saga '${saga}' instance '${instanceId}': command '${commandType}' (id ${sendId}) was refused by its handler (${
        cause instanceof Error ? cause.message : String(cause)
      }). The saga has no onRejected, so the send is parked: handle refusals with onRejected, or retry/skip it from app.parked.`,
      { cause },
    );
  }
}
