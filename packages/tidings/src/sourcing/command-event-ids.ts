import { ValidationError } from '../errors.js';

// Fixed namespace for Tidings command-derived event ids (a random UUID chosen once; never change it,
// or retried commands written before the change would no longer dedupe).
const NAMESPACE = hexBytes('8f3a2c4e-6b1d-4e7a-9c55-0d2e71b4a9f3');
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Longest accepted command id, in UTF-16 code units. */
export const MAX_COMMAND_ID_LENGTH = 512;

/**
 * The event ids for the events a command appends to a stream: name-based UUIDs (version 5,
 * SHA-1, RFC 9562 §5.5) of the stream id, the command id and the event's index. The same
 * command handled again on the same stream yields the same ids, so the store's idempotent append
 * recognises the retry instead of storing the events twice.
 *
 * @example
 * const [first] = await commandEventIds('cmd-7f3a', 'user-42', 1);
 */
export async function commandEventIds(
  commandId: string,
  streamId: string,
  count: number,
  start = 0,
): Promise<string[]> {
  assertCommandId(commandId);
  const ids: Promise<string>[] = [];
  for (let i = start; i < start + count; i++) ids.push(uuidv5(NAMESPACE, JSON.stringify([streamId, commandId, i])));
  return Promise.all(ids);
}

/** Throws a ValidationError unless `commandId` is a non-empty string of at most 512 characters. */
export function assertCommandId(commandId: unknown): asserts commandId is string {
  if (typeof commandId !== 'string' || commandId.length === 0 || commandId.length > MAX_COMMAND_ID_LENGTH) {
    throw new ValidationError(
      `Invalid command id ${JSON.stringify(commandId)}: expected a non-empty string of at most ${MAX_COMMAND_ID_LENGTH} characters, unique per command (a UUID is ideal). Re-send a command with the same id to retry it safely.`,
      [{ path: ['commandId'], message: 'invalid command id' }],
      { code: 'INVALID_COMMAND_ID' },
    );
  }
}

/** Internal: a name-based UUID (version 5, SHA-1) of `name` in `namespace` (16 bytes). */
export async function uuidv5(namespace: Uint8Array, name: string): Promise<string> {
  const nameBytes = encoder.encode(name);
  const input = new Uint8Array(namespace.length + nameBytes.length);
  input.set(namespace, 0);
  input.set(nameBytes, namespace.length);
  // Web Crypto rather than node:crypto: core stays free of Node-only modules.
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', input));
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[hash[i]!]!;
  }
  return out;
}

/** Internal: the 16 bytes of a UUID string. */
export function hexBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
