import { describe, expect, it } from 'vitest';
import { ValidationError } from 'tidings';
import { openMqttSink, openMqttSource } from '@tidings/mqtt';

// Validation happens before any connection: these never reach a broker (the URL is unroutable on purpose).
const url = 'mqtt://127.0.0.1:1';

async function refused(open: () => Promise<unknown>, pattern: RegExp, code = 'INVALID_OPTION'): Promise<void> {
  const error = await open().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ code });
  expect((error as Error).message).toMatch(pattern);
}

describe('MQTT options are checked before connecting', () => {
  it('source', async () => {
    await refused(
      () => openMqttSource({ url, topic: 'a', qos: 2 as never }),
      /qos' must be 0 or 1 \(QoS 2 is not supported\), got 2/,
    );
    await refused(() => openMqttSource({ url, topic: [] }), /topic' must be a topic filter or a non-empty list/);
    await refused(() => openMqttSource({ url, topic: 'a', prefetch: -1 }), /prefetch' must be an integer >= 0, got -1/);
    await refused(
      () => openMqttSource({ url, topic: 'a', qos: 1, retry: true } as never),
      /unknown option 'retry'/,
      'UNKNOWN_OPTION',
    );
    await refused(() => openMqttSource({ url: '', topic: 'a' }), /url' must be a non-empty string/);
  });

  it('sink', async () => {
    await refused(() => openMqttSink({ url, topic: 'sensors/+/reading' }), /without wildcards/);
    await refused(
      () => openMqttSink({ url, topic: 't', publishTimeoutMs: 0 }),
      /publishTimeoutMs' must be an integer >= 1/,
    );
    await refused(
      () => openMqttSink({ url, topic: 't', serialise: JSON.stringify } as never),
      /unknown option 'serialise'/,
      'UNKNOWN_OPTION',
    );
  });
});
