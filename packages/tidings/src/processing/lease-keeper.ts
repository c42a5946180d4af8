import { toError } from '../errors.js';
import { LeaseLostError } from '../store/errors.js';
import type { Lease, ProcessingStore } from '../store/processing-types.js';
import type { Clock, TimerHandle } from '../time/clock.js';

export interface LeaseKeeperOptions {
  readonly processing: ProcessingStore;
  readonly processor: string;
  readonly partition: number;
  readonly owner: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly clock: Clock;
  /** The lease is gone (taken over, or not renewed within its TTL): stop the processor. */
  readonly onLost: (error: LeaseLostError) => void;
  readonly onError: (error: Error) => void;
}

/**
 * Holds one processor's lease: takes it, renews it every `renewIntervalMs`, reports its loss.
 * The store times the lease (the database clock on PostgreSQL); locally a lease that could not be
 * renewed for a whole TTL counts as lost too, since another process may hold it by then.
 */
export class LeaseKeeper {
  #lease: Lease | undefined;
  #timer: TimerHandle | undefined;
  #renewedAt = 0;
  /** Local time before which the lease certainly still holds: the last successful request's start + TTL. */
  #validUntil = 0;
  #renewing: Promise<boolean> | undefined;

  constructor(private readonly o: LeaseKeeperOptions) {}

  get lease(): Lease | undefined {
    return this.#lease;
  }

  /** Takes the lease, or returns undefined while another owner holds it. */
  async acquire(): Promise<Lease | undefined> {
    const { processing, processor, partition, owner, ttlMs } = this.o;
    const asked = this.o.clock.now();
    const lease = await processing.acquireLease({ processor, partition, owner, ttlMs });
    if (lease === undefined) return undefined;
    this.#lease = lease;
    this.#renewedAt = this.o.clock.now();
    this.#validUntil = asked + ttlMs;
    this.#schedule();
    return lease;
  }

  /**
   * Whether the lease certainly still holds by this process's clock. The store granted it until at
   * least (request time + TTL); past that (a pause, a stalled event loop) another process may own
   * it already, so no new work should start before a renewal confirms it.
   */
  fresh(): boolean {
    return this.#lease !== undefined && this.o.clock.now() < this.#validUntil;
  }

  /** Renews now (once, however many ask): true when the lease is still held. */
  confirm(): Promise<boolean> {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  /** Gives the lease up: the next holder (this runner included) gets a new epoch, fencing stragglers. */
  async release(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease === undefined) return;
    try {
      await this.o.processing.releaseLease(lease);
    } catch (error) {
      this.o.onError(toError(error));
    }
  }

  /** Forgets a lease known to be lost (nothing to release). */
  forget(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#lease = undefined;
  }

  #schedule(): void {
    this.#timer = this.o.clock.setTimeout(() => void this.confirm(), this.o.renewIntervalMs);
  }

  async #renew(): Promise<boolean> {
    const lease = this.#lease;
    if (lease === undefined) return false;
    const asked = this.o.clock.now();
    try {
      const renewed = await this.o.processing.renewLease(lease, this.o.ttlMs);
      if (this.#lease !== lease) return false;
      if (renewed === undefined) {
        this.#lost(lease);
        return false;
      }
      this.#lease = renewed;
      this.#renewedAt = this.o.clock.now();
      this.#validUntil = asked + this.o.ttlMs;
    } catch (error) {
      if (this.#lease !== lease) return false;
      this.o.onError(toError(error));
      if (this.o.clock.now() - this.#renewedAt >= this.o.ttlMs) {
        this.#lost(lease);
        return false;
      }
    }
    this.#schedule();
    return this.fresh();
  }

  #lost(lease: Lease): void {
    this.forget();
    // The current holder's epoch makes the error say who took over; the loss is reported either way.
    void this.o.processing
      .getLease(lease.processor, lease.partition)
      .then(
        (current) => current?.epoch,
        () => undefined,
      )
      .then((current) => this.o.onLost(new LeaseLostError(lease.processor, lease.partition, lease.epoch, current)));
  }
}
