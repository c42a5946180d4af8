import type { Alert, Reading } from './readings.js';

/** Thresholds of the alert rules (SCENARIOS S5). */
export interface Thresholds {
  readonly highTemperature: number;
  readonly lowTemperature: number;
  readonly highHumidity: number;
  readonly lowHumidity: number;
}

export const defaultThresholds: Thresholds = {
  highTemperature: 30,
  lowTemperature: 5,
  highHumidity: 70,
  lowHumidity: 20,
};

/** The alerts one reading raises: temperature (warning), humidity (info), missing data (critical). */
export function alertsFor(r: Reading, limits: Thresholds = defaultThresholds): Alert[] {
  const alerts: Alert[] = [];
  const raise = (type: Alert['type'], severity: Alert['severity'], message: string): void => {
    alerts.push({ sensorId: r.sensorId, at: r.timestamp, type, severity, message });
  };
  if (r.temperature > limits.highTemperature) {
    raise('high-temperature', 'warning', `High temperature detected: ${r.temperature.toFixed(1)}°C`);
  } else if (r.temperature < limits.lowTemperature) {
    raise('low-temperature', 'warning', `Low temperature detected: ${r.temperature.toFixed(1)}°C`);
  }
  if (r.humidity !== undefined && r.humidity > limits.highHumidity) {
    raise('high-humidity', 'info', `High humidity detected: ${r.humidity.toFixed(1)}%`);
  } else if (r.humidity !== undefined && r.humidity < limits.lowHumidity) {
    raise('low-humidity', 'info', `Low humidity detected: ${r.humidity.toFixed(1)}%`);
  }
  if (r.humidity === undefined && r.pressure === undefined) {
    raise('sensor-malfunction', 'critical', 'Sensor may be malfunctioning: missing humidity and pressure data');
  }
  return alerts;
}
