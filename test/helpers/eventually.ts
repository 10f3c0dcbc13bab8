// Waiting for something to happen, instead of sleeping a fixed time and hoping it happened: the
// check runs again and again until it holds, so a loaded machine only makes the test slower,
// never wrong, and an idle one does not wait longer than needed.
import { AssertionError } from 'node:assert';

export interface EventuallyOptions {
  /** How long to keep trying; then the check's last assertion failure (or a timeout error) is thrown. */
  readonly timeoutMs: number;
  /** The pause between two checks. */
  readonly intervalMs?: number;
  /** What is waited for, for the error when the check never held. */
  readonly what?: string;
}

/**
 * Runs `check` until it holds, and returns what it returned. It does not hold yet while it returns
 * false or null, or throws an AssertionError (so it may assert); any other error is thrown at once
 * (a process that exited will not come back).
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs, intervalMs = 50, what = 'the condition' }: EventuallyOptions,
): Promise<Exclude<T, false | null>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: AssertionError | null = null;
    try {
      const value = await check();
      if (value !== false && value !== null) return value as Exclude<T, false | null>;
    } catch (error) {
      if (!(error instanceof AssertionError)) throw error;
      failure = error;
    }
    if (Date.now() >= deadline) throw failure ?? new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
