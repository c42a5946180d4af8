/**
 * The one error base class of Tidings. Every error carries a stable string `code` that callers
 * can branch on, an optional `cause`, and a message that says what was expected, what was found
 * and what to do.
 *
 * @example
 * try { await bus.publish(event) } catch (e) { if (e instanceof TidingsError && e.code === 'BUS_CLOSED') … }
 */
export class TidingsError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem found while validating a message against its schema or the payload rules. */
export interface ValidationIssue {
  /** Path into the value, e.g. `['items', 0, 'quantity']`; empty for the value itself. */
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** A message did not match its schema, its type name was malformed, or its data cannot be stored. */
export class ValidationError extends TidingsError {
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'VALIDATION_FAILED', message, options);
    this.issues = issues;
  }
}

/** No handler is registered for a command or query type. */
export class HandlerNotFoundError extends TidingsError {
  readonly messageType: string;
  constructor(kind: 'command' | 'query', messageType: string) {
    super(
      'HANDLER_NOT_FOUND',
      `No ${kind} handler is registered for '${messageType}'. Expected exactly one; register it with handle('${messageType}', handler) before sending.`,
    );
    this.messageType = messageType;
  }
}

/** A second handler was registered for a command or query type that already has one. */
export class DuplicateHandlerError extends TidingsError {
  readonly messageType: string;
  constructor(kind: 'command' | 'query', messageType: string) {
    super(
      'DUPLICATE_HANDLER',
      `A ${kind} handler for '${messageType}' is already registered. A ${kind} has exactly one handler; dispose the existing registration first or use an event for fan-out.`,
    );
    this.messageType = messageType;
  }
}

/**
 * A command handler refused a command for a domain reason (the order is already paid, the funds
 * are insufficient). Extend it for your refusals: a saga's outbox does not retry a refused command
 * (retrying cannot change the answer) and hands it to the saga's `onRejected`, or parks it when the
 * saga has none. Any error with `rejected === true` is treated the same way.
 *
 * @example
 * class OrderAlreadyPaidError extends CommandRejectedError {
 *   constructor(orderId: string) {
 *     super(`Order ${orderId} is already paid: a paid order cannot be cancelled.`, { code: 'ORDER_PAID' });
 *   }
 * }
 * throw new OrderAlreadyPaidError('o-1');
 */
export class CommandRejectedError extends TidingsError {
  /** Always `true`: the mark a saga's outbox checks (also accepted on errors of other classes). */
  readonly rejected = true;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'COMMAND_REJECTED', message, options);
  }
}

/** True for a {@link CommandRejectedError} or any error object with `rejected === true`. */
export function isCommandRejection(error: unknown): boolean {
  return (
    error instanceof CommandRejectedError ||
    (typeof error === 'object' && error !== null && (error as { rejected?: unknown }).rejected === true)
  );
}

/** An operation did not finish within its time limit. */
export class TimeoutError extends TidingsError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** An operation was cancelled through its AbortSignal. `cause` is the signal's reason. */
export class AbortedError extends TidingsError {
  constructor(what: string, reason: unknown) {
    super(
      'ABORTED',
      `${what} was aborted: its AbortSignal fired${reason instanceof Error ? ` (${reason.message})` : ''}.`,
      {
        cause: reason,
      },
    );
  }
}

/** Internal: turn anything thrown into an Error without losing it. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new TidingsError('NON_ERROR_THROWN', `A non-Error value was thrown: ${describe(value)}`, { cause: value });
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
