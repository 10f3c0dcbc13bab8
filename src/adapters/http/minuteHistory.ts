// The last hour, minute by minute, of what this process counts for /metrics (metrics.ts): the admin
// console's overview draws its charts from it (docs/admin-console.md "Overview"). Sixty slots in a
// ring, each stamped with its minute, so a slot of an earlier hour reads as nothing: recording is an
// index and an addition, and the memory is fixed.

export const MINUTES = 60;
const MINUTE_MS = 60_000;

/** Counts per minute (sign-ins, failures): each event adds to its minute. */
export class MinuteCounts {
  private readonly counts = new Float64Array(MINUTES);
  private readonly stamps = new Float64Array(MINUTES).fill(-1);

  add(at: number, amount = 1): void {
    const minute = Math.floor(at / MINUTE_MS);
    const slot = minute % MINUTES;
    if (this.stamps[slot] !== minute) {
      this.stamps[slot] = minute;
      this.counts[slot] = 0;
    }
    this.counts[slot] = (this.counts[slot] ?? 0) + amount;
  }

  /** The last 60 minutes up to `now`'s, oldest first; a minute with nothing counted is 0. */
  lastHour(now: number): number[] {
    return lastHourOf(this.stamps, this.counts, now, 0) as number[];
  }
}

/** A value sampled now and then (live sessions): each minute keeps its last sample. */
export class MinuteSamples {
  private readonly values = new Float64Array(MINUTES);
  private readonly stamps = new Float64Array(MINUTES).fill(-1);

  set(at: number, value: number): void {
    const minute = Math.floor(at / MINUTE_MS);
    const slot = minute % MINUTES;
    this.stamps[slot] = minute;
    this.values[slot] = value;
  }

  /** The last 60 minutes up to `now`'s, oldest first; a minute without a sample is null. */
  lastHour(now: number): (number | null)[] {
    return lastHourOf(this.stamps, this.values, now, null);
  }
}

function lastHourOf(stamps: Float64Array, values: Float64Array, now: number, missing: number | null): (number | null)[] {
  const current = Math.floor(now / MINUTE_MS);
  const hour: (number | null)[] = [];
  for (let minute = current - MINUTES + 1; minute <= current; minute++) {
    const slot = minute % MINUTES;
    hour.push(stamps[slot] === minute ? (values[slot] ?? missing) : missing);
  }
  return hour;
}
