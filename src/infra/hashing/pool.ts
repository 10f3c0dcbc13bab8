// Where password hashes are computed: a small pool of worker threads, one per core (shared among
// the workers of `ssod serve --workers N`), each running argon2id at the lowest CPU priority
// (infra/hashing/worker.ts). Hashing uses every core when nothing else needs them, yet never delays
// the event loop: during a login storm the requests that do not hash (verifySession on every page
// load) are scheduled first (hashing never blocks the event loop; docs/PERFORMANCE.md, the login storm).
//
// The jobs waiting for a thread form a fair, bounded queue (docs/SECURITY.md, case F39). A job of a
// sign-in carries its sources, as the brute-force throttle counts them (core/throttle.ts: the
// client address, and the calling application). Threads are handed out round-robin between the
// sources that have jobs waiting, not first come first served: a source that floods the pool waits
// behind its own jobs only, and a sign-in from any other source gets the next free thread but one.
// A job takes its turn under its last source: throttle.ts lists the calling application after the
// address, so an application's sign-ins share one turn from whatever addresses they come.
//
// Each source may have at most QUEUED_PER_SOURCE_PER_THREAD jobs per hashing thread in the pool;
// one more is refused without hashing, but no sooner than its turn would have come (the source's
// jobs in the pool times the recent time of a job, per thread). A refusal answered at once would
// let the source's connections ask again in a tight loop, whose work on the event loop, at normal
// priority, takes the cores from the hashing threads at the lowest (measured: an honest sign-in
// during a flood took 0.33 s with one worker and 4 s with two; docs/PERFORMANCE.md, the flood).
//
// @node-rs/argon2's async functions would run on libuv's thread pool, whose threads compete with
// the event loop as equals: measured here, verifySession's p99 went to about 100 ms during a storm.
import type { Algorithm, Options } from '@node-rs/argon2';
import os from 'node:os';
import { HashingQueueFull, type HashingCounts, type HashingSources } from '../../core/ports/passwords.js';
import { WorkerThreads } from '../threads.js';
import type { HashJob, HashOutcome } from './worker.js';

// The package declares Algorithm as an ambient const enum, which cannot be read at run time under
// verbatimModuleSyntax; 2 is its Argon2id member.
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the only way to name a member of an unreadable const enum
export const ARGON2ID = 2 as Algorithm.Argon2id;

/** How many jobs of one source the pool holds (waiting or running) per hashing thread. */
export const QUEUED_PER_SOURCE_PER_THREAD = 16;

interface Pending {
  readonly job: HashJob;
  readonly sources: HashingSources;
  readonly resolve: (value: string | boolean) => void;
  readonly reject: (error: Error) => void;
}

type JobInput = { op: 'hash'; secret: string; options: Options } | { op: 'verify'; phc: string; secret: string };

const UNATTRIBUTED = '';

class HashingPool {
  readonly #size: number;
  readonly #perSource: number;
  readonly #threads: WorkerThreads<HashJob, HashOutcome, Pending & { readonly since: number }>;
  /** Waiting jobs by lane (a job's last source), and the lanes in their turn. */
  readonly #lanes = new Map<string, Pending[]>();
  readonly #turns: string[] = [];
  /** Jobs in the pool (waiting or running) per source. */
  readonly #held = new Map<string, number>();
  #nextId = 0;
  #started = 0;
  #refused = 0;
  #waiting = 0;
  #lastLogged = Number.NEGATIVE_INFINITY;
  /** A job's time on a thread, ms: a moving average over the last jobs. */
  #jobMs = 0;

  constructor(size: number) {
    this.#size = size;
    this.#perSource = QUEUED_PER_SOURCE_PER_THREAD * size;
    this.#threads = new WorkerThreads(new URL('./worker.js', import.meta.url), size, 'hashing thread', {
      done: (pending, outcome) => {
        this.#release(pending);
        this.#jobMs += (performance.now() - pending.since - this.#jobMs) / 8;
        if ('error' in outcome) pending.reject(new Error(outcome.error));
        else pending.resolve(outcome.value);
      },
      lost: (pending, error) => {
        this.#release(pending);
        pending.reject(error);
      },
      free: () => this.#dispatch(),
    });
  }

  counts(): HashingCounts {
    return { started: this.#started, refused: this.#refused, waiting: this.#waiting };
  }

  run(input: JobInput, sources: HashingSources): Promise<string | boolean> {
    const full = sources.find((source) => (this.#held.get(source) ?? 0) >= this.#perSource);
    if (full !== undefined) {
      this.#refused += 1;
      const now = performance.now();
      const worthLogging = now - this.#lastLogged >= 60_000;
      if (worthLogging) this.#lastLogged = now;
      const turn = ((this.#held.get(full) ?? 0) / this.#size) * this.#jobMs;
      return new Promise((_, reject) => setTimeout(() => reject(new HashingQueueFull(full, worthLogging)), turn));
    }
    return new Promise((resolve, reject) => {
      this.#nextId += 1;
      for (const source of sources) this.#held.set(source, (this.#held.get(source) ?? 0) + 1);
      const lane = sources.at(-1) ?? UNATTRIBUTED;
      const waiting = this.#lanes.get(lane);
      const pending = { job: { ...input, id: this.#nextId }, sources, resolve, reject };
      if (waiting !== undefined) waiting.push(pending);
      else {
        this.#lanes.set(lane, [pending]);
        this.#turns.push(lane);
      }
      this.#waiting += 1;
      this.#dispatch();
    });
  }

  /** The next waiting job, round-robin between lanes: a lane that still has jobs goes to the back. */
  #next(): Pending | undefined {
    const lane = this.#turns.shift();
    if (lane === undefined) return undefined;
    const waiting = this.#lanes.get(lane);
    const pending = waiting?.shift();
    if (waiting === undefined || pending === undefined)
      throw new Error(`hashing pool: lane ${JSON.stringify(lane)} had a turn but no job waiting`);
    if (waiting.length > 0) this.#turns.push(lane);
    else this.#lanes.delete(lane);
    this.#waiting -= 1;
    return pending;
  }

  #dispatch(): void {
    while (this.#turns.length > 0 && this.#threads.hasRoom()) {
      // The loop runs only while a lane has its turn, and a lane has one only while it has jobs waiting.
      const pending = this.#next();
      if (pending === undefined) throw new Error('hashing pool: a turn without a lane');
      this.#started += 1;
      this.#threads.start({ ...pending, since: performance.now() }, pending.job);
    }
  }

  #release(pending: Pending): void {
    for (const source of pending.sources) {
      const held = (this.#held.get(source) ?? 1) - 1;
      if (held > 0) this.#held.set(source, held);
      else this.#held.delete(source);
    }
  }
}

/**
 * Hashing threads for each of `processes` server processes on `cores` cores: together one per
 * core. argon2id fills a core and 19 MiB of memory per hash; more threads than cores only take
 * turns and evict each other's memory from the caches (authenticate with 2 workers of 2 threads
 * each on 2 cores: docs/PERFORMANCE.md).
 */
export function hashingThreadsFor(processes: number, cores: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, processes)));
}

let processesSharingCores = 1;

/**
 * Called by each worker of `ssod serve --workers N` before it serves: the workers share the cores
 * for hashing rather than each taking all of them. Takes effect when the pool starts (the first hash).
 */
export function shareHashingAmong(processes: number): void {
  processesSharingCores = processes;
}

/** The threads this process keeps for CPU-bound work beside its event loop: its share of the cores (also the SAML checks' share, infra/saml/checkPool.ts). */
export function threadsOfThisProcess(): number {
  return hashingThreadsFor(processesSharingCores, os.availableParallelism());
}

let pool: HashingPool | null = null;

function shared(): HashingPool {
  pool ??= new HashingPool(threadsOfThisProcess());
  return pool;
}

/** The jobs this process's pool started and refused so far (tests, the bench). */
export function hashingCounts(): HashingCounts {
  return pool?.counts() ?? { started: 0, refused: 0, waiting: 0 };
}

/** The most jobs one source may have in this process's pool at once. */
export function hashingQuotaPerSource(): number {
  return QUEUED_PER_SOURCE_PER_THREAD * threadsOfThisProcess();
}

export async function hashPassword(secret: string, options: Options, sources: HashingSources = []): Promise<string> {
  return String(await shared().run({ op: 'hash', secret, options }, sources));
}

/** Throws when `phc` is not a readable hash, like @node-rs/argon2's verify; throws HashingQueueFull when a source has its share of the pool. */
export async function verifyPassword(phc: string, secret: string, sources: HashingSources = []): Promise<boolean> {
  return (await shared().run({ op: 'verify', phc, secret }, sources)) === true;
}
