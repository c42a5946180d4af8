// Test support shared by integration tests (not part of any package): skip or fail when a service is down.

/**
 * Runs `probe` once per service. When it throws: outside CI, prints one line and returns false
 * (the caller skips its suite); with CI=true, throws, so the suite fails instead of passing empty.
 */
export function reachable(service: string, url: string, suite: string, probe: () => Promise<void>): Promise<boolean> {
  return probe().then(
    () => true,
    (error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      if (process.env['CI'] === 'true') throw new Error(`${service} at ${url} is unreachable (${why}) and CI=true.`);
      console.log(`[skip] ${suite}: ${service} at ${url} is unreachable (${why}).`);
      return false;
    },
  );
}
