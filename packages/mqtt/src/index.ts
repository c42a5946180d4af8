// @tidings/mqtt: MQTT topics as pipeline sources and sinks (mqtt.js, MQTT 5, QoS 1 by default).
export { openMqttSource } from './source.js';
export type { MqttSource, MqttSourceOptions, MqttSourceStats, MqttMessage, MqttConnectionEvent } from './source.js';
export { openMqttSink } from './sink.js';
export type { MqttSink, MqttSinkOptions, MqttSinkStats } from './sink.js';
export type { MqttLoss } from './sequence-tracker.js';
export { MqttConnectError, MqttOfflineError } from './errors.js';
export { PRODUCER_PROPERTY, SEQ_PROPERTY } from './wire.js';
