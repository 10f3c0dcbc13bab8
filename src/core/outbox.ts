// The outbox dispatcher (docs/DECISIONS.md "Domain events and the outbox"): delivers the events of the
// outbox (core/events.ts) to each subscriber in the order they were appended, at least once, from the
// subscriber's cursor in the store, so that a restart resumes where delivery stopped. On several
// nodes over one PostgreSQL store every node runs one; a lease on each subscriber's cursor (taken and
// moved by compare-and-set on its owner) lets one node at a time deliver to that subscriber.
import { randomUUID } from 'node:crypto';
import { eventOfPayload, type EventContext, type StoredEvent } from './events.js';
import type { Services } from './services.js';

export interface Subscriber {
  /** Names its cursor in the store: keep it stable. */
  readonly name: string;
  /** A new subscriber starts after the last event (true), or with the oldest event kept (false). */
  readonly startAtEnd: boolean;
  /**
   * Handles one event; a rejection stops this subscriber's delivery at that event, which is
   * delivered again on a later run. So a handler may see an event twice: make it idempotent.
   */
  deliver(context: EventContext, stored: StoredEvent): Promise<void>;
}

export interface DispatcherOptions {
  /** This dispatcher's name as the owner of leases; random by default. */
  readonly owner?: string;
  /** How long a lease lasts without being renewed; another node takes over after it. */
  readonly leaseMs?: number;
  /** Most events read and delivered between two cursor moves. */
  readonly batch?: number;
  /** How often the running dispatcher looks for events. */
  readonly intervalMs?: number;
}

const DEFAULTS = { leaseMs: 30_000, batch: 100, intervalMs: 2_000 } as const;
/** A subscriber that failed waits 2^n times the interval, at most this long, before it is tried again. */
const MAX_BACKOFF_MS = 60_000;

export class OutboxDispatcher {
  readonly #context: EventContext;
  readonly #subscribers: readonly Subscriber[];
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #batch: number;
  readonly #intervalMs: number;
  readonly #failures = new Map<string, { count: number; retryAt: number }>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  /** A nudge came while a run was in progress: run again once it ends. */
  #nudged = false;

  constructor(context: EventContext, subscribers: readonly Subscriber[], options: DispatcherOptions = {}) {
    this.#context = context;
    this.#subscribers = subscribers;
    this.#owner = options.owner ?? randomUUID();
    this.#leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.#batch = options.batch ?? DEFAULTS.batch;
    this.#intervalMs = options.intervalMs ?? DEFAULTS.intervalMs;
  }

  /**
   * Delivers what is pending to every subscriber whose lease this dispatcher gets, failed ones
   * included; resolves with how many events were delivered.
   */
  async runOnce(): Promise<number> {
    let delivered = 0;
    for (const subscriber of this.#subscribers) delivered += await this.#deliver(subscriber);
    return delivered;
  }

  /** Runs every interval from now on (not keeping the process alive), skipping subscribers in their back-off. */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  /**
   * Runs now rather than at the next interval (an event that must reach its subscribers soon was
   * just published, e.g. a session ended: back-channel logout); a run in progress is followed by
   * one more. Does nothing unless started.
   */
  nudge(): void {
    if (this.#timer === null) return;
    if (this.#running === null) this.#tick();
    else this.#nudged = true;
  }

  /** Stops running and waits for the run in progress, which gives its leases up. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #tick(): void {
    if (this.#running !== null) return;
    const now = this.#context.now();
    const due = this.#subscribers.filter((subscriber) => (this.#failures.get(subscriber.name)?.retryAt ?? 0) <= now);
    this.#running = (async () => {
      for (const subscriber of due) await this.#deliver(subscriber);
    })().finally(() => {
      this.#running = null;
      if (this.#nudged && this.#timer !== null) {
        this.#nudged = false;
        this.#tick();
      }
    });
  }

  /** One subscriber: take its lease, deliver batch after batch from its cursor, give the lease up. */
  async #deliver(subscriber: Subscriber): Promise<number> {
    const { store, log } = this.#context;
    let delivered = 0;
    let claimed: number | null;
    try {
      claimed = await store.claimOutboxCursor(
        subscriber.name,
        this.#owner,
        this.#context.now(),
        this.#context.now() + this.#leaseMs,
        subscriber.startAtEnd,
      );
    } catch (error) {
      log.error('outbox: cursor not claimed', { subscriber: subscriber.name, error: messageOf(error) });
      return 0;
    }
    if (claimed === null) return 0; // another node delivers to it now
    let position = claimed;
    try {
      for (;;) {
        const records = await store.readOutbox(position, this.#batch);
        let reached = position;
        let failure: unknown = null;
        for (const record of records) {
          try {
            await subscriber.deliver(this.#context, { id: record.id, at: record.at, event: eventOfPayload(record.payload) });
          } catch (error) {
            failure = error;
            break;
          }
          reached = record.id;
          delivered += 1;
        }
        // The cursor moves past what was delivered, also when a later event failed.
        if (
          reached > position &&
          !(await store.advanceOutboxCursor(subscriber.name, this.#owner, reached, this.#context.now() + this.#leaseMs))
        ) {
          log.warn('outbox: lease lost while delivering; another node goes on', { subscriber: subscriber.name });
          return delivered;
        }
        position = reached;
        if (failure !== null) {
          this.#failed(subscriber, failure);
          break;
        }
        this.#failures.delete(subscriber.name);
        if (records.length < this.#batch) break;
      }
    } catch (error) {
      this.#failed(subscriber, error);
    } finally {
      await store
        .releaseOutboxCursor(subscriber.name, this.#owner)
        .catch((error: unknown) =>
          log.warn('outbox: lease not given up; it expires', { subscriber: subscriber.name, error: messageOf(error) }),
        );
    }
    return delivered;
  }

  #failed(subscriber: Subscriber, error: unknown): void {
    const count = (this.#failures.get(subscriber.name)?.count ?? 0) + 1;
    const waitMs = Math.min(MAX_BACKOFF_MS, this.#intervalMs * 2 ** (count - 1));
    this.#failures.set(subscriber.name, { count, retryAt: this.#context.now() + waitMs });
    this.#context.log.error('outbox: delivery failed; tried again later', {
      subscriber: subscriber.name,
      failures: count,
      error: messageOf(error),
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Deletes the outbox events that every subscriber has passed, and any older than the audit
 * retention, delivered or not: the outbox stays bounded even when a subscriber is gone for good.
 */
export async function trimOutbox(services: Pick<Services, 'store' | 'now' | 'settings'>): Promise<number> {
  return services.store.trimOutbox(services.now() - services.settings.current().auditRetentionDays * 86_400_000);
}
