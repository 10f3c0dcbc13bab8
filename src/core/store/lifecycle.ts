// The store itself: which engine, whether it answers, its pool, closing it. Every engine has this part.

/** PostgreSQL pool use (pg Pool totalCount, idleCount, waitingCount), for the metrics. */
export interface PoolUse {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** The verifySession cache of a PostgreSQL node (docs/DECISIONS.md), for the metrics: counts since the start, and its size now. */
export interface SessionCacheUse {
  readonly hits: number;
  readonly misses: number;
  /** Answers dropped: invalidated by a change, or the least recently used beyond the maximum. */
  readonly evictions: number;
  readonly entries: number;
}

/**
 * Thrown by a networked engine when the database cannot be reached or does not answer in time
 * (connection refused or lost, timeouts, the server shutting down). The request fails fast with
 * sso:internalError, the relay answers 503; the engine reconnects by itself on the next call.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

export interface StoreLifecycle {
  readonly engine: 'sqlite' | 'postgres';
  /** Resolves when the store answers a trivial query (for /healthz). */
  ping(): Promise<void>;
  /** Commits a write that changes no data (the latest schema version's row set to itself): /readyz knows writes work. */
  probeWrite(): Promise<void>;
  /** The connection pool's use, for an engine that has one (PostgreSQL). */
  poolUse?(): PoolUse;
  /** The verifySession cache's use, when this node has one (PostgreSQL with --session-cache-ms above 0). */
  sessionCacheUse?(): SessionCacheUse;
  close(): Promise<void>;
}
