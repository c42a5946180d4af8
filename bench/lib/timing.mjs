// Measurement loops used inside a contender's process (CPU-bound scenarios: bus, reliability). A run calibrates a batch size, warms up
// (so the JIT has compiled every contender's hot path before timing starts), then times several
// batches and returns the median batch rate: one figure per process, which the parent then
// summarises across fresh processes.
import { median } from './stats.mjs';

/** Iteration settings: full runs by default, short ones with BENCH_QUICK=1 for smoke runs. */
export function loopSettings() {
  return process.env.BENCH_QUICK === '1'
    ? { warmupMs: 60, sampleMs: 40, samples: 3 }
    : { warmupMs: 300, sampleMs: 150, samples: 5 };
}

const wallNow = () => Number(process.hrtime.bigint()) / 1e6;
// CPU time of this process (user + system, all its threads), in ms. The bus loops are pure CPU work,
// and the machine is shared: a process that is descheduled for a while loses wall time but no CPU
// time, so CPU time measures what a dispatch costs far more steadily. GC helper threads are counted.
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Times `batch(n)`, which performs n operations synchronously or returns a promise that settles
 * when they are done. Returns operations per second (median of the timed samples) and `totalOps`,
 * every operation run (calibration and warm-up included), for the caller's correctness check.
 */
export async function measureLoop(batch, settings = loopSettings()) {
  const now = cpuNow;
  let n = 64;
  let totalOps = 0;
  // Calibrate: grow the batch until one takes at least a tenth of a sample.
  for (;;) {
    const t0 = now();
    await batch(n);
    totalOps += n;
    if (now() - t0 >= settings.sampleMs / 10 || n >= 1 << 26) break;
    n *= 2;
  }
  const warmEnd = now() + settings.warmupMs;
  while (now() < warmEnd) {
    await batch(n);
    totalOps += n;
  }
  const rates = [];
  const wallRates = [];
  for (let s = 0; s < settings.samples; s++) {
    let ops = 0;
    const t0 = now();
    const w0 = wallNow();
    let elapsed = 0;
    do {
      await batch(n);
      ops += n;
      elapsed = now() - t0;
    } while (elapsed < settings.sampleMs);
    totalOps += ops;
    rates.push((ops * 1000) / elapsed);
    wallRates.push((ops * 1000) / (wallNow() - w0));
  }
  return {
    rate: median(rates),
    wallRate: median(wallRates),
    samples: rates.map((r) => Math.round(r)),
    batch: n,
    totalOps,
  };
}
