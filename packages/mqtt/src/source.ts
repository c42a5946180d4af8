import type { IPublishPacket } from 'mqtt';
import type { Clock, TimerHandle } from 'tidings';
import { systemClock, uuidv7 } from 'tidings';
import { connectClient, endClient } from './connect.js';
import { MqttOfflineError } from './errors.js';
import { assertKnown, fnOption, intOption, invalid, qosOption, stringOption } from './options.js';
import type { MqttLoss } from './sequence-tracker.js';
import { SequenceTracker } from './sequence-tracker.js';
import { PRODUCER_PROPERTY, SEQ_PROPERTY } from './wire.js';

export interface MqttSourceOptions<T = unknown> {
  /** The broker, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string;
  /** Topic filter(s) to subscribe to (`sensors/+/reading`). */
  readonly topic: string | readonly string[];
  /**
   * The client id. Give a stable one to resume the broker's session after a restart of this
   * process: QoS 1 messages that arrived meanwhile are delivered then. Default: a fresh id.
   */
  readonly clientId?: string;
  /** Default 1: at least once (see docs/decisions/0702). 0: at most once, nothing is redelivered. */
  readonly qos?: 0 | 1;
  /** How long the broker keeps the session while this client is away. Default 3600; 0 for a clean session. */
  readonly sessionExpirySeconds?: number;
  /**
   * Messages acknowledged to the broker and waiting for the consumer. When that many wait, the next
   * message is not acknowledged and the client stops reading until the consumer takes one, so a
   * slow pipeline slows the broker's deliveries (the broker keeps the rest). Default 100; 0 acknowledges
   * each message only when the consumer takes it.
   */
  readonly prefetch?: number;
  /** Turns a payload into the message's `payload`. Default: JSON. A throw counts the message as invalid. */
  readonly parse?: (payload: Buffer, topic: string) => T;
  /** Drop QoS 1 redeliveries of messages already delivered (recognised by producer and sequence number). Default true. */
  readonly dedupe?: boolean;
  /** Give up (the iterator throws `MqttOfflineError`) when disconnected this long. Default 60 000; Infinity allowed. */
  readonly maxOfflineMs?: number;
  /** Bound on the first connection. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Pause between reconnection attempts. Default 1000. */
  readonly reconnectPeriodMs?: number;
  readonly clock?: Clock;
  /** Told about each gap in a producer's sequence numbers: messages lost. */
  readonly onLoss?: (loss: MqttLoss) => void;
  /** Told about each message `parse` refused (it is acknowledged and counted, not delivered). */
  readonly onInvalid?: (error: unknown, topic: string, payload: Buffer) => void;
  /** Told when the connection drops and comes back (`sessionPresent: false` means the broker lost the session). */
  readonly onConnection?: (event: MqttConnectionEvent) => void;
}

export interface MqttConnectionEvent {
  readonly state: 'offline' | 'online';
  readonly at: Date;
  /** For `online`: whether the broker still had this client's session (and its queued messages). */
  readonly sessionPresent?: boolean;
}

/** One message as the source delivers it. */
export interface MqttMessage<T = unknown> {
  readonly topic: string;
  readonly payload: T;
  readonly receivedAt: Date;
  /** The publishing sink's producer id and sequence number, when it stamped them. */
  readonly producer: string | undefined;
  readonly seq: number | undefined;
  /** The broker flagged it as a redelivery (QoS 1, DUP). */
  readonly redelivered: boolean;
  readonly userProperties: Readonly<Record<string, string | string[]>>;
}

export interface MqttSourceStats {
  readonly connected: boolean;
  /** Connections re-established after a drop. */
  readonly reconnects: number;
  /** Reconnections where the broker no longer had the session: messages queued for it are gone. */
  readonly sessionsLost: number;
  /** Total time disconnected so far, in ms. */
  readonly offlineMs: number;
  readonly received: number;
  readonly delivered: number;
  readonly duplicates: number;
  /** Messages missing from producers' sequences (net of those that arrived late). */
  readonly lost: number;
  readonly recovered: number;
  readonly invalid: number;
  /** Acknowledged, waiting for the consumer. */
  readonly waiting: number;
  /** A message held unacknowledged because `prefetch` were waiting. */
  readonly holding: boolean;
}

/** An MQTT subscription as an AsyncIterable, usable as a pipeline source. */
export interface MqttSource<T = unknown> extends AsyncIterableIterator<MqttMessage<T>>, AsyncDisposable {
  readonly clientId: string;
  stats(): MqttSourceStats;
  /** Every gap noticed so far (the last 1000). */
  losses(): readonly MqttLoss[];
  /**
   * Ends the iteration and disconnects (bounded). The subscription stays in the broker's session
   * (until `sessionExpirySeconds`), so a source opened again with the same `clientId` resumes.
   */
  close(): Promise<void>;
}

const KEYS = [
  'url',
  'topic',
  'clientId',
  'qos',
  'sessionExpirySeconds',
  'prefetch',
  'parse',
  'dedupe',
  'maxOfflineMs',
  'connectTimeoutMs',
  'reconnectPeriodMs',
  'clock',
  'onLoss',
  'onInvalid',
  'onConnection',
];
const COMPONENT = 'openMqttSource';
const MAX_LOSSES_KEPT = 1000;

interface Waiter<T> {
  resolve(result: IteratorResult<MqttMessage<T>>): void;
  reject(error: unknown): void;
}

const parseJson = (payload: Buffer): unknown => JSON.parse(payload.toString('utf8')) as unknown;

function firstProperty(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Subscribes to an MQTT topic and returns its messages as an AsyncIterable — a pipeline source.
 * Resolves once connected and subscribed (bounded by `connectTimeoutMs`; `MqttConnectError`
 * otherwise). After a drop the client reconnects by itself; the source counts reconnections,
 * lost sessions, duplicates and — for messages published by `openMqttSink`, which numbers them —
 * gaps, i.e. messages lost (see `stats()`, `onLoss`).
 *
 * @example
 * const source = await openMqttSource<Reading>({ url: 'mqtt://127.0.0.1:1883', topic: 'sensors/+/reading', clientId: 'alerts' });
 * await pipe(source, map((m) => m.payload), window({ size: '10s' })).start().pipeTo(print);
 */
export async function openMqttSource<T = unknown>(options: MqttSourceOptions<T>): Promise<MqttSource<T>> {
  assertKnown(COMPONENT, options, KEYS);
  const url = stringOption(COMPONENT, 'url', options.url);
  if (url === undefined) throw invalid(COMPONENT, 'url', options.url, "the broker's URL (mqtt://host:port)");
  const topics = typeof options.topic === 'string' ? [options.topic] : [...options.topic];
  if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
    throw invalid(COMPONENT, 'topic', options.topic, 'a topic filter or a non-empty list of them');
  }
  const qos = qosOption(COMPONENT, options.qos);
  const sessionExpirySeconds = intOption(COMPONENT, 'sessionExpirySeconds', options.sessionExpirySeconds, 3600, 0);
  const prefetch = intOption(COMPONENT, 'prefetch', options.prefetch, 100, 0);
  const maxOfflineMs = intOption(COMPONENT, 'maxOfflineMs', options.maxOfflineMs, 60_000, 1);
  const connectTimeoutMs = intOption(COMPONENT, 'connectTimeoutMs', options.connectTimeoutMs, 10_000, 1);
  const reconnectPeriodMs = intOption(COMPONENT, 'reconnectPeriodMs', options.reconnectPeriodMs, 1000, 1);
  for (const fn of ['parse', 'onLoss', 'onInvalid', 'onConnection'] as const) fnOption(COMPONENT, fn, options[fn]);
  if (options.dedupe !== undefined && typeof options.dedupe !== 'boolean') {
    throw invalid(COMPONENT, 'dedupe', options.dedupe, 'a boolean');
  }
  const clientId = stringOption(COMPONENT, 'clientId', options.clientId) ?? `tidings-${uuidv7()}`;
  const clock = options.clock ?? systemClock;
  const parse = (options.parse ?? parseJson) as (payload: Buffer, topic: string) => T;
  const dedupe = options.dedupe ?? true;

  const tracker = new SequenceTracker();
  const losses: MqttLoss[] = [];
  const queue: MqttMessage<T>[] = [];
  const waiters: Waiter<T>[] = [];
  let held: (() => void) | undefined;
  let closed = false;
  let failure: Error | undefined;
  let connected = false;
  let reconnects = 0;
  let sessionsLost = 0;
  let offlineSince: number | undefined;
  let offlineTotal = 0;
  let offlineTimer: TimerHandle | undefined;
  let received = 0;
  let delivered = 0;
  let invalidCount = 0;

  const deliver = (message: MqttMessage<T>): boolean => {
    const waiter = waiters.shift();
    if (waiter === undefined) return false;
    delivered++;
    waiter.resolve({ value: message, done: false });
    return true;
  };

  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    if (error !== undefined) failure = error;
    offlineTimer?.cancel();
    for (let w = waiters.shift(); w !== undefined; w = waiters.shift()) {
      if (failure !== undefined) {
        w.reject(failure);
        failure = undefined; // surfaces once
      } else {
        w.resolve({ value: undefined, done: true });
      }
    }
  };

  // Called by mqtt.js for each PUBLISH, one at a time: it reads the next packet (and, for QoS 1,
  // sends PUBACK) only once `ack` is called. Not calling it yet is how the source applies backpressure.
  const handleMessage = (packet: IPublishPacket, ack: (error?: Error) => void): void => {
    if (closed) return; // not acknowledged: with a persistent session the broker delivers it again next time
    received++;
    const payloadBuffer = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const userProperties = packet.properties?.userProperties ?? {};
    const producer = firstProperty(userProperties[PRODUCER_PROPERTY]);
    const seqText = firstProperty(userProperties[SEQ_PROPERTY]);
    const seq = seqText === undefined ? undefined : Number(seqText);
    if (producer !== undefined && seq !== undefined && Number.isSafeInteger(seq)) {
      const verdict = tracker.observe(producer, seq, (gap) => {
        const loss: MqttLoss = { ...gap, detectedAt: new Date(clock.now()) };
        losses.push(loss);
        if (losses.length > MAX_LOSSES_KEPT) losses.shift();
        options.onLoss?.(loss);
      });
      if (verdict === 'duplicate' && dedupe) {
        ack();
        return;
      }
    }
    let payload: T;
    try {
      payload = parse(payloadBuffer, packet.topic);
    } catch (error) {
      invalidCount++;
      options.onInvalid?.(error, packet.topic, payloadBuffer);
      ack();
      return;
    }
    const message: MqttMessage<T> = {
      topic: packet.topic,
      payload,
      receivedAt: new Date(clock.now()),
      producer,
      seq,
      redelivered: packet.dup,
      userProperties,
    };
    if (deliver(message)) {
      ack();
      return;
    }
    queue.push(message);
    if (queue.length <= prefetch) ack();
    else held = () => ack();
  };

  const { client: opened } = await connectClient({
    url,
    clientId,
    sessionExpirySeconds,
    connectTimeoutMs,
    reconnectPeriodMs,
    clock,
    handleMessage,
  });
  connected = true;
  const owned = opened;

  owned.on('offline', () => {
    if (!connected) return;
    connected = false;
    offlineSince = clock.now();
    options.onConnection?.({ state: 'offline', at: new Date(offlineSince) });
    if (Number.isFinite(maxOfflineMs)) {
      offlineTimer = clock.setTimeout(() => {
        finish(new MqttOfflineError(url, maxOfflineMs));
        void endClient(owned, clock, 1000);
      }, maxOfflineMs);
    }
  });
  owned.on('connect', (connack) => {
    if (connected) return;
    connected = true;
    reconnects++;
    offlineTimer?.cancel();
    if (offlineSince !== undefined) offlineTotal += clock.now() - offlineSince;
    offlineSince = undefined;
    if (!connack.sessionPresent && sessionExpirySeconds > 0) sessionsLost++;
    options.onConnection?.({ state: 'online', at: new Date(clock.now()), sessionPresent: connack.sessionPresent });
  });
  // Errors after connecting (a refused reconnect, a socket error) are followed by 'offline'/'close'; the bound is maxOfflineMs.
  owned.on('error', () => undefined);

  try {
    const grants = await owned.subscribeAsync(topics, { qos });
    // A refused subscription comes back with a failure reason code (0x80 and above) in place of a QoS.
    const refused = grants.filter((g) => g.qos >= 0x80);
    if (refused.length > 0) {
      throw invalid(
        COMPONENT,
        'topic',
        refused.map((g) => g.topic).join(', '),
        'a topic the broker lets this client subscribe to',
      );
    }
  } catch (error) {
    await endClient(owned, clock, 1000);
    throw error;
  }

  const take = (): Promise<IteratorResult<MqttMessage<T>>> => {
    const message = queue.shift();
    if (message !== undefined) {
      delivered++;
      const release = held;
      held = undefined;
      release?.();
      return Promise.resolve({ value: message, done: false });
    }
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      return Promise.reject(error);
    }
    if (closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };

  const close = async (): Promise<void> => {
    finish();
    queue.length = 0;
    held = undefined; // never acknowledged: the broker keeps it for the session
    await endClient(owned, clock, 2000);
  };

  const source: MqttSource<T> = {
    clientId,
    next: take,
    async return() {
      await close();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return source;
    },
    [Symbol.asyncDispose]: close,
    close,
    losses: () => [...losses],
    stats: () => ({
      connected,
      reconnects,
      sessionsLost,
      offlineMs: offlineTotal + (offlineSince === undefined ? 0 : clock.now() - offlineSince),
      received,
      delivered,
      duplicates: tracker.duplicates,
      lost: tracker.lost,
      recovered: tracker.recovered,
      invalid: invalidCount,
      waiting: queue.length,
      holding: held !== undefined,
    }),
  };
  return source;
}
