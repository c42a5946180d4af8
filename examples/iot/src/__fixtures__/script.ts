import type { Alert, Reading } from '../readings.js';

// Scripted readings and the alerts and windows they must produce (default thresholds: 30 / 5 °C,
// 70 / 20 %). Times are seconds after T0 (event time); windows are 10 s with 2 s of lateness.
export const T0 = Date.parse('2026-03-01T12:00:00Z');

const at = (seconds: number): number => T0 + seconds * 1000;

export const script: readonly Reading[] = [
  { sensorId: 's-1', timestamp: at(1), temperature: 21.5, humidity: 45, pressure: 1012 },
  { sensorId: 's-2', timestamp: at(2), temperature: 31.4, humidity: 50, pressure: 1013 },
  { sensorId: 's-1', timestamp: at(3), temperature: 22.5, humidity: 75.2, pressure: 1011 },
  { sensorId: 's-3', timestamp: at(4), temperature: 3, humidity: 15, pressure: 1009 },
  { sensorId: 's-2', timestamp: at(6), temperature: 29, humidity: 55 },
  { sensorId: 's-3', timestamp: at(9), temperature: 20 }, // no humidity, no pressure
  { sensorId: 's-1', timestamp: at(11), temperature: 24, humidity: 60, pressure: 1010 },
  { sensorId: 's-2', timestamp: at(12), temperature: 35, humidity: 82, pressure: 1008 },
  // Arrives after the 12 s reading moved the watermark to 10 s: late for [0, 10 s) — counted and reported, in no average.
  { sensorId: 's-1', timestamp: at(8), temperature: 26, humidity: 65, pressure: 1012 },
  { sensorId: 's-3', timestamp: at(13), temperature: 18, pressure: 1014 }, // pressure only: not a malfunction
  { sensorId: 's-3', timestamp: at(23), temperature: 19, humidity: 40, pressure: 1013 },
];

/** Malformed payloads mixed in: skipped, counted, reported. */
export const malformed: readonly unknown[] = [{ sensorId: 's-9', temperature: 'hot' }, 'garbage', null];

export const expectedAlerts: readonly Pick<Alert, 'sensorId' | 'type' | 'severity' | 'message'>[] = [
  { sensorId: 's-2', type: 'high-temperature', severity: 'warning', message: 'High temperature detected: 31.4°C' },
  { sensorId: 's-1', type: 'high-humidity', severity: 'info', message: 'High humidity detected: 75.2%' },
  { sensorId: 's-3', type: 'low-temperature', severity: 'warning', message: 'Low temperature detected: 3.0°C' },
  { sensorId: 's-3', type: 'low-humidity', severity: 'info', message: 'Low humidity detected: 15.0%' },
  {
    sensorId: 's-3',
    type: 'sensor-malfunction',
    severity: 'critical',
    message: 'Sensor may be malfunctioning: missing humidity and pressure data',
  },
  { sensorId: 's-2', type: 'high-temperature', severity: 'warning', message: 'High temperature detected: 35.0°C' },
  { sensorId: 's-2', type: 'high-humidity', severity: 'info', message: 'High humidity detected: 82.0%' },
];

/** The per-sensor averages, one line per window, as describeAverages prints them (times UTC). */
export const expectedAverages: readonly string[] = [
  '12:00:00.000–12:00:10.000 s-1: 2 readings, 22.0°C, 60.1%, 1011.5 hPa',
  '12:00:00.000–12:00:10.000 s-2: 2 readings, 30.2°C, 52.5%, 1013.0 hPa',
  '12:00:00.000–12:00:10.000 s-3: 2 readings, 11.5°C, 15.0%, 1009.0 hPa',
  '12:00:10.000–12:00:20.000 s-1: 1 readings, 24.0°C, 60.0%, 1010.0 hPa',
  '12:00:10.000–12:00:20.000 s-2: 1 readings, 35.0°C, 82.0%, 1008.0 hPa',
  '12:00:10.000–12:00:20.000 s-3: 1 readings, 18.0°C, 1014.0 hPa',
  '12:00:20.000–12:00:30.000 s-3: 1 readings, 19.0°C, 40.0%, 1013.0 hPa',
];

/** The alert aggregator's windows, as describeSummary prints them. */
export const expectedSummaries: readonly string[] = [
  '12:00:00.000–12:00:10.000 5 alerts — severity: critical 1, info 2, warning 2; type: high-humidity 1, high-temperature 1, low-humidity 1, low-temperature 1, sensor-malfunction 1; sensor: s-1 1, s-2 1, s-3 3',
  '12:00:10.000–12:00:20.000 2 alerts — severity: info 1, warning 1; type: high-humidity 1, high-temperature 1; sensor: s-2 2',
];
