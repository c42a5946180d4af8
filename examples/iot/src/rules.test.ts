import { describe, expect, it } from 'vitest';
import { alertsFor } from './rules.js';
import { toReading } from './readings.js';

const base = { sensorId: 's', timestamp: 0, humidity: 50, pressure: 1000 };

describe('alert rules', () => {
  it('high and low temperature are warnings, with the value to one decimal', () => {
    expect(alertsFor({ ...base, temperature: 31.44 })).toEqual([
      {
        sensorId: 's',
        at: 0,
        type: 'high-temperature',
        severity: 'warning',
        message: 'High temperature detected: 31.4°C',
      },
    ]);
    expect(alertsFor({ ...base, temperature: -2 })[0]?.message).toBe('Low temperature detected: -2.0°C');
  });

  it('thresholds are exclusive', () => {
    expect(alertsFor({ ...base, temperature: 30, humidity: 70 })).toEqual([]);
    expect(alertsFor({ ...base, temperature: 5, humidity: 20 })).toEqual([]);
  });

  it('high and low humidity are info; no humidity alone is not an alert', () => {
    expect(alertsFor({ ...base, temperature: 20, humidity: 90 }).map((a) => [a.severity, a.message])).toEqual([
      ['info', 'High humidity detected: 90.0%'],
    ]);
    expect(alertsFor({ ...base, temperature: 20, humidity: 10 })[0]?.type).toBe('low-humidity');
    expect(alertsFor({ sensorId: 's', timestamp: 0, temperature: 20, pressure: 1000 })).toEqual([]);
  });

  it('missing both humidity and pressure is a critical malfunction, raised beside other alerts', () => {
    expect(alertsFor({ sensorId: 's', timestamp: 0, temperature: 40 }).map((a) => [a.type, a.severity])).toEqual([
      ['high-temperature', 'warning'],
      ['sensor-malfunction', 'critical'],
    ]);
  });

  it('custom thresholds', () => {
    expect(
      alertsFor(
        { ...base, temperature: 26 },
        { highTemperature: 25, lowTemperature: 0, highHumidity: 99, lowHumidity: 1 },
      ),
    ).toHaveLength(1);
  });

  it('a malformed payload is refused with what was expected', () => {
    expect(() => toReading({ sensorId: 's', timestamp: 0, temperature: '20' })).toThrow(
      /Expected \{ sensorId, timestamp, temperature/,
    );
    expect(() => toReading({ sensorId: 's', timestamp: 0, temperature: 20, humidity: null })).toThrow(
      /Not a sensor reading/,
    );
    expect(toReading({ sensorId: 's', timestamp: 0, temperature: 20 })).toEqual({
      sensorId: 's',
      timestamp: 0,
      temperature: 20,
    });
  });
});
