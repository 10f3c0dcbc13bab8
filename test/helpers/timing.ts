// Timing on a shared, noisy machine: never an absolute time, always a comparison of actions measured
// side by side, as the median of their ratios round by round (the fastest run of each favoured
// short actions, which find a quiet moment more often than long ones on a loaded machine).
import { defined } from './defined.js';

/** What medianRatiosSideBySide measured: for each action after the first, its median ratio to the first. */
export interface MedianRatios {
  readonly ratios: number[];
  readonly rounds: number;
}

/**
 * For each action after the first, the median over rounds of its time divided by the first
 * action's time in the same round. The actions of a round run back to back, each round starting
 * with the next action in turn, so a burst of load from elsewhere falls on the pair it divides
 * alike, and the median drops the rounds it hit unevenly. Where the fastest run needs the machine
 * to be idle at least once per action, this holds on a machine that is busy all along.
 *
 * It runs `minRounds`, then goes on until `settled` holds for the medians or `maxRounds` are done:
 * on an idle machine a few rounds decide, on a busy one more are taken, since there the hashing
 * threads (the lowest priority) get a share of a core that varies from call to call. One warm-up
 * round runs first and is not counted (a first call may build a cache).
 */
export async function medianRatiosSideBySide(
  actions: readonly (() => Promise<unknown>)[],
  { minRounds, maxRounds, settled }: { minRounds: number; maxRounds: number; settled: (ratios: readonly number[]) => boolean },
): Promise<MedianRatios> {
  const samples: number[][] = actions.slice(1).map(() => []);
  const medians = (): number[] => samples.map(median);
  for (let round = -1; round < maxRounds; round += 1) {
    const times = actions.map(() => 0);
    for (let step = 0; step < actions.length; step += 1) {
      const i = (Math.max(0, round) + step) % actions.length;
      const action = defined(actions[i], `action ${i}`);
      const started = performance.now();
      await action();
      times[i] = performance.now() - started;
    }
    if (round < 0) continue;
    const baseline = defined(times[0], 'the time of the baseline');
    for (const [i, list] of samples.entries()) list.push(defined(times[i + 1], `the time of action ${i + 1}`) / baseline);
    if (round + 1 >= minRounds && settled(medians())) return { ratios: medians(), rounds: round + 1 };
  }
  return { ratios: medians(), rounds: maxRounds };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => defined(sorted[index], `sample ${index}`);
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}
