// Where password hashes are computed: a small pool of worker threads, one per core (shared among
// the workers of `ssod serve --workers N`), each running argon2id at the lowest CPU priority
// (domain/hashWorker.ts). Hashing uses every core when nothing else needs them, yet never delays
// the event loop: during a login storm the requests that do not hash (verifySession on every page
// load) are scheduled first (DESIGN.md "Passwords": hashing never blocks the event loop; docs/PERFORMANCE.md, the login storm).
//
// @node-rs/argon2's async functions would run on libuv's thread pool, whose threads compete with
// the event loop as equals: measured here, verifySession's p99 went to about 100 ms during a storm.
import type { Options } from '@node-rs/argon2';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashJob, HashOutcome } from './hashWorker.js';

interface Pending {
  readonly job: HashJob;
  readonly resolve: (value: string | boolean) => void;
  readonly reject: (error: Error) => void;
}

type JobInput = { op: 'hash'; secret: string; options: Options } | { op: 'verify'; phc: string; secret: string };

class HashingPool {
  readonly #size: number;
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Pending>();
  readonly #queue: Pending[] = [];
  #workers = 0;
  #nextId = 0;

  constructor(size: number) {
    this.#size = size;
  }

  run(input: JobInput): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.#nextId += 1;
      this.#queue.push({ job: { ...input, id: this.#nextId }, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#workers < this.#size ? this.#spawn() : undefined);
      if (worker === undefined) return;
      const pending = this.#queue.shift()!;
      this.#busy.set(worker, pending);
      worker.ref();
      worker.postMessage(pending.job);
    }
  }

  #spawn(): Worker {
    this.#workers += 1;
    const worker = new Worker(new URL('./hashWorker.js', import.meta.url));
    worker.on('message', (outcome: HashOutcome) => {
      const pending = this.#busy.get(worker);
      this.#busy.delete(worker);
      // An idle hashing thread never keeps the process alive (tests, shutdown).
      worker.unref();
      this.#idle.push(worker);
      if (pending !== undefined) {
        if ('error' in outcome) pending.reject(new Error(outcome.error));
        else pending.resolve(outcome.value);
      }
      this.#dispatch();
    });
    worker.on('error', (error) => this.#lose(worker, error));
    worker.on('exit', (code) => this.#lose(worker, new Error(`hashing thread exited with code ${code}`)));
    return worker;
  }

  #lose(worker: Worker, error: Error): void {
    const index = this.#idle.indexOf(worker);
    if (index !== -1) this.#idle.splice(index, 1);
    const pending = this.#busy.get(worker);
    if (!this.#busy.delete(worker) && index === -1) return; // already handled ('error' then 'exit')
    this.#workers -= 1;
    pending?.reject(error);
    this.#dispatch();
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

let pool: HashingPool | null = null;

function shared(): HashingPool {
  pool ??= new HashingPool(hashingThreadsFor(processesSharingCores, os.availableParallelism()));
  return pool;
}

export async function hashPassword(secret: string, options: Options): Promise<string> {
  return String(await shared().run({ op: 'hash', secret, options }));
}

/** Throws when `phc` is not a readable hash, like @node-rs/argon2's verify. */
export async function verifyPassword(phc: string, secret: string): Promise<boolean> {
  return (await shared().run({ op: 'verify', phc, secret })) === true;
}
