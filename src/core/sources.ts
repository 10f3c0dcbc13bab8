// Delegated sources in the core (docs/FEDERATION.md): the registry through which every node reaches
// the sources the operator configured, and the rules of single sign-on for a user (a user's source
// is local, ssod's own hash, or one delegated source; never both).
//
// The registry follows the store as the settings do (core/liveSettings.ts): it re-reads the list of
// sources at most every SOURCES_REFRESH_MS, so a source added, replaced or removed on one node (or
// by `ssod sources`) reaches every node without a restart. A source is opened on first use, through
// the opener the composition root gives (src/infra/sources), kept while its stored row is
// unchanged (same updatedAt), and closed once replaced or removed, after the checks in flight on it.
// Each source is used behind its circuit breaker (core/circuitBreaker.ts).
import { Circuit, failingSource, guardedSource, isPassThroughSource, type BreakerPolicy, type GuardedSource } from './circuitBreaker.js';
import { SsoError } from './errors.js';
import type { LiveSettings } from './liveSettings.js';
import type { DelegatedSource, PassThroughSource, SourceHealth, SourceKind, SourceOpener, SourceRegistry } from './ports/delegated.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { Refusal } from './refusal.js';
import type { Store, StoredSource, UserRecord } from './store/index.js';

/** How often a node re-reads the list of sources: a change reaches it within this time. */
export const SOURCES_REFRESH_MS = 2000;
/** A name not in the list read last is looked up again at most this often (a source added a moment ago on another node). */
const MISS_REFRESH_MS = 250;

export interface SourceRegistryDeps {
  readonly store: Pick<Store, 'listSources'>;
  readonly settings: Pick<LiveSettings, 'current'>;
  readonly open: SourceOpener;
  readonly log: Logger;
  readonly now: Clock;
}

/** The circuit policy of the service settings. */
function policyOf(settings: Pick<LiveSettings, 'current'>): BreakerPolicy {
  const current = settings.current();
  return { failuresToOpen: current.delegatedSourceFailures, openMs: current.delegatedSourceOpenSeconds * 1000 };
}

/** A kind for a row whose stored kind this ssod does not know (it is unusable either way). */
function knownKind(kind: string): SourceKind {
  return kind === 'ldap' ? 'ldap' : 'webService';
}

/** A listed source, opened on first use; closed once it is replaced, after the checks in flight on it. */
class Entry {
  readonly stored: StoredSource;
  readonly circuit: Circuit;
  #opened: GuardedSource | null = null;
  #inFlight = 0;
  #retired = false;

  constructor(stored: StoredSource, circuit: Circuit) {
    this.stored = stored;
    this.circuit = circuit;
  }

  opened(deps: SourceRegistryDeps): DelegatedSource {
    this.#opened ??= guardedSource(this.#open(deps), this.circuit, this.stored.settings?.timeoutMs ?? 0);
    return this.#counting(this.#opened);
  }

  #open(deps: SourceRegistryDeps): DelegatedSource {
    const { stored } = this;
    if (stored.settings === null) return failingSource(knownKind(stored.kind), `its stored settings cannot be used: ${stored.problem}`);
    try {
      return deps.open(stored.settings);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.log.error('delegated source cannot be opened; sign-ins through it fail', { source: stored.name, reason });
      return failingSource(stored.settings.kind, `it cannot be opened: ${reason}`);
    }
  }

  /** The source as handed out: its checks are counted, so that closing it waits for them. */
  #counting(source: GuardedSource): DelegatedSource {
    const counted = <T>(call: () => Promise<T>): Promise<T> => {
      this.#inFlight += 1;
      return call().finally(() => {
        this.#inFlight -= 1;
        if (this.#retired && this.#inFlight === 0) void this.#close();
      });
    };
    const handed: DelegatedSource = {
      kind: source.kind,
      checkPassword: (check) => counted(() => source.checkPassword(check)),
      // The registry closes its sources; whoever was handed one does not.
      close: () => Promise.resolve(),
    };
    if (!isPassThroughSource(source)) return handed;
    const passThrough: PassThroughSource = { ...handed, checkPassThrough: (check) => counted(() => source.checkPassThrough(check)) };
    return passThrough;
  }

  /** No new checks reach it through the registry; it closes once those in flight have ended. */
  retire(): Promise<void> {
    this.#retired = true;
    return this.#inFlight === 0 ? this.#close() : Promise.resolve();
  }

  async #close(): Promise<void> {
    const opened = this.#opened;
    this.#opened = null;
    await opened?.close();
  }
}

/** The registry of core/ports/delegated.ts over the store's list of sources. */
export class StoreSourceRegistry implements SourceRegistry {
  readonly #deps: SourceRegistryDeps;
  #entries = new Map<string, Entry>();
  #listedAt = -Infinity;
  #listing: Promise<void> | null = null;
  #closed = false;
  /** The unreadable rows already logged, by name and updatedAt: logged once each. */
  readonly #reported = new Set<string>();

  constructor(deps: SourceRegistryDeps) {
    this.#deps = deps;
  }

  async source(name: string): Promise<DelegatedSource | null> {
    if (this.#closed) return null;
    if (this.#deps.now() - this.#listedAt >= SOURCES_REFRESH_MS) await this.refresh();
    if (!this.#entries.has(name) && this.#deps.now() - this.#listedAt >= MISS_REFRESH_MS) await this.refresh();
    // Empty once closed.
    return this.#entries.get(name)?.opened(this.#deps) ?? null;
  }

  async passThroughSource(name: string): Promise<PassThroughSource | null> {
    const source = await this.source(name);
    return source !== null && isPassThroughSource(source) ? source : null;
  }

  health(): readonly SourceHealth[] {
    // Reported from the list read last; a stale one is read again for the next question.
    if (!this.#closed && this.#deps.now() - this.#listedAt >= SOURCES_REFRESH_MS) void this.refresh();
    return [...this.#entries.values()].map((entry) => ({
      name: entry.stored.name,
      kind: knownKind(entry.stored.kind),
      circuit: entry.circuit.state,
      lastFailure: entry.circuit.lastFailure,
    }));
  }

  /** Reads the list of sources again (one read at a time); a failed read keeps the list read before. */
  refresh(): Promise<void> {
    this.#listing ??= this.#list().finally(() => {
      this.#listing = null;
    });
    return this.#listing;
  }

  async #list(): Promise<void> {
    let listed: StoredSource[];
    try {
      listed = await this.#deps.store.listSources();
    } catch (error) {
      this.#deps.log.warn('delegated sources not read from the store; the list read before stays', {
        error: error instanceof Error ? error.message : String(error),
      });
      this.#listedAt = this.#deps.now();
      return;
    }
    this.#listedAt = this.#deps.now();
    if (this.#closed) return;
    const next = new Map<string, Entry>();
    for (const stored of listed) {
      const known = this.#entries.get(stored.name);
      if (known !== undefined && known.stored.updatedAt === stored.updatedAt && known.stored.kind === stored.kind) {
        next.set(stored.name, known);
        continue;
      }
      this.#reportUnreadable(stored);
      next.set(
        stored.name,
        new Entry(
          stored,
          new Circuit(stored.name, { policy: () => policyOf(this.#deps.settings), now: this.#deps.now, log: this.#deps.log }),
        ),
      );
    }
    const gone = [...this.#entries.entries()].filter(([name, entry]) => next.get(name) !== entry).map(([, entry]) => entry);
    this.#entries = next;
    await this.#retire(gone);
  }

  #reportUnreadable(stored: StoredSource): void {
    if (stored.settings !== null) return;
    const key = `${stored.name}\u0000${stored.updatedAt}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#deps.log.error(
      'delegated source unusable: its stored settings cannot be read; sign-ins through it fail until it is added again',
      {
        source: stored.name,
        problem: stored.problem,
      },
    );
  }

  async #retire(entries: readonly Entry[]): Promise<void> {
    await Promise.all(
      entries.map((entry) =>
        entry.retire().catch((error: unknown) =>
          this.#deps.log.warn('delegated source not closed cleanly', {
            source: entry.stored.name,
            error: error instanceof Error ? error.message : String(error),
          }),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#listing;
    const entries = [...this.#entries.values()];
    this.#entries = new Map();
    await this.#retire(entries);
  }
}

// ---------------------------------------------------------------------------------------------
// Single sign-on for a user: the rules of docs/FEDERATION.md.

/** Whether the user's password is checked by a delegated source ("single sign-on enabled"). */
export function isDelegated(user: UserRecord): boolean {
  return user.sourceName !== null;
}

/** What a delegated user's password operations are told: the password is the organization's. */
export function managedElsewhere(user: UserRecord): string {
  return `The password of this user is managed by the organization's directory (source ${user.sourceName ?? '?'}); change it there.`;
}

/** Refuses a local password operation (changePassword) on a delegated user: it has no password here. */
export function requireLocalPassword(user: UserRecord): void {
  if (isDelegated(user)) throw new SsoError('permissionDenied', managedElsewhere(user));
}

/** What the operator is told when turning single sign-on on (stderr): the risk of a directory that is down. */
export const DIRECTORY_DOWN_WARNING =
  "while the organization's directory cannot be reached this user cannot sign in; keep administrators on local passwords";

/**
 * The source a user may be given single sign-on through: one of the configured sources, usable.
 * Refused without any source (add one first), with a name that is none of them (naming them), or
 * when its stored settings cannot be used.
 */
export function sourceForSingleSignOn(sources: readonly StoredSource[], name: string): StoredSource {
  if (sources.length === 0)
    throw new Refusal(
      'no delegated source is configured; add one first with `ssod sources add NAME --web-service https://HOST/PATH` or `ssod sources add NAME --ldap ldaps://HOST …`, then turn single sign-on on with --source NAME',
    );
  const source = sources.find((candidate) => candidate.name === name);
  if (source === undefined)
    throw new Refusal(
      `no source named ${JSON.stringify(name)}; the configured sources are: ${sources.map((known) => known.name).join(', ')}`,
    );
  if (source.settings === null)
    throw new Refusal(
      `the stored settings of source ${name} cannot be used (${source.problem}); add it again with \`ssod sources add ${name} … --replace\``,
    );
  return source;
}
