import type { Aggregated } from 'tidings/streams';
import type { Alert, Reading } from './readings.js';

/** Averages of one sensor over one window. Humidity and pressure average over the readings that had them. */
export interface SensorAverages {
  readonly readings: number;
  readonly temperature: number;
  readonly humidity: number | undefined;
  readonly pressure: number | undefined;
}

interface Sums {
  n: number;
  temperature: number;
  humidity: number;
  humidityN: number;
  pressure: number;
  pressureN: number;
}

const round = (x: number): number => Math.round(x * 100) / 100;

export const averages = {
  initial: (): Sums => ({ n: 0, temperature: 0, humidity: 0, humidityN: 0, pressure: 0, pressureN: 0 }),
  add(s: Sums, r: Reading): Sums {
    s.n++;
    s.temperature += r.temperature;
    if (r.humidity !== undefined) {
      s.humidity += r.humidity;
      s.humidityN++;
    }
    if (r.pressure !== undefined) {
      s.pressure += r.pressure;
      s.pressureN++;
    }
    return s;
  },
  result: (s: Sums): SensorAverages => ({
    readings: s.n,
    temperature: round(s.temperature / s.n),
    humidity: s.humidityN === 0 ? undefined : round(s.humidity / s.humidityN),
    pressure: s.pressureN === 0 ? undefined : round(s.pressure / s.pressureN),
  }),
};

/** The alert aggregator's output: counts per window by severity, type and sensor. */
export interface AlertSummary {
  readonly total: number;
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<string, number>>;
  readonly bySensor: Readonly<Record<string, number>>;
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

interface Counts {
  total: number;
  bySeverity: Record<string, number>;
  byType: Record<string, number>;
  bySensor: Record<string, number>;
}

export const alertCounts = {
  initial: (): Counts => ({ total: 0, bySeverity: {}, byType: {}, bySensor: {} }),
  add(acc: Counts, a: Alert): Counts {
    acc.total++;
    bump(acc.bySeverity, a.severity);
    bump(acc.byType, a.type);
    bump(acc.bySensor, a.sensorId);
    return acc;
  },
  result: (acc: Counts): AlertSummary => acc,
};

export type SensorWindow = Aggregated<SensorAverages, string>;
export type AlertWindow = Aggregated<AlertSummary, undefined>;

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 23);
const counts = (c: Readonly<Record<string, number>>): string =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** One line per window, for the console. */
export function describeAverages(w: SensorWindow): string {
  const v = w.value;
  const extra = [
    v.humidity === undefined ? undefined : `${v.humidity.toFixed(1)}%`,
    v.pressure === undefined ? undefined : `${v.pressure.toFixed(1)} hPa`,
  ].filter((x) => x !== undefined);
  return `${time(w.start)}–${time(w.end)} ${w.key}: ${v.readings} readings, ${v.temperature.toFixed(1)}°C${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`;
}

export function describeSummary(w: AlertWindow): string {
  const s = w.value;
  return `${time(w.start)}–${time(w.end)} ${s.total} alerts — severity: ${counts(s.bySeverity)}; type: ${counts(s.byType)}; sensor: ${counts(s.bySensor)}`;
}
