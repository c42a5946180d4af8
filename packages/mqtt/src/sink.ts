import type { Clock } from 'tidings';
import { systemClock, TimeoutError, uuidv7 } from 'tidings';
import { connectClient, endClient } from './connect.js';
import { assertKnown, fnOption, intOption, invalid, qosOption, stringOption } from './options.js';
import { PRODUCER_PROPERTY, SEQ_PROPERTY } from './wire.js';

export interface MqttSinkOptions<T> {
  /** The broker, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string;
  /** The topic of each message: fixed, or from the item (`sensors/${r.sensorId}/reading`). */
  readonly topic: string | ((item: T) => string);
  readonly clientId?: string;
  /** Default 1: `write` resolves when the broker acknowledged (PUBACK); 0: when the message left the client. */
  readonly qos?: 0 | 1;
  /** The payload of an item. Default: JSON. */
  readonly serialize?: (item: T) => string | Buffer;
  readonly retain?: boolean;
  /** Bound on each `write` (including waiting for a reconnection). Default 30 000 → `TimeoutError`. */
  readonly publishTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnectPeriodMs?: number;
  readonly clock?: Clock;
  /** Shown in pipeline stats and errors. Default `mqtt`. */
  readonly name?: string;
}

export interface MqttSinkStats {
  readonly connected: boolean;
  /** Messages written (acknowledged by the broker at QoS 1). */
  readonly published: number;
  /** Writes waiting for their acknowledgement (or for a reconnection). */
  readonly pending: number;
  /** Writes that reached `publishTimeoutMs`. Such a message may still arrive later (at least once). */
  readonly timedOut: number;
  /** The sequence number of the last message sent. */
  readonly lastSeq: number;
}

/** A pipeline sink that publishes each item to MQTT, numbering them so sources can detect losses. */
export interface MqttSink<T> extends AsyncDisposable {
  readonly name: string;
  /** This sink's producer id (`tidings-producer`): fresh per sink, so its numbers never restart under it. */
  readonly producerId: string;
  write(item: T): Promise<void>;
  stats(): MqttSinkStats;
  /** Disconnects after the pending writes settle or `publishTimeoutMs` passes. */
  close(): Promise<void>;
}

const KEYS = [
  'url',
  'topic',
  'clientId',
  'qos',
  'serialize',
  'retain',
  'publishTimeoutMs',
  'connectTimeoutMs',
  'reconnectPeriodMs',
  'clock',
  'name',
];
const COMPONENT = 'openMqttSink';

/**
 * Connects (bounded by `connectTimeoutMs`) and returns a sink that publishes each item. Every
 * message carries this sink's producer id and a sequence number (MQTT 5 user properties).
 * While disconnected, writes wait for the reconnection (mqtt.js resends unacknowledged QoS 1
 * messages then), each bounded by `publishTimeoutMs`.
 *
 * @example
 * const sink = await openMqttSink({ url, topic: (r: Reading) => `sensors/${r.sensorId}/reading` });
 * await pipe(readings).start().pipeTo(sink);
 */
export async function openMqttSink<T>(options: MqttSinkOptions<T>): Promise<MqttSink<T>> {
  assertKnown(COMPONENT, options, KEYS);
  const url = stringOption(COMPONENT, 'url', options.url);
  if (url === undefined) throw invalid(COMPONENT, 'url', options.url, "the broker's URL (mqtt://host:port)");
  const topicOption = options.topic;
  if (typeof topicOption !== 'function' && (typeof topicOption !== 'string' || topicOption === '')) {
    throw invalid(COMPONENT, 'topic', topicOption, 'a topic or a function of the item');
  }
  if (typeof topicOption === 'string' && /[+#]/.test(topicOption)) {
    throw invalid(COMPONENT, 'topic', topicOption, 'a topic without wildcards (+ and # are for subscriptions)');
  }
  const qos = qosOption(COMPONENT, options.qos);
  fnOption(COMPONENT, 'serialize', options.serialize);
  const publishTimeoutMs = intOption(COMPONENT, 'publishTimeoutMs', options.publishTimeoutMs, 30_000, 1);
  const connectTimeoutMs = intOption(COMPONENT, 'connectTimeoutMs', options.connectTimeoutMs, 10_000, 1);
  const reconnectPeriodMs = intOption(COMPONENT, 'reconnectPeriodMs', options.reconnectPeriodMs, 1000, 1);
  const clientId = stringOption(COMPONENT, 'clientId', options.clientId) ?? `tidings-${uuidv7()}`;
  const name = stringOption(COMPONENT, 'name', options.name) ?? 'mqtt';
  if (options.retain !== undefined && typeof options.retain !== 'boolean') {
    throw invalid(COMPONENT, 'retain', options.retain, 'a boolean');
  }
  const clock = options.clock ?? systemClock;
  const serialize = options.serialize ?? ((item: T): string => JSON.stringify(item));
  const topicOf = typeof topicOption === 'function' ? topicOption : (): string => topicOption;
  const producerId = uuidv7();

  const { client } = await connectClient({
    url,
    clientId,
    sessionExpirySeconds: 0,
    connectTimeoutMs,
    reconnectPeriodMs,
    clock,
  });
  let connected = true;
  client.on('offline', () => (connected = false));
  client.on('connect', () => (connected = true));
  client.on('error', () => undefined); // followed by offline/close; writes are bounded by publishTimeoutMs

  let seq = 0;
  let published = 0;
  let pending = 0;
  let timedOut = 0;
  const inFlight = new Set<Promise<unknown>>();

  const write = async (item: T): Promise<void> => {
    const topic = topicOf(item);
    const payload = serialize(item);
    seq++;
    pending++;
    const publishing = client.publishAsync(topic, payload, {
      qos,
      retain: options.retain ?? false,
      properties: { userProperties: { [PRODUCER_PROPERTY]: producerId, [SEQ_PROPERTY]: String(seq) } },
    });
    inFlight.add(publishing);
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        timedOut++;
        reject(
          new TimeoutError(
            `MQTT publish to '${topic}' was not acknowledged within ${publishTimeoutMs} ms (publishTimeoutMs); the broker may be down. It may still be delivered later (at least once).`,
            publishTimeoutMs,
          ),
        );
      }, publishTimeoutMs);
    });
    try {
      await Promise.race([publishing, timeout]);
      published++;
    } finally {
      timer?.cancel();
      pending--;
      inFlight.delete(publishing);
      publishing.catch(() => undefined);
    }
  };

  const close = async (): Promise<void> => {
    const settle = Promise.allSettled([...inFlight]);
    let timer: { cancel(): void } | undefined;
    await Promise.race([settle, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, publishTimeoutMs)))]);
    timer?.cancel();
    await endClient(client, clock, 2000);
  };

  return {
    name,
    producerId,
    write,
    stats: () => ({ connected, published, pending, timedOut, lastSeq: seq }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
