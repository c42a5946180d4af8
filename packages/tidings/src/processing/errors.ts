import { TidingsError } from '../errors.js';

/** A processor name given to a runner operation is not one of the runner's processors. */
export class UnknownProcessorError extends TidingsError {
  readonly processor: string;
  constructor(processor: string, known: readonly string[]) {
    super(
      'UNKNOWN_PROCESSOR',
      `No processor named '${processor}' runs in this runner. Expected one of: ${
        known.length === 0 ? '(none)' : known.map((n) => `'${n}'`).join(', ')
      }. Check the name, or add the processor to createProcessorRunner({ processors }).`,
    );
    this.processor = processor;
  }
}

/** No parked entry with this id belongs to the runner's processors. */
export class UnknownParkedEventError extends TidingsError {
  readonly id: string;
  constructor(id: string) {
    super(
      'UNKNOWN_PARKED_EVENT',
      `No parked event with id '${id}' exists for this runner's processors. It was probably retried or skipped already; list the current entries with runner.parked.list().`,
    );
    this.id = id;
  }
}

/**
 * An operation needs the processor running in this runner (holding its lease): retrying or
 * skipping a parked event writes fenced by the lease epoch and needs the handler.
 */
export class ProcessorNotRunningError extends TidingsError {
  readonly processor: string;
  constructor(processor: string, state: string) {
    super(
      'PROCESSOR_NOT_RUNNING',
      `Processor '${processor}' is ${state} in this runner, not running: it does not hold the processor's lease here, so it cannot retry or skip its parked events. Call runner.start() first, or use the runner of the process that holds the lease.`,
    );
    this.processor = processor;
  }
}
