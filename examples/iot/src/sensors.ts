import type { Clock } from 'tidings';
import type { Reading } from './readings.js';

export interface SensorSimulation {
  readonly sensorIds: readonly string[];
  /** Each sensor takes a reading this often (on `clock`). */
  readonly everyMs: number;
  readonly clock: Clock;
  /** A deterministic source of randomness in [0, 1). */
  readonly random: () => number;
  readonly signal?: AbortSignal;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Simulated sensors: temperature around 22 °C, humidity around 50 %, pressure around 1013 hPa,
 * with the occasional heat spike, cold snap, humid or dry spell, and a reading that lost both
 * humidity and pressure (a malfunction). Yields until `signal` aborts.
 */
export async function* simulateSensors(sim: SensorSimulation): AsyncGenerator<Reading> {
  const { random, clock } = sim;
  while (sim.signal?.aborted !== true) {
    for (const sensorId of sim.sensorIds) {
      const roll = random();
      let temperature = 22 + (random() - 0.5) * 6;
      let humidity: number | undefined = 50 + (random() - 0.5) * 20;
      let pressure: number | undefined = 1013 + (random() - 0.5) * 10;
      if (roll < 0.04)
        temperature += 10; // heat spike
      else if (roll < 0.07)
        temperature -= 20; // cold snap
      else if (roll < 0.1) humidity += 30;
      else if (roll < 0.13) humidity -= 35;
      else if (roll < 0.15) {
        humidity = undefined; // malfunction: both missing
        pressure = undefined;
      }
      yield {
        sensorId,
        timestamp: clock.now(),
        temperature: round1(temperature),
        ...(humidity === undefined ? {} : { humidity: round1(humidity) }),
        ...(pressure === undefined ? {} : { pressure: round1(pressure) }),
      };
    }
    try {
      await clock.sleep(sim.everyMs, sim.signal);
    } catch {
      return; // aborted while sleeping
    }
  }
}
