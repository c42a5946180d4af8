import { defineEvent, payload, ValidationError } from 'tidings';

/** One sensor reading as the sensors publish it (JSON over MQTT). Humidity and pressure are optional. */
export interface Reading {
  readonly sensorId: string;
  /** When the sensor took it, epoch milliseconds: the event time of every window. */
  readonly timestamp: number;
  /** °C */
  readonly temperature: number;
  /** % relative humidity */
  readonly humidity?: number | undefined;
  /** hPa */
  readonly pressure?: number | undefined;
}

export type AlertType =
  'high-temperature' | 'low-temperature' | 'high-humidity' | 'low-humidity' | 'sensor-malfunction';
export type Severity = 'info' | 'warning' | 'critical';

export interface Alert {
  readonly sensorId: string;
  /** The reading's time. */
  readonly at: number;
  readonly type: AlertType;
  readonly severity: Severity;
  readonly message: string;
}

export const ReadingRecorded = defineEvent('reading.recorded', payload<Reading>());
export const AlertRaised = defineEvent('alert.raised', payload<Alert>());
export const iotEvents = [ReadingRecorded, AlertRaised];

const optionalNumber = (value: unknown): boolean =>
  value === undefined || (typeof value === 'number' && Number.isFinite(value));

/** Checks a payload from the wire; a bad one throws (the ingest stage skips it, counted and reported). */
export function toReading(value: unknown): Reading {
  const r = value as Partial<Record<keyof Reading, unknown>> | null;
  const ok =
    r !== null &&
    typeof r === 'object' &&
    typeof r.sensorId === 'string' &&
    r.sensorId !== '' &&
    typeof r.timestamp === 'number' &&
    Number.isFinite(r.timestamp) &&
    typeof r.temperature === 'number' &&
    Number.isFinite(r.temperature) &&
    optionalNumber(r.humidity) &&
    optionalNumber(r.pressure);
  if (!ok) {
    throw new ValidationError(
      `Not a sensor reading: ${JSON.stringify(value)}. Expected { sensorId, timestamp, temperature, humidity?, pressure? }.`,
      [],
      { code: 'INVALID_READING' },
    );
  }
  return r as Reading;
}
