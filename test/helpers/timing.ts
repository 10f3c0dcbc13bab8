// Timing on a shared, noisy machine: never an absolute time, always a comparison of actions measured
// side by side. Each action runs in turn (a, b, c, a, b, c, …) so that a burst of load from
// elsewhere falls on all of them alike, and the fastest run of each is kept: noise only ever adds.

/** The fastest time of each action over `rounds` interleaved runs, in milliseconds. */
export async function fastestSideBySide(actions: readonly (() => Promise<unknown>)[], rounds: number): Promise<number[]> {
  const fastest = actions.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < rounds; round += 1) {
    for (const [i, run] of actions.entries()) {
      const started = performance.now();
      await run();
      fastest[i] = Math.min(fastest[i] ?? Number.POSITIVE_INFINITY, performance.now() - started);
    }
  }
  return fastest;
}
