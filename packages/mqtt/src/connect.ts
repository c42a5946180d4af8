import type { IClientOptions, MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import type { Clock } from 'tidings';
import { MqttConnectError } from './errors.js';

export interface ConnectSettings {
  readonly url: string;
  readonly clientId: string;
  /** 0: a clean session; above 0: the broker keeps the session (subscriptions, queued QoS 1 messages) this long. */
  readonly sessionExpirySeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnectPeriodMs: number;
  readonly clock: Clock;
  /** Set before the first packet is read, so no message can arrive before the source handles it. */
  readonly handleMessage?: MqttClient['handleMessage'];
}

/**
 * Opens an MQTT 5 client and waits (bounded by `connectTimeoutMs` on `clock`) for the broker's
 * CONNACK. After that the client reconnects by itself every `reconnectPeriodMs`. Rejects with
 * `MqttConnectError` and leaves nothing open.
 */
export function connectClient(settings: ConnectSettings): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const options: IClientOptions = {
    clientId: settings.clientId,
    protocolVersion: 5,
    clean: settings.sessionExpirySeconds === 0,
    properties: { sessionExpiryInterval: settings.sessionExpirySeconds },
    connectTimeout: settings.connectTimeoutMs,
    reconnectPeriod: settings.reconnectPeriodMs,
    resubscribe: true,
    manualConnect: true,
  };
  const client = mqtt.connect(settings.url, options);
  if (settings.handleMessage !== undefined) client.handleMessage = settings.handleMessage;
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const cleanup = (): void => {
      timer.cancel();
      client.off('connect', onConnect);
      client.off('error', onError);
    };
    const onConnect = (connack: { sessionPresent: boolean }): void => {
      cleanup();
      resolve({ client, sessionPresent: connack.sessionPresent });
    };
    // Errors before the first CONNACK (refused, unreachable) are remembered; the client keeps retrying until the bound.
    const onError = (error: Error): void => {
      lastError = error;
    };
    const timer = settings.clock.setTimeout(() => {
      cleanup();
      client.end(true);
      const why =
        lastError instanceof Error
          ? `${lastError.message} (no connection within ${settings.connectTimeoutMs} ms)`
          : `no CONNACK within ${settings.connectTimeoutMs} ms`;
      reject(new MqttConnectError(settings.url, why, lastError));
    }, settings.connectTimeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.connect();
  });
}

/** Ends a client we own, waiting at most `ms` for a clean DISCONNECT before forcing it. */
export async function endClient(client: MqttClient, clock: Clock, ms: number): Promise<void> {
  let timer: { cancel(): void } | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = clock.setTimeout(() => {
      client.end(true, () => resolve());
    }, ms);
  });
  await Promise.race([client.endAsync(), forced]);
  timer?.cancel();
}
