// Counters and histograms for the request path. prom-client's own label children validate and hash
// their labels on every increment (about a microsecond and a string per call); these keep one plain
// object per label set, found by a map lookup, so counting a request is a few nanoseconds and
// allocates nothing. prom-client reads them at scrape time through get(), in the form its
// registry prints and its AggregatorRegistry sums across workers.
import type { Metric } from 'prom-client';

/** One sample as prom-client's registry prints it. */
interface Sample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What prom-client's registry reads from a metric at scrape time (its get()). */
interface Snapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: readonly Sample[];
  readonly aggregator: 'sum';
}

/** One count, kept and incremented in place. */
export interface Tally {
  n: number;
}

/** A counter with two labels (such as operation and outcome). */
export class HotCounter {
  readonly #cells = new Map<string, Map<string, Tally>>();

  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly [string, string];

  constructor(name: string, help: string, labelNames: readonly [string, string]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** The tally of one label set, made on first use; keep it to count without the lookup. */
  tally(first: string, second: string): Tally {
    let row = this.#cells.get(first);
    if (row === undefined) {
      row = new Map();
      this.#cells.set(first, row);
    }
    let cell = row.get(second);
    if (cell === undefined) {
      cell = { n: 0 };
      row.set(second, cell);
    }
    return cell;
  }

  get(): Snapshot {
    const values: Sample[] = [];
    const [a, b] = this.labelNames;
    for (const [first, row] of this.#cells)
      for (const [second, cell] of row) values.push({ labels: { [a]: first, [b]: second }, value: cell.n });
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' };
  }

  reset(): void {
    for (const row of this.#cells.values()) for (const cell of row.values()) cell.n = 0;
  }
}

/** The observations of one label set: a count per bucket (not cumulative), their sum and count. */
export interface Series {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** A histogram with one label (or none: the label name null and the series ''). */
export class HotHistogram {
  readonly #series = new Map<string, Series>();

  readonly name: string;
  readonly help: string;
  readonly labelName: string | null;
  readonly upperBounds: readonly number[];

  constructor(name: string, help: string, labelName: string | null, upperBounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.labelName = labelName;
    this.upperBounds = upperBounds;
  }

  series(label = ''): Series {
    let series = this.#series.get(label);
    if (series === undefined) {
      series = { buckets: new Float64Array(this.upperBounds.length + 1), sum: 0, count: 0 };
      this.#series.set(label, series);
    }
    return series;
  }

  observe(series: Series, value: number): void {
    let i = 0;
    while (i < this.upperBounds.length && value > (this.upperBounds[i] ?? Infinity)) i += 1;
    series.buckets[i] = (series.buckets[i] ?? 0) + 1;
    series.sum += value;
    series.count += 1;
  }

  get(): Snapshot {
    const values: Sample[] = [];
    for (const [label, series] of this.#series) {
      const labels = this.labelName === null ? {} : { [this.labelName]: label };
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += series.buckets[i] ?? 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }

  reset(): void {
    this.#series.clear();
  }
}

/** What prom-client's registry takes: it calls only name, get() and reset() of a metric. */
export function asMetric(metric: HotCounter | HotHistogram): Metric {
  return metric as unknown as Metric;
}
