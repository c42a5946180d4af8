// Renders docs/benchmarks.md from the result files of the scenarios that have been run.
import { formatRate, formatRatio, median } from './stats.mjs';

const medianOf = (results, name) => results[name]?.summary?.median;
const formatNanos = (ns) => (Math.abs(ns) >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${Math.round(ns)} ns`);

/** Evaluates one target of a case: { text, met } with met undefined when it could not be measured. */
export function evaluateTarget(target, results) {
  const ours = results[target.contender]?.summary;
  const theirs = results[target.versus]?.summary;
  const label = `${target.contender} ≥ ${target.atLeast.toFixed(1)}x ${target.versus}`;
  if (ours === undefined || theirs === undefined) {
    const missing = ours === undefined ? target.contender : target.versus;
    return {
      label,
      met: undefined,
      text: `not measured (${missing}: ${results[missing]?.errors?.[0] ?? 'no result'})`,
    };
  }
  const ratio = ours.median / theirs.median;
  const low = ours.min / theirs.max;
  const high = ours.max / theirs.min;
  const met = ratio >= target.atLeast;
  const overlap = low < target.atLeast && high >= target.atLeast;
  return {
    label,
    met,
    ratio,
    text: `${formatRatio(ratio)} (run ranges give ${formatRatio(low)}–${formatRatio(high)}) — **${met ? 'met' : 'not met'}**${overlap ? ', within run-to-run noise' : ''}`,
  };
}

/** Median over the runs of one figure a contender's worker kept in its `detail` (undefined if none). */
function detailMedian(result, key) {
  const values = (result?.details ?? []).map((d) => d?.[key]).filter((v) => typeof v === 'number');
  return values.length === 0 ? undefined : median(values);
}

const formatMicros = (us) =>
  us === undefined || !Number.isFinite(us)
    ? 'n/a'
    : us >= 100
      ? Math.round(us).toLocaleString('en-US')
      : us >= 10
        ? us.toFixed(1)
        : us.toFixed(2);

/** A detail column's median: a rate (default), milliseconds (`ms`) or a plain count (`count`). */
function formatDetail(value, format) {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  if (format === 'ms')
    return `${value >= 100 ? Math.round(value) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`;
  if (format === 'count') return Math.round(value).toLocaleString('en-US');
  return formatRate(value);
}

/**
 * Evaluates an absolute floor of a case (a figure the documents state, not a ratio to a peer):
 * `{ contender, metric, below | atLeast, label }`, `metric` being `value` (the case's figure) or a
 * key of the workers' details; judged on the median over runs.
 */
export function evaluateFloor(floor, results) {
  const r = results[floor.contender];
  const measured = floor.metric === 'value' ? r?.summary?.median : detailMedian(r, floor.metric);
  if (measured === undefined)
    return { label: floor.label, met: undefined, text: `not measured (${r?.errors?.[0] ?? 'no result'})` };
  const met = floor.below !== undefined ? measured < floor.below : measured >= floor.atLeast;
  const shown = floor.below !== undefined ? `${formatMicros(measured)} µs` : `${formatRate(measured)}/s`;
  return { label: floor.label, met, shown, text: `${shown} — **${met ? 'met' : 'not met'}**` };
}

function renderFloors(c) {
  const lines = [];
  for (const f of c.floors ?? []) {
    const e = evaluateFloor(f, c.results);
    lines.push(`- ${f.informative ? 'For information' : 'Floor'}: ${e.label}: ${e.text}`);
  }
  if (lines.length > 0) lines.push('');
  return lines;
}

const LATENCY_COLUMNS = [
  ['p50', 'p50 µs'],
  ['p90', 'p90 µs'],
  ['p99', 'p99 µs'],
  ['p999', 'p99.9 µs'],
  ['max', 'max µs'],
];

/** A latency case: each percentile is the median over runs of that percentile in each run. */
function renderLatencyCase(c) {
  const lines = [`#### ${c.title}`, ''];
  if (c.note) lines.push(c.note, '');
  const ref = c.reference;
  const header = [
    'Contender',
    ...LATENCY_COLUMNS.map(([, label]) => label),
    'Worst max µs',
    'Events ≥ 1 ms',
    'Achieved events/s',
    'Runs',
    ...(ref ? [`p99 ÷ ${ref}`] : []),
  ];
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  const refP99 = ref ? detailMedian(c.results[ref], 'p99') : undefined;
  for (const name of c.contenders) {
    const r = c.results[name];
    if (r?.summary === undefined) {
      lines.push(
        `| ${name} | not measured: ${(r?.errors?.[0] ?? 'no result').replaceAll('|', '/')} |${' |'.repeat(header.length - 2)}`,
      );
      continue;
    }
    const worst = Math.max(...r.details.map((d) => d?.max ?? Number.NaN).filter(Number.isFinite));
    const p99 = detailMedian(r, 'p99');
    const failed = r.errors.length > 0 ? ` (${r.errors.length} failed run${r.errors.length === 1 ? '' : 's'})` : '';
    lines.push(
      `| ${[
        name,
        ...LATENCY_COLUMNS.map(([key]) => formatMicros(detailMedian(r, key))),
        formatMicros(worst),
        String(detailMedian(r, 'over1ms') ?? 'n/a'),
        formatRate(detailMedian(r, 'achievedRate')),
        `${r.summary.runs}${failed}`,
        ...(ref ? [refP99 === undefined || p99 === undefined ? 'n/a' : formatRatio(p99 / refP99)] : []),
      ].join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push(...renderFloors(c));
  return lines;
}

function renderCase(c) {
  if (c.kind === 'latency') return renderLatencyCase(c);
  const lines = [];
  const results = c.results;
  lines.push(`#### ${c.title}`, '');
  if (c.note) lines.push(c.note, '');
  const compare = [c.reference, ...(c.compareTo ?? []), ...(c.ceiling ? [c.ceiling] : [])].filter(
    (x, i, a) => x && a.indexOf(x) === i,
  );
  const header = [
    'Contender',
    `Median ${c.unit}`,
    'Min',
    'Max',
    'Runs',
    ...compare.map((r) => `÷ ${r}${r === c.ceiling ? ' (ceiling)' : ''}`),
    ...(c.overheadVs ? ['Added per call'] : []),
    ...(c.detailColumns ?? []).map((d) => `${d.label} (median)`),
  ];
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const name of c.contenders) {
    const r = results[name];
    const s = r?.summary;
    if (s === undefined) {
      lines.push(
        `| ${name} | not measured: ${(r?.errors?.[0] ?? 'no result').replaceAll('|', '/')} | | | 0 |${compare.map(() => ' |').join('')}${c.overheadVs ? ' |' : ''}${(c.detailColumns ?? []).map(() => ' |').join('')}`,
      );
      continue;
    }
    const ratios = compare.map((ref) => {
      const m = medianOf(results, ref);
      return m === undefined ? 'n/a' : formatRatio(s.median / m);
    });
    const base = c.overheadVs ? medianOf(results, c.overheadVs) : undefined;
    if (c.overheadVs) ratios.push(base === undefined ? 'n/a' : formatNanos(1e9 / s.median - 1e9 / base));
    for (const d of c.detailColumns ?? []) ratios.push(formatDetail(detailMedian(r, d.key), d.format));
    const failed = r.errors.length > 0 ? ` (${r.errors.length} failed run${r.errors.length === 1 ? '' : 's'})` : '';
    lines.push(
      `| ${name} | ${formatRate(s.median)} | ${formatRate(s.min)} | ${formatRate(s.max)} | ${s.runs}${failed} | ${ratios.join(' | ')} |`,
    );
  }
  lines.push('');
  for (const t of c.targets ?? []) {
    const e = evaluateTarget(t, results);
    lines.push(`- ${t.informative ? 'For information' : 'Target'}: ${e.label}: ${e.text}`);
  }
  if ((c.targets ?? []).length > 0) lines.push('');
  lines.push(...renderFloors(c));
  return lines;
}

/** The whole document from a list of scenario result objects (see run.mjs for their shape). */
export function renderReport(scenarioResults, { generatedAt, ranNow }) {
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.mjs). Do not edit by hand: rerun it. -->',
    '',
    `Generated ${generatedAt}. Sections measured in this run: ${ranNow.join(', ') || 'none'}; any other section below keeps the date it was measured on.`,
    '',
    'How to read this: every contender runs in a fresh Node process, once per run, with the contenders of a case interleaved run by run so that a burst of background load hits all of them alike. Each process reports one figure; the table shows the median over the runs and the slowest/fastest run. A ratio is the contender\'s median divided by the named contender\'s median. Targets come from the issues and are judged on the medians; "within run-to-run noise" marks a verdict the min/max ranges could flip. Floors are absolute figures the design documents state (SCENARIOS.md S6), also judged on the medians over runs. Latency tables show, for each percentile, the median over runs of that percentile within each run. The machine is shared with other work (load averages are listed), so treat differences under ~10% as noise.',
    '',
    'Run it: `npm run bench` (everything), `npm run bench -- bus` (or `latency`, `reliability`, `streams`, `sqlite`, `postgres`, `subscriptions`; several may be given), `BENCH_QUICK=1 npm run bench` for a smoke run (fewer runs, short samples: not for quoting), `BENCH_RUNS=7` to change the number of runs.',
    '',
  ];
  const summary = [];
  for (const r of scenarioResults) {
    for (const c of r.cases) {
      for (const t of c.targets ?? []) {
        if (t.informative) continue;
        const e = evaluateTarget(t, c.results);
        summary.push(
          `| ${r.title} | ${c.title} | ${e.label} | ${e.ratio === undefined ? 'n/a' : formatRatio(e.ratio)} | ${e.met === undefined ? 'not measured' : e.met ? 'met' : '**not met**'} |`,
        );
      }
      for (const f of c.floors ?? []) {
        if (f.informative) continue;
        const e = evaluateFloor(f, c.results);
        summary.push(
          `| ${r.title} | ${c.title} | ${e.label} | ${e.shown ?? 'n/a'} | ${e.met === undefined ? 'not measured' : e.met ? 'met' : '**not met**'} |`,
        );
      }
    }
  }
  if (summary.length > 0) {
    lines.push(
      '## Targets at a glance',
      '',
      '| Scenario | Case | Target | Measured | Verdict |',
      '| --- | --- | --- | ---: | --- |',
      ...summary,
      '',
    );
  }
  for (const r of scenarioResults) {
    const m = r.machine;
    lines.push(`## ${r.title}`, '');
    lines.push(
      `Measured ${r.date}${r.quick ? ' in **quick mode (smoke run, not for quoting)**' : ''}; ${r.runs} run${r.runs === 1 ? '' : 's'} per contender, each in a fresh process. ` +
        `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}; Node ${m.node}. Load average (1/5/15 min) before → after: ${m.loadavg.join(' / ')} → ${r.loadavgAfter.join(' / ')}${m.raisedPriority ? "; contender processes ran at nice -10 so that the rest of the machine's load preempts them less" : ''}. Took ${Math.round(r.seconds)} s.`,
      '',
    );
    if (r.settings?.length) {
      lines.push('Settings:', '', ...r.settings.map((s) => `- ${s}`), '');
    }
    if (r.describe?.length) lines.push(...r.describe.flatMap((d) => [d, '']));
    for (const c of r.cases) lines.push(...renderCase(c));
    if (r.notes?.length) lines.push(...r.notes.flatMap((d) => [d, '']));
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
