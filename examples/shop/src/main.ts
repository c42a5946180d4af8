// `npm start` at the repository root: the flash sale (SCENARIOS.md S2) as a short simulation on the
// embedded SQLite file. `npm start -- --walkthrough` (or TIDINGS_WALKTHROUGH=1) runs the
// step-by-step S1 shop walkthrough instead.
import { runFlashSaleDemo } from './flash-sale/demo.js';
import { runWalkthrough } from './walkthrough.js';

const walkthrough = process.argv.includes('--walkthrough') || process.env['TIDINGS_WALKTHROUGH'] === '1';
try {
  if (walkthrough) await runWalkthrough();
  else if (!(await runFlashSaleDemo()).ok) process.exitCode = 1;
} catch (error) {
  process.stderr.write(
    `shop demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
