import type { Clock, EventStore } from 'tidings';
import { createEventBus, createInMemoryEventStore, systemClock, TimeoutError } from 'tidings';
import type { Discarded, Duration, PipelineStats, Source } from 'tidings/streams';
import { aggregate, appendTo, flatMap, map, pipe, publishTo, window } from 'tidings/streams';
import type { Alert } from './readings.js';
import { AlertRaised, iotEvents, ReadingRecorded, toReading } from './readings.js';
import type { Thresholds } from './rules.js';
import { alertsFor } from './rules.js';
import type { AlertWindow, SensorWindow } from './summaries.js';
import { alertCounts, averages } from './summaries.js';

export interface IotAppOptions {
  /** Sensor payloads (JSON values): the MQTT source's payloads, or a scripted list. */
  readonly source: Source<unknown>;
  /** Where alerts are recorded as events (`alert-<sensorId>` streams). Default: in memory. */
  readonly store?: EventStore;
  readonly clock?: Clock;
  /** Per-sensor averages window (event time). Default 10 s. */
  readonly window?: Duration;
  /** Alert summary window (event time). Default 10 s. */
  readonly summaryWindow?: Duration;
  /** How late (event time) a reading may arrive and still count. Default 2 s. */
  readonly lateness?: Duration;
  readonly thresholds?: Thresholds;
  readonly onAverages?: (window: SensorWindow) => void;
  readonly onAlert?: (alert: Alert) => void;
  readonly onSummary?: (window: AlertWindow) => void;
  /** Readings skipped (malformed), late to their window, … — counted in the stats either way. */
  readonly onDiscard?: (discarded: Discarded) => void;
}

export interface IotApp {
  readonly store: EventStore;
  /** Resolves when the source has ended and every window has been emitted. */
  readonly done: Promise<void>;
  stats(): { readonly ingest: PipelineStats; readonly averages: PipelineStats; readonly alerts: PipelineStats };
  /** Stops everything now (open windows are dropped, counted in the stats). */
  stop(): Promise<void>;
}

/** Bound on waiting for the bus streams to hand every published reading on before they are ended. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The IoT stream processor (SCENARIOS S5): readings come in, are checked and published on the bus;
 * one pipeline averages each sensor per window; another raises alerts by rule, records them in the
 * store and counts them per window by severity, type and sensor.
 */
export function startIotApp(options: IotAppOptions): IotApp {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? createInMemoryEventStore({ clock });
  const bus = createEventBus({ events: iotEvents, clock });
  const lateness = options.lateness ?? '2s';
  const common = { clock, ...(options.onDiscard === undefined ? {} : { onDiscard: options.onDiscard }) };

  // Readings for the two pipelines below, each from its own bounded bus stream (a slow pipeline slows the ingest).
  const forAverages = bus.stream('reading.recorded');
  const forAlerts = bus.stream('reading.recorded');

  // Ingest: a malformed payload is skipped, counted and reported; the rest is published on the bus.
  const ingest = pipe(
    options.source,
    map(toReading, { name: 'parse reading', onError: 'skip' }),
    map((r) => ReadingRecorded(r)),
  ).start(common);

  // #region pipelines
  // Per-sensor averages over event-time windows.
  const sensorAverages = pipe(
    forAverages,
    map((e) => e.data),
    window({ by: (r) => r.sensorId, size: options.window ?? '10s', eventTime: (r) => r.timestamp, lateness }),
    aggregate(averages),
  ).start(common);

  // Alerts by rule, each recorded as an event, then counted per window by severity, type and sensor.
  const record = appendTo(store, { streamId: (a: Alert) => `alert-${a.sensorId}`, events: (a) => AlertRaised(a) });
  const alerts = pipe(
    forAlerts,
    flatMap((e) => alertsFor(e.data, options.thresholds)),
    map(async (alert) => {
      await record.write(alert);
      options.onAlert?.(alert);
      return alert;
    }),
    window({ size: options.summaryWindow ?? '10s', eventTime: (a) => a.at, lateness }),
    aggregate(alertCounts),
  ).start(common);
  // #endregion pipelines

  const ingested = ingest.pipeTo(publishTo(bus, { options: (e) => ({ streamId: `sensor-${e.data.sensorId}` }) }));
  const averaged = sensorAverages.pipeTo((w) => options.onAverages?.(w));
  const summarised = alerts.pipeTo((w) => options.onSummary?.(w));

  const done = (async () => {
    const { out: published } = await ingested;
    // bus.close() ends its streams and drops what they still queue: first let both pipelines take every reading.
    const deadline = systemClock.now() + DRAIN_TIMEOUT_MS;
    while (sensorAverages.stats().in < published || alerts.stats().in < published) {
      if (sensorAverages.stats().state !== 'running' || alerts.stats().state !== 'running') break;
      if (systemClock.now() > deadline) {
        throw new TimeoutError(
          `The IoT pipelines did not take the last readings within ${DRAIN_TIMEOUT_MS} ms.`,
          DRAIN_TIMEOUT_MS,
        );
      }
      await systemClock.sleep(5);
    }
    await bus.close(); // the streams end: the pipelines emit their last windows and end
    await Promise.all([averaged, summarised]);
  })();

  return {
    store,
    done,
    stats: () => ({ ingest: ingest.stats(), averages: sensorAverages.stats(), alerts: alerts.stats() }),
    async stop() {
      await Promise.all([ingest.stop(), sensorAverages.stop(), alerts.stop()]);
      await bus.close();
    },
  };
}
