import { LeaseLostError } from './errors.js';
import type {
  CheckpointWrite,
  Lease,
  LeaseRequest,
  ParkedEvent,
  ParkedFilter,
  ParkRequest,
  StoreCheckpoint,
  TransactionProcessing,
} from './processing-types.js';
import {
  assertCheckpointWrite,
  assertInboxClaim,
  assertLease,
  assertLeaseRequest,
  assertLeaseTtl,
  assertParkRequest,
  assertParkedFilter,
  assertParkedId,
  assertPartition,
  assertUnpark,
  assertProcessorName,
  DEFAULT_PARKED_LIMIT,
} from './processing-validation.js';

const key = (processor: string, partition: number): string => `${processor}\u0000${partition}`;

interface InboxRow {
  readonly position: bigint;
}

/** The committed processing state of an in-memory store. Mutated only under the store's write lock. */
export class MemoryProcessingState {
  readonly checkpoints = new Map<string, StoreCheckpoint>();
  readonly leases = new Map<string, Lease>();
  /** By parked id. */
  readonly parked = new Map<string, ParkedEvent>();
  /** processor -> event id -> row. */
  readonly inbox = new Map<string, Map<string, InboxRow>>();

  constructor(
    private readonly storeId: string,
    private readonly now: () => number,
    private readonly nextId: () => string,
  ) {}

  getCheckpoint(processor: string, partition = 0): StoreCheckpoint | undefined {
    assertProcessorName(processor);
    assertPartition(partition);
    return this.checkpoints.get(key(processor, partition));
  }

  listCheckpoints(): StoreCheckpoint[] {
    return [...this.checkpoints.values()].sort((a, b) =>
      a.processor < b.processor ? -1 : a.processor > b.processor ? 1 : a.partition - b.partition,
    );
  }

  deleteCheckpoints(processor: string): void {
    assertProcessorName(processor);
    for (const [k, c] of this.checkpoints) if (c.processor === processor) this.checkpoints.delete(k);
    this.inbox.delete(processor);
  }

  acquireLease(request: LeaseRequest): Lease | undefined {
    assertLeaseRequest(request);
    const partition = request.partition ?? 0;
    const k = key(request.processor, partition);
    const now = this.now();
    const existing = this.leases.get(k);
    const expiresAt = new Date(now + request.ttlMs);
    let epoch: bigint;
    if (existing === undefined) epoch = 1n;
    else if (existing.owner === request.owner) epoch = existing.epoch;
    else if (existing.owner !== '' && existing.expiresAt.getTime() > now) return undefined;
    else epoch = existing.epoch + 1n;
    const lease: Lease = { processor: request.processor, partition, owner: request.owner, epoch, expiresAt };
    this.leases.set(k, lease);
    return lease;
  }

  renewLease(lease: Lease, ttlMs: number): Lease | undefined {
    assertLease(lease);
    assertLeaseTtl(ttlMs);
    const k = key(lease.processor, lease.partition);
    const existing = this.leases.get(k);
    if (existing === undefined || existing.epoch !== lease.epoch || existing.owner !== lease.owner) return undefined;
    const renewed: Lease = { ...existing, expiresAt: new Date(this.now() + ttlMs) };
    this.leases.set(k, renewed);
    return renewed;
  }

  releaseLease(lease: Lease): void {
    assertLease(lease);
    const k = key(lease.processor, lease.partition);
    const existing = this.leases.get(k);
    if (existing === undefined || existing.epoch !== lease.epoch || existing.owner !== lease.owner) return;
    // Released: the next holder, whoever it is, gets a new epoch.
    this.leases.set(k, { ...existing, owner: '', expiresAt: new Date(this.now()) });
  }

  getLease(processor: string, partition = 0): Lease | undefined {
    assertProcessorName(processor);
    assertPartition(partition);
    const lease = this.leases.get(key(processor, partition));
    return lease === undefined || lease.owner === '' ? undefined : lease;
  }

  /** Throws LeaseLostError unless `epoch` is the live epoch of the lease. */
  fence(processor: string, partition: number, epoch: bigint | undefined): void {
    if (epoch === undefined) return;
    const lease = this.leases.get(key(processor, partition));
    if (lease === undefined || lease.owner === '' || lease.epoch !== epoch) {
      throw new LeaseLostError(processor, partition, epoch, lease?.owner === '' ? undefined : lease?.epoch);
    }
  }

  listParked(filter: ParkedFilter | undefined): ParkedEvent[] {
    assertParkedFilter(filter);
    const limit = filter?.limit ?? DEFAULT_PARKED_LIMIT;
    return [...this.parked.values()]
      .filter(
        (p) =>
          (filter?.processor === undefined || p.processor === filter.processor) &&
          (filter?.streamId === undefined || p.streamId === filter.streamId) &&
          (filter?.blocking === undefined || p.blocking === filter.blocking),
      )
      .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
      .slice(0, limit);
  }

  getParked(id: string): ParkedEvent | undefined {
    assertParkedId('getParked', id);
    return this.parked.get(id);
  }

  /** A transaction's view: reads see its own writes; `commit` applies them. */
  draft(): ProcessingDraft {
    return new ProcessingDraft(this, this.storeId, this.now, this.nextId);
  }
}

type Op = () => void;

/** Processing writes of one in-memory transaction, applied on commit (dropped on rollback). */
export class ProcessingDraft implements TransactionProcessing {
  private readonly ops: Op[] = [];
  private readonly checkpoints = new Map<string, StoreCheckpoint>();
  /** processor -> event id -> row, claimed in this transaction. */
  private readonly claimed = new Map<string, Map<string, InboxRow>>();
  /** processor -> position at or below which committed inbox rows count as deleted. */
  private readonly pruned = new Map<string, bigint>();
  private readonly parked = new Map<string, ParkedEvent | null>();

  constructor(
    private readonly base: MemoryProcessingState,
    private readonly storeId: string,
    private readonly now: () => number,
    private readonly nextId: () => string,
  ) {}

  get dirty(): boolean {
    return this.ops.length > 0;
  }

  commit(): void {
    for (const op of this.ops) op();
  }

  getCheckpoint(processor: string, partition = 0): Promise<StoreCheckpoint | undefined> {
    return settle(() => {
      assertProcessorName(processor);
      assertPartition(partition);
      return this.checkpoints.get(key(processor, partition)) ?? this.base.getCheckpoint(processor, partition);
    });
  }

  saveCheckpoint(write: CheckpointWrite): Promise<void> {
    return settle(() => {
      assertCheckpointWrite(write);
      const partition = write.partition ?? 0;
      this.base.fence(write.processor, partition, write.epoch);
      const checkpoint: StoreCheckpoint = {
        source: 'store',
        storeId: this.storeId,
        processor: write.processor,
        partition,
        position: write.position,
        epoch: write.epoch ?? 0n,
        updatedAt: new Date(this.now()),
      };
      const k = key(write.processor, partition);
      this.checkpoints.set(k, checkpoint);
      const claimed = this.claimed.get(write.processor);
      if (claimed !== undefined)
        for (const [id, row] of claimed) if (row.position <= write.position) claimed.delete(id);
      const pruneTo = write.position;
      const before = this.pruned.get(write.processor);
      if (before === undefined || before < pruneTo) this.pruned.set(write.processor, pruneTo);
      this.ops.push(() => {
        this.base.checkpoints.set(k, checkpoint);
        const rows = this.base.inbox.get(write.processor);
        if (rows !== undefined) for (const [id, row] of rows) if (row.position <= pruneTo) rows.delete(id);
      });
    });
  }

  claimInbox(
    processor: string,
    event: { readonly id: string; readonly position: bigint },
    options?: { readonly epoch?: bigint | undefined; readonly partition?: number | undefined },
  ): Promise<boolean> {
    return settle(() => {
      assertInboxClaim(processor, event, options);
      const partition = options?.partition ?? 0;
      this.base.fence(processor, partition, options?.epoch);
      const id = event.id.toLowerCase();
      if (this.claimed.get(processor)?.has(id) === true) return false;
      const committed = this.base.inbox.get(processor)?.get(id);
      const prunedTo = this.pruned.get(processor);
      if (committed !== undefined && (prunedTo === undefined || committed.position > prunedTo)) return false;
      const row: InboxRow = { position: event.position };
      let mine = this.claimed.get(processor);
      if (mine === undefined) this.claimed.set(processor, (mine = new Map<string, InboxRow>()));
      mine.set(id, row);
      this.ops.push(() => {
        let rows = this.base.inbox.get(processor);
        if (rows === undefined) this.base.inbox.set(processor, (rows = new Map<string, InboxRow>()));
        rows.set(id, row);
      });
      return true;
    });
  }

  park(request: ParkRequest): Promise<ParkedEvent> {
    return settle(() => {
      assertParkRequest(request);
      const partition = request.partition ?? 0;
      this.base.fence(request.processor, partition, request.epoch);
      const existing = this.findParked(request.processor, request.event.id);
      const now = new Date(this.now());
      const entry: ParkedEvent = {
        id: existing?.id ?? this.nextId(),
        processor: request.processor,
        partition,
        eventId: request.event.id.toLowerCase(),
        position: request.event.position,
        streamId: request.event.streamId,
        version: request.event.version,
        type: request.event.type,
        error: request.error,
        attempts: (existing?.attempts ?? 0) + request.attempts,
        firstFailedAt: existing?.firstFailedAt ?? now,
        lastFailedAt: now,
        blocking: request.blocking,
      };
      this.parked.set(entry.id, entry);
      this.ops.push(() => void this.base.parked.set(entry.id, entry));
      return entry;
    });
  }

  unpark(id: string, options?: { readonly epoch?: bigint | undefined }): Promise<boolean> {
    return settle(() => {
      assertUnpark(id, options);
      const entry = this.parked.has(id) ? this.parked.get(id) : this.base.getParked(id);
      if (entry === undefined || entry === null) return false;
      this.base.fence(entry.processor, entry.partition, options?.epoch);
      this.parked.set(id, null);
      this.ops.push(() => void this.base.parked.delete(id));
      return true;
    });
  }

  private findParked(processor: string, eventId: string): ParkedEvent | undefined {
    const id = eventId.toLowerCase();
    for (const p of this.parked.values()) if (p !== null && p.processor === processor && p.eventId === id) return p;
    for (const p of this.base.parked.values()) {
      if (p.processor === processor && p.eventId === id && this.parked.get(p.id) !== null) return p;
    }
    return undefined;
  }
}

const settle = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));
