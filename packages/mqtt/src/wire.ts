/**
 * MQTT 5 user properties with which `openMqttSink` numbers its messages, so a source can tell a
 * QoS 1 redelivery (a number seen before) from a loss (a number skipped). Payloads stay the
 * application's own; publishers that do not set them are delivered without those checks.
 */
export const PRODUCER_PROPERTY = 'tidings-producer';
export const SEQ_PROPERTY = 'tidings-seq';
