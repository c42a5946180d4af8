// Summary statistics over the per-process figures of one contender.

/** Median of a non-empty list of numbers (mean of the two middle values for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** { median, min, max, runs } of the values, or undefined when there are none. */
export function summarize(values) {
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** Formats a rate such as 12345678 as '12.3M', 45600 as '45.6k'. */
export function formatRate(value) {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e8 ? 0 : value >= 1e7 ? 1 : 2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e5 ? 0 : value >= 1e4 ? 1 : 2)}k`;
  return value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
}

/** Formats a ratio such as 1.234 as '1.23x'. */
export function formatRatio(value) {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  if (value < 0.1) return `${value.toPrecision(2)}x`;
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`;
}
