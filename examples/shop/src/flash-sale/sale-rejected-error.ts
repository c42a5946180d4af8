import { CommandRejectedError } from 'tidings';

/**
 * A command the flash sale's current state does not allow (paying a cancelled order, cancelling a
 * paid one, confirming a lock that is gone, …). Nothing is recorded. As a `CommandRejectedError`
 * (`rejected: true`) it tells the saga's outbox that retrying will not help: the refusal is handed
 * to the checkout saga's `onRejected`.
 */
export class SaleRejectedError extends CommandRejectedError {
  constructor(code: string, message: string) {
    super(message, { code });
  }
}

export const refuse = (code: string, message: string): never => {
  throw new SaleRejectedError(code, message);
};
