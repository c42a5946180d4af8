import type { Database, Statement } from 'better-sqlite3';
import {
  LeaseLostError,
  type CheckpointWrite,
  type Lease,
  type LeaseRequest,
  type ParkedEvent,
  type ParkedFilter,
  type ParkRequest,
  type SerializedError,
  type StoreCheckpoint,
} from 'tidings';
import { DEFAULT_PARKED_LIMIT } from 'tidings/store-kit';

interface CheckpointRow {
  readonly processor: string;
  readonly partition: bigint;
  readonly position: bigint;
  readonly epoch: bigint;
  readonly updated_at: bigint;
}

interface LeaseRow {
  readonly processor: string;
  readonly partition: bigint;
  readonly owner: string;
  readonly epoch: bigint;
  readonly expires_at: bigint;
}

interface ParkedRow {
  readonly id: string;
  readonly processor: string;
  readonly partition: bigint;
  readonly event_id: string;
  readonly position: bigint;
  readonly stream_id: string;
  readonly version: bigint;
  readonly type: string;
  readonly error: string;
  readonly attempts: bigint;
  readonly first_failed_at: bigint;
  readonly last_failed_at: bigint;
  readonly blocking: bigint;
}

const PARKED_COLUMNS =
  'id, processor, partition, event_id, position, stream_id, version, type, error, attempts, first_failed_at, last_failed_at, blocking';

/** The processing tables' SQL on one connection; every statement returns integers as bigint. */
export class ProcessingSql {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly storeId: string,
  ) {}

  private stmt<R = unknown>(sql: string): Statement<unknown[], R> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (s.reader) s.safeIntegers(true);
      this.statements.set(sql, s);
    }
    return s as Statement<unknown[], R>;
  }

  getCheckpoint(processor: string, partition: number): StoreCheckpoint | undefined {
    const row = this.stmt<CheckpointRow>(
      'SELECT processor, partition, position, epoch, updated_at FROM checkpoints WHERE processor = ? AND partition = ?',
    ).get(processor, partition);
    return row === undefined ? undefined : this.toCheckpoint(row);
  }

  listCheckpoints(): StoreCheckpoint[] {
    return this.stmt<CheckpointRow>(
      'SELECT processor, partition, position, epoch, updated_at FROM checkpoints ORDER BY processor, partition',
    )
      .all()
      .map((row) => this.toCheckpoint(row));
  }

  deleteCheckpoints(processor: string): void {
    this.stmt('DELETE FROM checkpoints WHERE processor = ?').run(processor);
    this.stmt('DELETE FROM inbox WHERE processor = ?').run(processor);
  }

  /** Upserts the checkpoint and prunes the processor's inbox at or below its position. */
  saveCheckpoint(write: CheckpointWrite, now: number): void {
    this.stmt(
      `INSERT INTO checkpoints (processor, partition, position, epoch, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (processor, partition) DO UPDATE SET position = excluded.position, epoch = excluded.epoch,
         updated_at = excluded.updated_at`,
    ).run(write.processor, write.partition ?? 0, write.position, write.epoch ?? 0n, now);
    this.stmt('DELETE FROM inbox WHERE processor = ? AND position <= ?').run(write.processor, write.position);
  }

  /** True when the row was new. Event ids are kept lower-case, as the stores keep them. */
  claimInbox(processor: string, eventId: string, position: bigint): boolean {
    const result = this.stmt(
      'INSERT INTO inbox (processor, event_id, position) VALUES (?, ?, ?) ON CONFLICT (processor, event_id) DO NOTHING',
    ).run(processor, eventId.toLowerCase(), position);
    return result.changes === 1;
  }

  private leaseRow(processor: string, partition: number): LeaseRow | undefined {
    return this.stmt<LeaseRow>(
      'SELECT processor, partition, owner, epoch, expires_at FROM leases WHERE processor = ? AND partition = ?',
    ).get(processor, partition);
  }

  /** Throws LeaseLostError unless `epoch` is the live epoch of the lease (read in the caller's transaction). */
  fence(processor: string, partition: number, epoch: bigint | undefined): void {
    if (epoch === undefined) return;
    const row = this.leaseRow(processor, partition);
    if (row === undefined || row.owner === '' || row.epoch !== epoch) {
      throw new LeaseLostError(
        processor,
        partition,
        epoch,
        row === undefined || row.owner === '' ? undefined : row.epoch,
      );
    }
  }

  acquireLease(request: LeaseRequest, now: number): Lease | undefined {
    const partition = request.partition ?? 0;
    const existing = this.leaseRow(request.processor, partition);
    let epoch: bigint;
    if (existing === undefined) epoch = 1n;
    else if (existing.owner === request.owner) epoch = existing.epoch;
    else if (existing.owner !== '' && Number(existing.expires_at) > now) return undefined;
    else epoch = existing.epoch + 1n;
    const expiresAt = now + request.ttlMs;
    this.stmt(
      `INSERT INTO leases (processor, partition, owner, epoch, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (processor, partition) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch,
         expires_at = excluded.expires_at`,
    ).run(request.processor, partition, request.owner, epoch, expiresAt);
    return { processor: request.processor, partition, owner: request.owner, epoch, expiresAt: new Date(expiresAt) };
  }

  renewLease(lease: Lease, ttlMs: number, now: number): Lease | undefined {
    const expiresAt = now + ttlMs;
    const result = this.stmt(
      'UPDATE leases SET expires_at = ? WHERE processor = ? AND partition = ? AND owner = ? AND epoch = ?',
    ).run(expiresAt, lease.processor, lease.partition, lease.owner, lease.epoch);
    if (result.changes === 0) return undefined;
    return {
      processor: lease.processor,
      partition: lease.partition,
      owner: lease.owner,
      epoch: lease.epoch,
      expiresAt: new Date(expiresAt),
    };
  }

  /** Released: owner '' and expired now, keeping the epoch so the next holder gets a higher one. */
  releaseLease(lease: Lease, now: number): void {
    this.stmt(
      "UPDATE leases SET owner = '', expires_at = ? WHERE processor = ? AND partition = ? AND owner = ? AND epoch = ?",
    ).run(now, lease.processor, lease.partition, lease.owner, lease.epoch);
  }

  getLease(processor: string, partition: number): Lease | undefined {
    const row = this.leaseRow(processor, partition);
    if (row === undefined || row.owner === '') return undefined;
    return {
      processor: row.processor,
      partition: Number(row.partition),
      owner: row.owner,
      epoch: row.epoch,
      expiresAt: new Date(Number(row.expires_at)),
    };
  }

  listParked(filter: ParkedFilter | undefined): ParkedEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter?.processor !== undefined) {
      where.push('processor = ?');
      args.push(filter.processor);
    }
    if (filter?.streamId !== undefined) {
      where.push('stream_id = ?');
      args.push(filter.streamId);
    }
    if (filter?.blocking !== undefined) {
      where.push('blocking = ?');
      args.push(filter.blocking ? 1 : 0);
    }
    args.push(filter?.limit ?? DEFAULT_PARKED_LIMIT);
    const sql = `SELECT ${PARKED_COLUMNS} FROM parked ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY position, id LIMIT ?`;
    return this.stmt<ParkedRow>(sql)
      .all(...args)
      .map(toParked);
  }

  getParked(id: string): ParkedEvent | undefined {
    const row = this.stmt<ParkedRow>(`SELECT ${PARKED_COLUMNS} FROM parked WHERE id = ?`).get(id);
    return row === undefined ? undefined : toParked(row);
  }

  /** Upserts by (processor, event id): attempts add up, the first failure time stays. */
  park(request: ParkRequest, id: string, now: number): ParkedEvent {
    const row = this.stmt<ParkedRow>(
      `INSERT INTO parked (${PARKED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (processor, event_id) DO UPDATE SET partition = excluded.partition, position = excluded.position,
         stream_id = excluded.stream_id, version = excluded.version, type = excluded.type, error = excluded.error,
         attempts = parked.attempts + excluded.attempts, last_failed_at = excluded.last_failed_at,
         blocking = excluded.blocking
       RETURNING ${PARKED_COLUMNS}`,
    ).get(
      id,
      request.processor,
      request.partition ?? 0,
      request.event.id.toLowerCase(),
      request.event.position,
      request.event.streamId,
      request.event.version,
      request.event.type,
      JSON.stringify(request.error),
      request.attempts,
      now,
      now,
      request.blocking ? 1 : 0,
    );
    return toParked(row!);
  }

  unpark(id: string): void {
    this.stmt('DELETE FROM parked WHERE id = ?').run(id);
  }

  private toCheckpoint(row: CheckpointRow): StoreCheckpoint {
    return {
      source: 'store',
      storeId: this.storeId,
      processor: row.processor,
      partition: Number(row.partition),
      position: row.position,
      epoch: row.epoch,
      updatedAt: new Date(Number(row.updated_at)),
    };
  }
}

function toParked(row: ParkedRow): ParkedEvent {
  return {
    id: row.id,
    processor: row.processor,
    partition: Number(row.partition),
    eventId: row.event_id,
    position: row.position,
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    error: JSON.parse(row.error) as SerializedError,
    attempts: Number(row.attempts),
    firstFailedAt: new Date(Number(row.first_failed_at)),
    lastFailedAt: new Date(Number(row.last_failed_at)),
    blocking: row.blocking === 1n,
  };
}
