// The verifySession cache of a PostgreSQL node (docs/DECISIONS.md "verifySession cache on
// PostgreSQL"): the answers of findCertificateAndSession, the one read of every page load of every
// application (protocol section 5.18), kept in this process so that most calls need no round trip.
//
// Invalidation comes from the store itself: triggers on the tables an answer is made of
// (migrations.ts, version 12) notify the channel VERIFY_CHANNEL at commit, whichever node or command
// made the change, and every node LISTENs on one connection of its own. A heartbeat that this node
// sends through its pool every boundMs / 4 and receives back on that connection proves that every
// change committed before it was sent has been processed, because PostgreSQL delivers notifications
// in commit order. So a cached answer is used at time t only while the last own heartbeat received
// was sent at t - boundMs or later: a session ended more than boundMs ago is never answered from
// here, even when the listening connection stalls or the node that ended it died after its commit.
// Without a recent heartbeat, or without the listening connection, every call reads the store.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Logger } from '../log.js';
import type { CertificateAndSession, GlobalSessionRecord, SessionCacheUse } from '../../core/store/index.js';

/** The channel that the triggers of migration 12 notify and that every node listens on. */
export const VERIFY_CHANNEL = 'ssod_verify';

/** The first wait before the listening connection is opened again after a loss; doubled up to RECONNECT_MAX_MS. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
/**
 * A listening connection on which no own heartbeat came back for this long (or 10 bounds, if
 * longer) is taken as stalled and opened again: a connection that is open but no longer delivers
 * would keep the cache unused, and hold the database's notification queue, until TCP gave up.
 */
const STALLED_MS = 10_000;
/** As the pool's (postgres.ts POSTGRES_TIMEOUTS): a connection that cannot be made within it is retried. */
const CONNECT_TIMEOUT_MS = 3000;

export interface VerifyCacheSettings {
  /** How long after the call that ended a session another node may still answer it from its cache; > 0. */
  readonly boundMs: number;
  /** Most answers kept; the least recently used goes first. */
  readonly maxEntries: number;
  /**
   * Whether a kept answer with this global session may still be used: false when the session is
   * within the bound of its end (its expiry, or its idle timeout as last read), because another node
   * may have renewed its idle timer in the last boundMs; such an answer is read again, so that this
   * node never ends a session on a stale last activity.
   */
  readonly answerable?: (global: GlobalSessionRecord) => boolean;
  readonly logger?: Logger;
}

/** An answer that names a session: the only kind kept. */
export type KeptAnswer = CertificateAndSession & { readonly session: NonNullable<CertificateAndSession['session']> };

/** One cached answer, with the session's ids under which the store's notifications name it. */
interface Entry {
  readonly key: string;
  readonly answer: KeptAnswer;
  readonly globalId: string;
  readonly userId: string;
}

/**
 * A least-recently-used map of answers, never above `maxEntries`, that can also drop every answer
 * of one global session or of one user (what the store's notifications name).
 */
export class AnswerLru {
  readonly #maxEntries: number;
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  readonly #entries = new Map<string, Entry>();
  readonly #byGlobal = new Map<string, Set<string>>();
  readonly #byUser = new Map<string, Set<string>>();

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): KeptAnswer | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.answer;
  }

  /** Keeps the answer, which must have a session; drops the least recently used beyond the maximum. Returns how many were dropped. */
  set(key: string, answer: KeptAnswer): number {
    this.delete(key);
    const entry = { key, answer, globalId: answer.session.global.id, userId: answer.session.global.userId };
    this.#entries.set(key, entry);
    index(this.#byGlobal, entry.globalId, key);
    index(this.#byUser, entry.userId, key);
    let dropped = 0;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.delete(oldest);
      dropped += 1;
    }
    return dropped;
  }

  /** Drops the answers of the global session; returns how many. */
  deleteGlobal(globalId: string): number {
    return this.#deleteAll(this.#byGlobal.get(globalId));
  }

  /** Drops the answers of the user's sessions; returns how many. */
  deleteUser(userId: string): number {
    return this.#deleteAll(this.#byUser.get(userId));
  }

  /** Drops every answer; returns how many. */
  clear(): number {
    const count = this.#entries.size;
    this.#entries.clear();
    this.#byGlobal.clear();
    this.#byUser.clear();
    return count;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    unindex(this.#byGlobal, entry.globalId, key);
    unindex(this.#byUser, entry.userId, key);
    return true;
  }

  #deleteAll(keys: Set<string> | undefined): number {
    if (keys === undefined) return 0;
    let count = 0;
    for (const key of [...keys]) if (this.delete(key)) count += 1;
    return count;
  }
}

function index(map: Map<string, Set<string>>, id: string, key: string): void {
  const keys = map.get(id);
  if (keys === undefined) map.set(id, new Set([key]));
  else keys.add(key);
}

function unindex(map: Map<string, Set<string>>, id: string, key: string): void {
  const keys = map.get(id);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) map.delete(id);
}

/**
 * Whether an answer may be kept: one with a session (a missing one is read again every time: a
 * session may be created at any moment), and a certificate already in use. A certificate not yet
 * used is activated by the request that read it (core/applications.ts); its next request must read
 * the activated record, not find it pending again and refuse the caller.
 */
function cacheable(
  answer: CertificateAndSession,
): answer is CertificateAndSession & { session: NonNullable<CertificateAndSession['session']> } {
  return answer.session !== null && answer.certificate !== null && answer.certificate.firstUsedAt !== null;
}

type Read = (fingerprint: string, localIdHash: string) => Promise<CertificateAndSession>;

/**
 * The cache of one process: its answers, its listening connection to `url` and its heartbeat,
 * sent by `notify` (a statement on the store's pool).
 */
export class VerifyCache {
  readonly #url: string;
  readonly #settings: VerifyCacheSettings;
  readonly #notify: (payload: string) => Promise<unknown>;
  readonly #answers: AnswerLru;
  readonly #processId = randomUUID();
  readonly #heartbeat: NodeJS.Timeout;
  #listener: pg.Client | null = null;
  #listening = false;
  #closed = false;
  #reconnectMs = RECONNECT_MIN_MS;
  #reconnect: NodeJS.Timeout | null = null;
  /** When (performance.now()) the last own heartbeat received was sent; -Infinity: none since the connection was (re)opened. */
  #heartbeatSentAt = -Infinity;
  /** When (performance.now()) the listening connection began to listen. */
  #listeningSince = 0;
  /** Counts every processed invalidation, loss and (re)opening of the listening connection. */
  #epoch = 0;
  readonly #use = { hits: 0, misses: 0, evictions: 0 };

  constructor(url: string, notify: (payload: string) => Promise<unknown>, settings: VerifyCacheSettings) {
    this.#url = url;
    this.#settings = settings;
    this.#notify = notify;
    this.#answers = new AnswerLru(settings.maxEntries);
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), Math.max(1, settings.boundMs / 4));
    this.#heartbeat.unref();
  }

  /** Opens the listening connection; a failure is logged and retried, the cache staying unused meanwhile. */
  async start(): Promise<void> {
    await this.#listen();
  }

  /** The hot read, answered from the cache while it may be. */
  wrap(read: Read): Read {
    return async (fingerprint, localIdHash) => {
      const key = `${fingerprint} ${localIdHash}`;
      if (this.#usable()) {
        const cached = this.#answers.get(key);
        if (cached !== undefined && (this.#settings.answerable?.(cached.session.global) ?? true)) {
          this.#use.hits += 1;
          return cached;
        }
      }
      this.#use.misses += 1;
      // The race between this read and an invalidation: an invalidation processed before the epoch
      // is taken committed before the read began, so the read sees it; one processed while the read
      // runs may have committed after the read's snapshot, so its answer is not kept (the epoch
      // moved); one processed after the answer is kept evicts it. Nothing is kept while not
      // listening: a change committed then would never be told.
      const epoch = this.#listening ? this.#epoch : null;
      const answer = await read(fingerprint, localIdHash);
      if (epoch !== null && epoch === this.#epoch && cacheable(answer)) this.#use.evictions += this.#answers.set(key, answer);
      return answer;
    };
  }

  /**
   * What this process itself changed in the store, told at once when the change returns (or fails:
   * it may have committed), so that this node is exact without waiting for the notification: the
   * answers of a global session, of a user, or all of them. Reads in flight are not kept (epoch).
   */
  changed(scope: { readonly globalId: string } | { readonly userId: string } | 'all'): void {
    this.#epoch += 1;
    if (scope === 'all') this.#use.evictions += this.#answers.clear();
    else if ('globalId' in scope) this.#use.evictions += this.#answers.deleteGlobal(scope.globalId);
    else this.#use.evictions += this.#answers.deleteUser(scope.userId);
  }

  /** Hits, misses and evictions since the start, for the metrics. */
  use(): SessionCacheUse {
    return { ...this.#use, entries: this.#answers.size };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (this.#reconnect !== null) clearTimeout(this.#reconnect);
    this.#answers.clear();
    this.#listening = false;
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => undefined);
  }

  /** Whether every change committed before now - boundMs is known to have been processed. */
  #usable(): boolean {
    return this.#listening && this.#heartbeatSentAt >= performance.now() - this.#settings.boundMs;
  }

  #sendHeartbeat(): void {
    if (!this.#listening) return;
    const stalledFor = performance.now() - Math.max(this.#heartbeatSentAt, this.#listeningSince);
    if (this.#listener !== null && stalledFor > Math.max(STALLED_MS, 10 * this.#settings.boundMs)) {
      this.#lost(this.#listener, new Error(`no heartbeat came back for ${Math.round(stalledFor)} ms`));
      return;
    }
    // The time is taken before the statement is sent: its commit comes after any change whose call returned before.
    this.#notify(`hb:${this.#processId}:${performance.now()}`).catch(() => undefined);
  }

  #onNotification(payload: string): void {
    if (payload.startsWith('hb:')) {
      const [, processId, sentAt] = payload.split(':');
      if (processId === this.#processId) this.#heartbeatSentAt = Math.max(this.#heartbeatSentAt, Number(sentAt));
      return;
    }
    // Anything but a session's or a user's id is '*' (or from a newer ssod): forget everything rather than guess.
    if (payload.startsWith('g:')) this.changed({ globalId: payload.slice(2) });
    else if (payload.startsWith('u:')) this.changed({ userId: payload.slice(2) });
    else this.changed('all');
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'ssod verify cache',
    });
    client.on('notification', (message) => {
      if (client === this.#listener) this.#onNotification(message.payload ?? '*');
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    this.#listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${VERIFY_CHANNEL}`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    // Closed or lost meanwhile.
    if (client !== this.#listener) return;
    // Reads that began before LISTEN took effect may miss a change committed meanwhile: not kept (epoch).
    this.#epoch += 1;
    this.#listening = true;
    this.#listeningSince = performance.now();
    this.#reconnectMs = RECONNECT_MIN_MS;
    this.#sendHeartbeat();
  }

  /** The listening connection is gone: nothing cached can be trusted any more. */
  #lost(client: pg.Client, error: unknown): void {
    if (client !== this.#listener || this.#closed) return;
    this.#listener = null;
    this.#listening = false;
    this.#heartbeatSentAt = -Infinity;
    this.#epoch += 1;
    this.#use.evictions += this.#answers.clear();
    client.end().catch(() => undefined);
    this.#settings.logger?.warn('verifySession cache: the store notification connection was lost; reading the store until it is back', {
      error: error instanceof Error ? error.message : String(error),
      retryInMs: this.#reconnectMs,
    });
    this.#reconnect = setTimeout(() => {
      this.#reconnect = null;
      void this.#listen();
    }, this.#reconnectMs);
    this.#reconnect.unref();
    this.#reconnectMs = Math.min(RECONNECT_MAX_MS, this.#reconnectMs * 2);
  }
}
