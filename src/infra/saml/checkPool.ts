// Where the checks of a posted SAML response run: a few worker threads (checkWorker.ts) beside the
// event loop, as many per process as the password hashing threads (infra/hashing/pool.ts). The
// checks are pure and CPU-bound (the hardened reader, then the library's XML parsing,
// canonicalization and signature, about 5 ms of CPU a response): on the event loop they held every
// other request of the process up meanwhile, and a sign-in used one core where a password sign-in,
// whose hash runs on the hashing threads, uses all (docs/PERFORMANCE.md, "The sign-in page and SAML
// against authenticate"). What needs the store stays on the event loop (core/saml.ts).
//
// The threads run at normal priority, as the checks did on the event loop, not at the hashing
// threads' lowest: a thread at the lowest priority gets almost no CPU while other processes keep the
// machine's cores busy (measured on a shared machine: with two workers, one such thread each, SAML
// sign-ins fell to 0.43× authenticate's rate with the server at 0.43 cores; at normal priority 1.27×).
//
// The jobs wait in one first-come queue. It needs no bound of its own: each job is a request of an
// open connection waiting for its answer (one at a time per connection), and the listener bounds the
// connections, in all and per source (adapters/http/connections.ts, docs/SECURITY.md case F40).
import { SamlRefusal, type SamlIdentity, type SamlResponseCheck } from '../../core/ports/saml.js';
import { threadsOfThisProcess } from '../hashing/pool.js';
import { WorkerThreads } from '../threads.js';
import type { SamlCheckJob, SamlCheckOutcome } from './checkWorker.js';

interface Pending {
  readonly job: SamlCheckJob;
  readonly resolve: (identity: SamlIdentity) => void;
  readonly reject: (error: Error) => void;
}

class SamlCheckPool {
  readonly #threads: WorkerThreads<SamlCheckJob, SamlCheckOutcome, Pending>;
  readonly #waiting: Pending[] = [];
  #nextId = 0;

  constructor(size: number) {
    this.#threads = new WorkerThreads(new URL('./checkWorker.js', import.meta.url), size, 'SAML check thread', {
      done: settle,
      lost: (pending, error) => pending.reject(error),
      free: () => this.#dispatch(),
    });
  }

  /** Starts the threads not started yet, idle. */
  warm(): void {
    this.#threads.warm();
  }

  check(check: SamlResponseCheck): Promise<SamlIdentity> {
    return new Promise((resolve, reject) => {
      this.#nextId += 1;
      this.#waiting.push({ job: { id: this.#nextId, check }, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#threads.hasRoom()) {
      const pending = this.#waiting.shift();
      if (pending === undefined) return;
      this.#threads.start(pending, pending.job);
    }
  }
}

/** The outcome as the caller of checkSamlResponse would have had it: the identity, a SamlRefusal, or an Error. */
function settle(pending: Pending, outcome: SamlCheckOutcome): void {
  if ('identity' in outcome) {
    // The attributes as the checks made them: without a prototype, so that no attribute name reads an inherited property.
    const attributes = Object.assign(Object.create(null) as Record<string, readonly string[]>, outcome.identity.attributes);
    pending.resolve({ ...outcome.identity, attributes });
  } else if ('refusal' in outcome) pending.reject(new SamlRefusal(outcome.refusal.case, outcome.refusal.reason));
  else pending.reject(new Error(outcome.error));
}

let pool: SamlCheckPool | null = null;

function shared(): SamlCheckPool {
  pool ??= new SamlCheckPool(threadsOfThisProcess());
  return pool;
}

/** Runs serviceProvider.ts checkSamlResponse on a thread of the pool, with the same outcome. */
export function checkInThread(check: SamlResponseCheck): Promise<SamlIdentity> {
  return shared().check(check);
}

/**
 * Starts the pool's threads ahead of the first response: called when ssod sends a browser to an
 * identity provider, whose response comes back seconds later, so that no sign-in waits for a
 * thread to load the library. The threads start only where SAML is used.
 */
export function warmCheckThreads(): void {
  shared().warm();
}
