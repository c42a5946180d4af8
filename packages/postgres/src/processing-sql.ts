import type { PoolClient } from 'pg';
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
  readonly partition: number;
  readonly position: string;
  readonly epoch: string;
  readonly updated_at: Date;
}

interface LeaseRow {
  readonly processor: string;
  readonly partition: number;
  readonly owner: string;
  readonly epoch: string;
  readonly expires_at: Date;
}

interface ParkedRow {
  readonly id: string;
  readonly processor: string;
  readonly partition: number;
  readonly event_id: string;
  readonly position: string;
  readonly stream_id: string;
  readonly version: string;
  readonly type: string;
  readonly error: string;
  readonly attempts: string;
  readonly first_failed_at: Date;
  readonly last_failed_at: Date;
  readonly blocking: boolean;
}

const PARKED_COLUMNS =
  'id, processor, partition, event_id, position, stream_id, version, type, error, attempts, first_failed_at, last_failed_at, blocking';
const LEASE_COLUMNS = 'processor, partition, owner, epoch, expires_at';

/**
 * The processing tables' SQL for schema `s` (quoted). Statements run on the client they are given:
 * a pooled connection for `store.processing`, the transaction's for `tx.processing`. Leases are
 * timed by the database clock (`clock_timestamp()`); checkpoint and failure times come from the
 * store's clock, like `recordedAt`.
 */
export class ProcessingSql {
  /** `StoreInfo.storeId`, set once the schema's identity has been read. */
  storeId = '';

  constructor(private readonly s: string) {}

  async getCheckpoint(c: PoolClient, processor: string, partition: number): Promise<StoreCheckpoint | undefined> {
    const { rows } = await c.query<CheckpointRow>(
      `select processor, partition, position, epoch, updated_at from ${this.s}.checkpoints
       where processor = $1 and partition = $2`,
      [processor, partition],
    );
    return rows[0] === undefined ? undefined : this.toCheckpoint(rows[0]);
  }

  async listCheckpoints(c: PoolClient): Promise<StoreCheckpoint[]> {
    const { rows } = await c.query<CheckpointRow>(
      `select processor, partition, position, epoch, updated_at from ${this.s}.checkpoints
       order by processor collate "C", partition`,
    );
    return rows.map((row) => this.toCheckpoint(row));
  }

  async deleteCheckpoints(c: PoolClient, processor: string): Promise<void> {
    await c.query(
      `with gone as (delete from ${this.s}.checkpoints where processor = $1)
       delete from ${this.s}.inbox where processor = $1`,
      [processor],
    );
  }

  /** Upserts the checkpoint and prunes the processor's inbox at or below its position, in one statement. */
  async saveCheckpoint(c: PoolClient, write: CheckpointWrite, now: Date): Promise<void> {
    await c.query(
      `with pruned as (delete from ${this.s}.inbox where processor = $1 and position <= $3)
       insert into ${this.s}.checkpoints (processor, partition, position, epoch, updated_at) values ($1, $2, $3, $4, $5)
       on conflict (processor, partition) do update set position = excluded.position, epoch = excluded.epoch,
         updated_at = excluded.updated_at`,
      [write.processor, write.partition ?? 0, String(write.position), String(write.epoch ?? 0n), now],
    );
  }

  async claimInbox(c: PoolClient, processor: string, eventId: string, position: bigint): Promise<boolean> {
    const result = await c.query(
      `insert into ${this.s}.inbox (processor, event_id, position) values ($1, $2, $3)
       on conflict (processor, event_id) do nothing`,
      [processor, eventId.toLowerCase(), String(position)],
    );
    return result.rowCount === 1;
  }

  /**
   * Throws LeaseLostError unless `epoch` is the live epoch of the lease. The lease row stays locked
   * (FOR SHARE) until the caller's transaction ends, so a takeover (which locks it FOR UPDATE)
   * waits for the fenced transaction: it is ordered strictly after it (decision 0622).
   */
  async fence(c: PoolClient, processor: string, partition: number, epoch: bigint | undefined): Promise<void> {
    if (epoch === undefined) return;
    const { rows } = await c.query<{ owner: string; epoch: string }>(
      `select owner, epoch from ${this.s}.leases where processor = $1 and partition = $2 for share`,
      [processor, partition],
    );
    const row = rows[0];
    const live = row === undefined || row.owner === '' ? undefined : BigInt(row.epoch);
    if (live !== epoch) throw new LeaseLostError(processor, partition, epoch, live);
  }

  /**
   * Inside a transaction: makes sure the row exists (owner '', epoch 0: the same as no lease), locks
   * it FOR UPDATE, then decides as every store does, against the database clock.
   */
  async acquireLease(c: PoolClient, request: LeaseRequest): Promise<Lease | undefined> {
    const partition = request.partition ?? 0;
    await c.query(
      `insert into ${this.s}.leases (processor, partition, owner, epoch, expires_at)
       values ($1, $2, '', 0, '-infinity') on conflict (processor, partition) do nothing`,
      [request.processor, partition],
    );
    const { rows } = await c.query<{ owner: string; epoch: string; live: boolean }>(
      `select owner, epoch, expires_at > clock_timestamp() as live from ${this.s}.leases
       where processor = $1 and partition = $2 for update`,
      [request.processor, partition],
    );
    const existing = rows[0]!;
    let epoch = BigInt(existing.epoch);
    if (existing.owner === request.owner) {
      // Renewed by its holder: same epoch.
    } else if (existing.owner !== '' && existing.live) return undefined;
    else epoch += 1n;
    const updated = await c.query<LeaseRow>(
      `update ${this.s}.leases set owner = $3, epoch = $4,
         expires_at = clock_timestamp() + make_interval(secs => $5::double precision / 1000)
       where processor = $1 and partition = $2 returning ${LEASE_COLUMNS}`,
      [request.processor, partition, request.owner, String(epoch), request.ttlMs],
    );
    return toLease(updated.rows[0]!);
  }

  async renewLease(c: PoolClient, lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const { rows } = await c.query<LeaseRow>(
      `update ${this.s}.leases set expires_at = clock_timestamp() + make_interval(secs => $5::double precision / 1000)
       where processor = $1 and partition = $2 and owner = $3 and epoch = $4 returning ${LEASE_COLUMNS}`,
      [lease.processor, lease.partition, lease.owner, String(lease.epoch), ttlMs],
    );
    return rows[0] === undefined ? undefined : toLease(rows[0]);
  }

  /** Released: owner '' and expired now, keeping the epoch so the next holder gets a higher one. */
  async releaseLease(c: PoolClient, lease: Lease): Promise<void> {
    await c.query(
      `update ${this.s}.leases set owner = '', expires_at = clock_timestamp()
       where processor = $1 and partition = $2 and owner = $3 and epoch = $4`,
      [lease.processor, lease.partition, lease.owner, String(lease.epoch)],
    );
  }

  async getLease(c: PoolClient, processor: string, partition: number): Promise<Lease | undefined> {
    const { rows } = await c.query<LeaseRow>(
      `select ${LEASE_COLUMNS} from ${this.s}.leases where processor = $1 and partition = $2 and owner <> ''`,
      [processor, partition],
    );
    return rows[0] === undefined ? undefined : toLease(rows[0]);
  }

  async listParked(c: PoolClient, filter: ParkedFilter | undefined): Promise<ParkedEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter?.processor !== undefined) add('processor = ?', filter.processor);
    if (filter?.streamId !== undefined) add('stream_id = ?', filter.streamId);
    if (filter?.blocking !== undefined) add('blocking = ?', filter.blocking);
    args.push(filter?.limit ?? DEFAULT_PARKED_LIMIT);
    const { rows } = await c.query<ParkedRow>(
      `select ${PARKED_COLUMNS} from ${this.s}.parked ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
       order by position, id collate "C" limit $${args.length}`,
      args,
    );
    return rows.map(toParked);
  }

  async getParked(c: PoolClient, id: string): Promise<ParkedEvent | undefined> {
    const { rows } = await c.query<ParkedRow>(`select ${PARKED_COLUMNS} from ${this.s}.parked where id = $1`, [id]);
    return rows[0] === undefined ? undefined : toParked(rows[0]);
  }

  /** Upserts by (processor, event id): attempts add up, the first failure time stays. */
  async park(c: PoolClient, request: ParkRequest, id: string, now: Date): Promise<ParkedEvent> {
    const { rows } = await c.query<ParkedRow>(
      `insert into ${this.s}.parked (${PARKED_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)
       on conflict (processor, event_id) do update set partition = excluded.partition, position = excluded.position,
         stream_id = excluded.stream_id, version = excluded.version, type = excluded.type, error = excluded.error,
         attempts = parked.attempts + excluded.attempts, last_failed_at = excluded.last_failed_at,
         blocking = excluded.blocking
       returning ${PARKED_COLUMNS}`,
      [
        id,
        request.processor,
        request.partition ?? 0,
        request.event.id.toLowerCase(),
        String(request.event.position),
        request.event.streamId,
        String(request.event.version),
        request.event.type,
        JSON.stringify(request.error),
        request.attempts,
        now,
        request.blocking,
      ],
    );
    return toParked(rows[0]!);
  }

  async unpark(c: PoolClient, id: string): Promise<void> {
    await c.query(`delete from ${this.s}.parked where id = $1`, [id]);
  }

  private toCheckpoint(row: CheckpointRow): StoreCheckpoint {
    return {
      source: 'store',
      storeId: this.storeId,
      processor: row.processor,
      partition: row.partition,
      position: BigInt(row.position),
      epoch: BigInt(row.epoch),
      updatedAt: row.updated_at,
    };
  }
}

function toLease(row: LeaseRow): Lease {
  return {
    processor: row.processor,
    partition: row.partition,
    owner: row.owner,
    epoch: BigInt(row.epoch),
    expiresAt: row.expires_at,
  };
}

function toParked(row: ParkedRow): ParkedEvent {
  return {
    id: row.id,
    processor: row.processor,
    partition: row.partition,
    eventId: row.event_id,
    position: BigInt(row.position),
    streamId: row.stream_id,
    version: BigInt(row.version),
    type: row.type,
    error: JSON.parse(row.error) as SerializedError,
    attempts: Number(row.attempts),
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
    blocking: row.blocking,
  };
}
