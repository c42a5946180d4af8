// A/B variant for attribution.mjs only: the store without its post-commit NOTIFY (HeadAnnouncer).
// Not correct for listeners in other processes; never shipped.
import type { PoolClient } from 'pg';

export class HeadAnnouncer {
  constructor(
    _schema: string,
    _checkout: () => Promise<PoolClient>,
    _onError: (error: unknown, context: string) => void,
  ) {}
  announce(_head: bigint): void {}
  async idle(): Promise<void> {}
}
