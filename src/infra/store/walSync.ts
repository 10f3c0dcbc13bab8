// Durable SQLite commits without an fsync on the event loop.
//
// With synchronous=FULL, better-sqlite3 fsyncs the WAL inside every commit, on the event loop:
// measured on the bench machine, 2.9 ms median and 16 ms p99 per commit, during which no other
// request is served (every sign-in, createUser and idle-timer renewal commits; the login storm's
// verifySession p99 was about 100 ms because of it, docs/PERFORMANCE.md). Instead the connection
// commits with synchronous=NORMAL, which only writes the WAL, and each write is acknowledged once
// an fsync of the WAL file that began after its commit has completed on libuv's thread pool. So an
// acknowledged write still survives a power cut, as with FULL, the event loop never waits for the
// disk, and writes that commit while an fsync runs share the next one (group commit).
import { closeSync, fsync, openSync } from 'node:fs';

export class WalSync {
  #fd: number | null = null;
  readonly #walPath: string | null;
  /** The fsync now running, if any. */
  #running: Promise<void> | null = null;
  /** The fsync that starts when the running one ends: it covers every commit made meanwhile. */
  #next: Promise<void> | null = null;

  /** `databasePath` null for an in-memory database, which has nothing to sync. */
  constructor(databasePath: string | null) {
    this.#walPath = databasePath === null ? null : `${databasePath}-wal`;
  }

  /** Resolves once everything committed before this call is on disk. */
  afterCommit(): Promise<void> {
    if (this.#walPath === null) return Promise.resolve();
    if (this.#running === null) {
      this.#running = this.#fsync().finally(() => {
        this.#running = null;
      });
      return this.#running;
    }
    // The running fsync may have begun before this commit: wait for the one after it.
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = null;
        return this.afterCommit();
      });
    return this.#next;
  }

  /** Waits for the fsyncs under way, then closes the WAL file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#running, this.#next]);
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #fsync(): Promise<void> {
    if (this.#walPath === null) return Promise.resolve(); // afterCommit asks only when there is one
    // The WAL file exists from the connection's first transaction on (the migration) and keeps its
    // inode while any connection is open: a checkpoint rewrites or truncates it in place.
    this.#fd ??= openSync(this.#walPath, 'r');
    const fd = this.#fd;
    return new Promise((resolve, reject) => {
      fsync(fd, (error) => (error === null ? resolve() : reject(error)));
    });
  }
}
