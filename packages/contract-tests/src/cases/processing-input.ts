import {
  serializeError,
  StoreClosedError,
  TidingsError,
  ValidationError,
  type EventStore,
  type Lease,
  type RecordedEvent,
  type TransactionProcessing,
} from 'tidings';
import { describe, expect } from 'vitest';
import { collect, ev, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

type Call = readonly [label: string, code: string, call: () => Promise<unknown>];
type TxCall = readonly [label: string, code: string, call: (p: TransactionProcessing) => Promise<unknown>];

/** Everything the processing state holds, to prove a refused call wrote nothing. */
async function snapshot(store: EventStore): Promise<unknown> {
  return {
    checkpoints: await store.processing.listCheckpoints(),
    parked: await store.processing.listParked(),
    lease: await store.processing.getLease('p'),
  };
}

/** Bad calls on `store.processing`, each with the error code every store must give. */
function storeCalls(store: EventStore, lease: Lease): Call[] {
  const p = store.processing;
  const long = 'x'.repeat(201);
  const call = (label: string, code: string, fn: () => Promise<unknown>): Call => [label, code, fn];
  const any = (v: unknown) => v as never;
  return [
    call('getCheckpoint empty name', 'INVALID_PROCESSOR_NAME', () => p.getCheckpoint('')),
    call('getCheckpoint long name', 'INVALID_PROCESSOR_NAME', () => p.getCheckpoint(long)),
    call('getCheckpoint NUL in name', 'INVALID_PROCESSOR_NAME', () => p.getCheckpoint('a\u0000b')),
    call('getCheckpoint non-string', 'INVALID_PROCESSOR_NAME', () => p.getCheckpoint(any(42))),
    call('getCheckpoint negative partition', 'INVALID_PARTITION', () => p.getCheckpoint('p', -1)),
    call('getCheckpoint fractional partition', 'INVALID_PARTITION', () => p.getCheckpoint('p', 1.5)),
    call('getCheckpoint huge partition', 'INVALID_PARTITION', () => p.getCheckpoint('p', 2 ** 31)),
    call('deleteCheckpoints bad name', 'INVALID_PROCESSOR_NAME', () => p.deleteCheckpoints('')),
    call('acquireLease unknown key', 'UNKNOWN_OPTION', () =>
      p.acquireLease(any({ processor: 'p', owner: 'a', ttlMs: 1000, ttl: 5 })),
    ),
    call('acquireLease not an object', 'INVALID_LEASE', () => p.acquireLease(any(null))),
    call('acquireLease bad processor', 'INVALID_PROCESSOR_NAME', () =>
      p.acquireLease({ processor: '', owner: 'a', ttlMs: 1000 }),
    ),
    call('acquireLease bad owner', 'INVALID_PROCESSOR_NAME', () =>
      p.acquireLease({ processor: 'p', owner: '', ttlMs: 1000 }),
    ),
    call('acquireLease bad partition', 'INVALID_PARTITION', () =>
      p.acquireLease({ processor: 'p', partition: -1, owner: 'a', ttlMs: 1000 }),
    ),
    call('acquireLease zero ttl', 'INVALID_LEASE', () => p.acquireLease({ processor: 'p', owner: 'a', ttlMs: 0 })),
    call('acquireLease fractional ttl', 'INVALID_LEASE', () =>
      p.acquireLease({ processor: 'p', owner: 'a', ttlMs: 1.5 }),
    ),
    call('acquireLease huge ttl', 'INVALID_LEASE', () =>
      p.acquireLease({ processor: 'p', owner: 'a', ttlMs: 2 ** 31 }),
    ),
    call('acquireLease string ttl', 'INVALID_LEASE', () =>
      p.acquireLease(any({ processor: 'p', owner: 'a', ttlMs: '1000' })),
    ),
    call('renewLease bad ttl', 'INVALID_LEASE', () => p.renewLease(lease, 0)),
    call('renewLease not a lease', 'INVALID_LEASE', () => p.renewLease(any(undefined), 1000)),
    call('renewLease negative epoch', 'INVALID_POSITION', () => p.renewLease({ ...lease, epoch: -1n }, 1000)),
    call('releaseLease number epoch', 'INVALID_POSITION', () => p.releaseLease({ ...lease, epoch: any(1) })),
    call('getLease bad partition', 'INVALID_PARTITION', () => p.getLease('p', any('0'))),
    call('listParked unknown key', 'UNKNOWN_OPTION', () => p.listParked(any({ processor: 'p', stream: 'x' }))),
    call('listParked not an object', 'INVALID_OPTIONS', () => p.listParked(any('p'))),
    call('listParked zero limit', 'INVALID_PARKED_FILTER', () => p.listParked({ limit: 0 })),
    call('listParked huge limit', 'INVALID_PARKED_FILTER', () => p.listParked({ limit: 10_001 })),
    call('listParked bad blocking', 'INVALID_PARKED_FILTER', () => p.listParked({ blocking: any('yes') })),
    call('listParked bad stream', 'INVALID_PARKED_FILTER', () => p.listParked({ streamId: any(1) })),
    call('listParked bad processor', 'INVALID_PROCESSOR_NAME', () => p.listParked({ processor: '' })),
    call('getParked non-string', 'VALIDATION_FAILED', () => p.getParked(any(7))),
  ];
}

/** Bad calls on `tx.processing`. */
function txCalls(event: RecordedEvent): TxCall[] {
  const any = (v: unknown) => v as never;
  const error = serializeError(new Error('x'));
  const park = { processor: 'p', event, error, attempts: 1, blocking: false };
  const call = (label: string, code: string, fn: (p: TransactionProcessing) => Promise<unknown>): TxCall => [
    label,
    code,
    fn,
  ];
  return [
    call('tx.getCheckpoint bad name', 'INVALID_PROCESSOR_NAME', (p) => p.getCheckpoint('')),
    call('tx.getCheckpoint bad partition', 'INVALID_PARTITION', (p) => p.getCheckpoint('p', -1)),
    call('saveCheckpoint not an object', 'INVALID_CHECKPOINT', (p) => p.saveCheckpoint(any(null))),
    call('saveCheckpoint unknown key', 'UNKNOWN_OPTION', (p) =>
      p.saveCheckpoint(any({ processor: 'p', position: 1n, pos: 1n })),
    ),
    call('saveCheckpoint bad name', 'INVALID_PROCESSOR_NAME', (p) =>
      p.saveCheckpoint({ processor: 'a\u0000', position: 1n }),
    ),
    call('saveCheckpoint number position', 'INVALID_POSITION', (p) =>
      p.saveCheckpoint({ processor: 'p', position: any(1) }),
    ),
    call('saveCheckpoint negative position', 'INVALID_POSITION', (p) =>
      p.saveCheckpoint({ processor: 'p', position: -1n }),
    ),
    call('saveCheckpoint position over int64', 'INVALID_POSITION', (p) =>
      p.saveCheckpoint({ processor: 'p', position: 2n ** 63n }),
    ),
    call('saveCheckpoint bad partition', 'INVALID_PARTITION', (p) =>
      p.saveCheckpoint({ processor: 'p', partition: 0.5, position: 1n }),
    ),
    call('saveCheckpoint bad epoch', 'INVALID_POSITION', (p) =>
      p.saveCheckpoint({ processor: 'p', position: 1n, epoch: -2n }),
    ),
    call('claimInbox bad name', 'INVALID_PROCESSOR_NAME', (p) => p.claimInbox('', event)),
    call('claimInbox unknown key', 'UNKNOWN_OPTION', (p) => p.claimInbox('p', event, any({ epok: 1n }))),
    call('claimInbox not an event', 'VALIDATION_FAILED', (p) => p.claimInbox('p', any({ id: 'x' }))),
    call('claimInbox id not a UUID', 'VALIDATION_FAILED', (p) => p.claimInbox('p', { id: 'e-1', position: 1n })),
    call('claimInbox negative position', 'INVALID_POSITION', (p) => p.claimInbox('p', { id: event.id, position: -1n })),
    call('claimInbox bad partition', 'INVALID_PARTITION', (p) => p.claimInbox('p', event, { partition: -1 })),
    call('claimInbox bad epoch', 'INVALID_POSITION', (p) => p.claimInbox('p', event, { epoch: any(1) })),
    call('park not an object', 'INVALID_PARK_REQUEST', (p) => p.park(any(undefined))),
    call('park unknown key', 'UNKNOWN_OPTION', (p) => p.park(any({ ...park, retry: true }))),
    call('park bad name', 'INVALID_PROCESSOR_NAME', (p) => p.park({ ...park, processor: '' })),
    call('park bad partition', 'INVALID_PARTITION', (p) => p.park({ ...park, partition: -3 })),
    call('park event without version', 'INVALID_PARK_REQUEST', (p) =>
      p.park({ ...park, event: any({ ...event, version: 1 }) }),
    ),
    call('park event id not a UUID', 'INVALID_PARK_REQUEST', (p) =>
      p.park({ ...park, event: { ...event, id: 'nope' } }),
    ),
    call('park bad stream id', 'INVALID_STREAM_ID', (p) =>
      p.park({ ...park, event: { ...event, streamId: 'a\u0000b' } }),
    ),
    call('park NUL in type', 'INVALID_PARK_REQUEST', (p) => p.park({ ...park, event: { ...event, type: 't\u0000' } })),
    call('park negative position', 'INVALID_POSITION', (p) => p.park({ ...park, event: { ...event, position: -1n } })),
    call('park error not serialized', 'INVALID_PARK_REQUEST', (p) => p.park({ ...park, error: any('boom') })),
    call('park error not JSON', 'INVALID_PARK_REQUEST', (p) =>
      p.park({ ...park, error: any({ name: 'E', message: 'm', n: 1n }) }),
    ),
    call('park zero attempts', 'INVALID_PARK_REQUEST', (p) => p.park({ ...park, attempts: 0 })),
    call('park bad blocking', 'INVALID_PARK_REQUEST', (p) => p.park({ ...park, blocking: any(1) })),
    call('park bad epoch', 'INVALID_POSITION', (p) => p.park({ ...park, epoch: any('1') })),
    call('unpark non-string', 'VALIDATION_FAILED', (p) => p.unpark(any(1))),
    call('unpark unknown key', 'UNKNOWN_OPTION', (p) => p.unpark('id', any({ force: true }))),
    call('unpark bad epoch', 'INVALID_POSITION', (p) => p.unpark('id', { epoch: any(-1) })),
  ];
}

export function processingInputCases({ open, test }: ContractContext): void {
  describe('processing: bad input', () => {
    test('every store.processing call refuses bad input with the same ValidationError code and writes nothing', async () => {
      const store = await open();
      const lease = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 }))!;
      const before = await snapshot(store);
      const seen: string[] = [];
      for (const [label, code, call] of storeCalls(store, lease)) {
        const error = await rejects(call, ValidationError);
        seen.push(`${label}: ${error.code}`);
        expect(`${label}: ${error.code}`).toBe(`${label}: ${code}`);
      }
      expect(seen.length).toBeGreaterThan(25);
      expect(await snapshot(store)).toEqual(before);
    });

    test('every tx.processing call refuses bad input with the same ValidationError code and the transaction rolls back', async () => {
      const store = await open();
      await store.append('order-1', [ev()]);
      const [event] = await collect(store.readStream('order-1'));
      const before = await snapshot(store);
      const calls = txCalls(event!);
      expect(calls.length).toBeGreaterThan(30);
      for (const [label, code, call] of calls) {
        const found = await store
          .transaction(async (tx) => {
            // A valid write first: the refused call must take it down with the transaction.
            await tx.processing.saveCheckpoint({ processor: 'p', position: 1n });
            await call(tx.processing);
          })
          .then(
            () => 'resolved',
            (error: unknown) => (error instanceof ValidationError ? error.code : String(error)),
          );
        expect(`${label}: ${found}`).toBe(`${label}: ${code}`);
      }
      expect(await snapshot(store)).toEqual(before);
    });

    test('store.processing refuses calls after close with StoreClosedError', async () => {
      const store = await open();
      const lease = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 }))!;
      await store.close();
      const p = store.processing;
      for (const call of [
        () => p.getCheckpoint('p'),
        () => p.listCheckpoints(),
        () => p.deleteCheckpoints('p'),
        () => p.acquireLease({ processor: 'p', owner: 'a', ttlMs: 1000 }),
        () => p.renewLease(lease, 1000),
        () => p.releaseLease(lease),
        () => p.getLease('p'),
        () => p.listParked(),
        () => p.getParked('x'),
      ]) {
        await rejects(call, StoreClosedError);
      }
    });

    test('tx.processing refuses calls after the transaction finished with TRANSACTION_FINISHED', async () => {
      const store = await open();
      await store.append('order-1', [ev()]);
      const [event] = await collect(store.readStream('order-1'));
      const kept = await store.transaction((tx) => Promise.resolve(tx));
      const p = kept.processing;
      for (const call of [
        () => p.getCheckpoint('p'),
        () => p.saveCheckpoint({ processor: 'p', position: 1n }),
        () => p.claimInbox('p', event!),
        () =>
          p.park({
            processor: 'p',
            event: event!,
            error: serializeError(new Error('x')),
            attempts: 1,
            blocking: false,
          }),
        () => p.unpark('x'),
      ]) {
        await rejects(call, TidingsError, 'TRANSACTION_FINISHED');
      }
      expect(await store.processing.getCheckpoint('p')).toBeUndefined();
      expect(await store.processing.listParked()).toEqual([]);
    });
  });
}
