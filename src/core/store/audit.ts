// The audit trail: the store's part.

/** A security event for the audit trail. `detail` holds only fields that are safe to show (never a secret). */
export interface AuditEvent {
  readonly at: number;
  /** What happened, e.g. `user.created`, `authentication.failed`. */
  readonly type: string;
  /** Who did it, e.g. `application:<id>`, `guest`, `operator`. */
  readonly actor: string;
  /** What it was done to, e.g. `user:<id>`, `application:<id>`, `login:<login key>`. */
  readonly target: string;
  /** `ok`, or the reason it failed. */
  readonly outcome: string;
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditRecord extends AuditEvent {
  /** Increasing in the order the events were appended. */
  readonly id: number;
}

/** Which audit events queryAudit gives, newest first. */
export interface AuditQuery {
  /** Only events at or after this time. */
  readonly since?: number;
  /** Only events before this time. */
  readonly until?: number;
  readonly type?: string;
  readonly actor?: string;
  readonly target?: string;
  /** Paging: only events with a smaller id. */
  readonly beforeId?: number;
  readonly limit: number;
}

export interface AuditStore {
  appendAudit(event: AuditEvent): Promise<void>;
  /** Events matching the query, newest first. */
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /** Deletes events before `before`. Returns how many. */
  trimAudit(before: number): Promise<number>;
}
