// The outbox of domain events (core/events.ts) and the cursor of each subscriber (core/outbox.ts):
// the store's part.
import type { AuditEvent } from './audit.js';

/** An event as published, before the outbox gives it an id. */
export interface OutboxEventInput {
  readonly at: number;
  /** The event's type (core/events.ts), for operators reading the table. */
  readonly type: string;
  /** The event as JSON (core/events.ts); the store keeps it as it is. */
  readonly payload: string;
}

export interface OutboxEventRecord extends OutboxEventInput {
  /** Increasing in the order the events were appended. */
  readonly id: number;
}

export interface OutboxStore {
  /**
   * Appends an event, with `audit` its record in the audit trail (naming the event) in the same
   * transaction; returns the event's id, greater than that of every event appended before it committed.
   */
  appendOutboxEvent(event: OutboxEventInput, audit?: AuditEvent | null): Promise<number>;
  /** Up to `limit` events with an id above `after`, in id order. */
  readOutbox(after: number, limit: number): Promise<OutboxEventRecord[]>;
  /**
   * Takes the subscriber's lease for `owner` until `leaseUntil`, when nobody else holds it at `now`
   * (one holds it while its leaseUntil is later than now), creating the cursor on first use at 0, or
   * with `startAtEnd` at the last event's id. Returns the cursor's position, or null when another
   * owner holds the lease.
   */
  claimOutboxCursor(subscriber: string, owner: string, now: number, leaseUntil: number, startAtEnd: boolean): Promise<number | null>;
  /**
   * Moves the cursor forward to `position` (never backwards) and extends the lease, only while
   * `owner` holds it. False when it holds it no more (then nothing changed).
   */
  advanceOutboxCursor(subscriber: string, owner: string, position: number, leaseUntil: number): Promise<boolean>;
  /** Gives the lease up, when `owner` holds it. */
  releaseOutboxCursor(subscriber: string, owner: string): Promise<void>;
  /** Deletes events appended before `before`, and those that every cursor has passed. Returns how many. */
  trimOutbox(before: number): Promise<number>;
  /** appendAudit for the outbox event `eventId`: nothing when a record of that event exists. True when it appended. */
  appendAuditOfEvent(eventId: number, event: AuditEvent): Promise<boolean>;
}
