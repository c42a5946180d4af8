// A/B variant for attribution.mjs only: the store without the per-query client-side bound
// (queryTimeoutMs); everything else of bounded-query.ts unchanged. Never shipped.
import type { PoolClient } from 'pg';
import type { RoundTripBound } from '../../../bounded-query.js';

export * from '../../../bounded-query.js';

export function boundQueries(_client: PoolClient, _bound: RoundTripBound): () => void {
  return () => undefined;
}
