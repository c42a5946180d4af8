// The MQTT-fed case of the `streams` scenario: the IoT example end to end (MQTT source → ingest →
// bus → averages and alerts pipelines → store) against a raw mqtt.js subscriber, both fed by the
// same raw publisher over the same broker.
import mqtt from 'mqtt';

const MQTT_URL = process.env.TIDINGS_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const SENSORS = 10;
/** Publishes awaited in groups, so the publisher never has more than this many unacknowledged. */
const PUBLISH_GROUP = 200;
const TIMEOUT_MS = 120_000;

export { MQTT_URL };

function payloads(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    // One in fifty readings is hot, so the alert path and the store take part.
    const reading = {
      sensorId: `s-${i % SENSORS}`,
      timestamp: T0 + i * 10,
      temperature: i % 50 === 0 ? 35 : 21.5,
      humidity: 50,
      pressure: 1013,
    };
    out.push([`sensors/${reading.sensorId}/reading`, JSON.stringify(reading)]);
  }
  return out;
}

async function publishAll(publisher, prefix, messages) {
  for (let i = 0; i < messages.length; i += PUBLISH_GROUP) {
    const group = messages.slice(i, i + PUBLISH_GROUP);
    await Promise.all(group.map(([topic, body]) => publisher.publishAsync(`${prefix}/${topic}`, body, { qos: 1 })));
  }
}

async function until(what, check) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const prefixOf = () => `tidings-bench/${process.pid}-${Date.now().toString(36)}`;

/** The raw ceiling: a mqtt.js subscriber that counts what it receives (QoS 1, acknowledged at once). */
async function rawRound(n) {
  const prefix = prefixOf();
  const subscriber = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  const publisher = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  try {
    let received = 0;
    subscriber.on('message', () => received++);
    await subscriber.subscribeAsync(`${prefix}/sensors/+/reading`, { qos: 1 });
    const messages = payloads(n);
    const t0 = performance.now();
    await publishAll(publisher, prefix, messages);
    await until(`${n} messages`, () => received >= n);
    const seconds = (performance.now() - t0) / 1000;
    return { rate: n / seconds, received };
  } finally {
    await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  }
}

/** The IoT example fed by its MQTT source, until both of its pipelines have taken every reading. */
async function iotRound(n) {
  const { openMqttSource } = await import('../../packages/mqtt/dist/index.js');
  const { pipe, map } = await import('../../packages/tidings/dist/streams/index.js');
  const { startIotApp } = await import('../../examples/iot/dist/iot-app.js');
  const prefix = prefixOf();
  const source = await openMqttSource({ url: MQTT_URL, topic: `${prefix}/sensors/+/reading`, sessionExpirySeconds: 0 });
  const publisher = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  let alerts = 0;
  const app = startIotApp({
    source: pipe(
      source,
      map((m) => m.payload),
    ),
    onAlert: () => alerts++,
  });
  try {
    const messages = payloads(n);
    const t0 = performance.now();
    await publishAll(publisher, prefix, messages);
    await until(`${n} readings through both pipelines`, () => {
      const s = app.stats();
      return s.averages.in >= n && s.alerts.in >= n;
    });
    const seconds = (performance.now() - t0) / 1000;
    await source.close();
    await app.done;
    if (alerts !== n / 50) throw new Error(`expected ${n / 50} alerts, got ${alerts}`);
    const recorded = Number(await app.store.headPosition());
    if (recorded !== alerts) throw new Error(`expected ${alerts} alert events in the store, found ${recorded}`);
    return { rate: n / seconds, received: source.stats().received };
  } finally {
    await source.close();
    await publisher.endAsync();
  }
}

export const mqttRounds = { raw: rawRound, iot: iotRound };
