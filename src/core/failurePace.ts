// How long a checked, failed sign-in takes on this node, so that a refusal that skips the password
// check (a lock) can answer after about the same time without using the CPU that a check costs.
// The time of a check follows the load (the hashing queue, the machine), so it is measured rather
// than assumed: the median of the recent checked failures.
import { setTimeout as sleep } from 'node:timers/promises';

const SAMPLES = 31;

export class FailurePace {
  readonly #recent: number[] = [];

  /** A failed sign-in whose password was checked took `ms` from its start to its answer. */
  record(ms: number): void {
    this.#recent.push(ms);
    if (this.#recent.length > SAMPLES) this.#recent.shift();
  }

  /** The median of the recent checked failures, or null before the first. */
  typicalMs(): number | null {
    if (this.#recent.length === 0) return null;
    const sorted = [...this.#recent].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? null;
  }

  /** Waits until a failure that started at `started` (performance.now()) has taken the typical time. */
  async waitFrom(started: number): Promise<void> {
    const rest = (this.typicalMs() ?? 0) - (performance.now() - started);
    if (rest > 0) await sleep(rest);
  }
}
