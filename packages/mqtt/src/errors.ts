import { TidingsError } from 'tidings';

/** The broker could not be reached (or refused the connection) within `connectTimeoutMs`. */
export class MqttConnectError extends TidingsError {
  readonly url: string;
  constructor(url: string, detail: string, cause?: unknown) {
    super(
      'MQTT_CONNECT_FAILED',
      `Cannot connect to the MQTT broker at ${url}: ${detail}. Check that the broker runs and the address is right (TIDINGS_MQTT_URL), or raise connectTimeoutMs.`,
      cause === undefined ? undefined : { cause },
    );
    this.url = url;
  }
}

/** The connection was lost and not re-established within `maxOfflineMs`: the source gave up. */
export class MqttOfflineError extends TidingsError {
  readonly offlineMs: number;
  constructor(url: string, offlineMs: number) {
    super(
      'MQTT_OFFLINE',
      `The MQTT source lost its broker at ${url} and could not reconnect within ${offlineMs} ms (maxOfflineMs). Open a new source when the broker is back; with a persistent session (a fixed clientId) QoS 1 messages kept by the broker are delivered then.`,
    );
    this.offlineMs = offlineMs;
  }
}
