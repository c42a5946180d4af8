// One measurement in a fresh process: `node worker.mjs <scenario> <case> <contender>`.
// Prints one line `RESULT {json}` on stdout; any failure is reported as `{ error }`, never as a figure.
const [scenarioName, caseId, contender] = process.argv.slice(2);

try {
  const { default: scenario } = await import(`./scenarios/${scenarioName}.mjs`);
  const result = await scenario.measure(caseId, contender);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? `${error.message}` : String(error);
  process.stdout.write(`RESULT ${JSON.stringify({ error: message })}\n`);
  if (process.env.BENCH_VERBOSE === '1') console.error(error);
  process.exit(1);
}
