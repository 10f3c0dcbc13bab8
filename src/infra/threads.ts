// The worker threads of a pool that runs CPU-bound jobs beside the event loop (the password hashing
// pool, infra/hashing/pool.ts; the SAML check pool, infra/saml/checkPool.ts): started when first
// needed up to a number, each running one job at a time, unreferenced while idle so that an idle
// thread never keeps the process alive (tests, shutdown), and replaced when one is lost. Which job
// runs next is the pool's to decide.
import { Worker } from 'node:worker_threads';

/** What a pool hears of its threads' work: a task's outcome, a task lost with its thread, and a thread free again. */
export interface ThreadEvents<Outcome, Task> {
  done(task: Task, outcome: Outcome): void;
  lost(task: Task, error: Error): void;
  /** A thread is free (or may be started again): the pool hands out its next job. */
  free(): void;
}

export class WorkerThreads<Job, Outcome, Task> {
  readonly #script: URL;
  readonly #size: number;
  readonly #what: string;
  readonly #events: ThreadEvents<Outcome, Task>;
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Task>();
  #started = 0;

  /** `script` is the thread's module; `what` names its threads in errors ("hashing thread"). */
  constructor(script: URL, size: number, what: string, events: ThreadEvents<Outcome, Task>) {
    this.#script = script;
    this.#size = size;
    this.#what = what;
    this.#events = events;
  }

  /** Whether a job can start now: a thread is idle, or one more may be started. */
  hasRoom(): boolean {
    return this.#idle.length > 0 || this.#started < this.#size;
  }

  /** Runs `job` on a free thread; only when hasRoom(). */
  start(task: Task, job: Job): void {
    const worker = this.#idle.pop() ?? this.#spawn();
    this.#busy.set(worker, task);
    worker.ref();
    worker.postMessage(job);
  }

  /** Starts the threads not started yet, idle: a thread takes a moment to load its modules. */
  warm(): void {
    while (this.#started < this.#size) {
      const worker = this.#spawn();
      worker.unref();
      this.#idle.push(worker);
    }
  }

  #spawn(): Worker {
    this.#started += 1;
    const worker = new Worker(this.#script);
    worker.on('message', (outcome: Outcome) => {
      const task = this.#busy.get(worker);
      this.#busy.delete(worker);
      worker.unref();
      this.#idle.push(worker);
      if (task !== undefined) this.#events.done(task, outcome);
      this.#events.free();
    });
    worker.on('error', (error) => this.#lose(worker, error));
    worker.on('exit', (code) => this.#lose(worker, new Error(`${this.#what} exited with code ${code}`)));
    return worker;
  }

  #lose(worker: Worker, error: Error): void {
    const index = this.#idle.indexOf(worker);
    if (index !== -1) this.#idle.splice(index, 1);
    const task = this.#busy.get(worker);
    if (!this.#busy.delete(worker) && index === -1) return; // already handled ('error' then 'exit')
    this.#started -= 1;
    if (task !== undefined) this.#events.lost(task, error);
    this.#events.free();
  }
}
