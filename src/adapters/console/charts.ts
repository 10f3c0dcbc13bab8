// The overview's charts (docs/admin-console.md "Overview"): a bar per minute over the last hour,
// drawn as SVG on the server (no script, no chart library, nothing inline that the CSP would block:
// the colours are classes of the console's style sheet; the labels are HTML, so they keep their size
// when the bars stretch to the width of a phone or a laptop). Each chart says in words what it shows, for
// a screen reader and for anyone who wants the figures rather than the shape.
import { countText, html, plural, type Html } from './html.js';

const WIDTH = 600;
const HEIGHT = 120;
const TOP = 2;

/** A round number at or above `max` for the top of the scale (1, 2, 5, 10, 20, 50, …). */
function scaleTop(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export interface MinuteChart {
  /** The id of the chart's caption (unique on the page). */
  readonly id: string;
  readonly title: string;
  /** What is counted: one ('sign-in') and several ('sign-ins'). */
  readonly unit: readonly [one: string, several: string];
  /** 60 values, oldest first; null where nothing was measured. */
  readonly values: readonly (number | null)[];
  /** The bars' class: 'ok', 'bad' or 'neutral'. */
  readonly tone: 'ok' | 'bad' | 'neutral';
  /** Whether the values add up (counts per minute) or are levels (samples). */
  readonly kind: 'count' | 'level';
}

/** The words that say what the chart shows. */
function summary(chart: MinuteChart): string {
  const known = chart.values.filter((value): value is number => value !== null);
  if (known.length === 0) return `No ${chart.unit[1]} measured in the last hour yet.`;
  const max = Math.max(...known);
  const last = chart.values[chart.values.length - 1] ?? null;
  if (chart.kind === 'count') {
    const total = known.reduce((sum, value) => sum + value, 0);
    return `${plural(total, ...chart.unit)} in the last hour, at most ${countText(max)} in one minute, ${countText(last ?? 0)} so far this minute.`;
  }
  const now = last ?? known[known.length - 1] ?? 0;
  return `${plural(now, ...chart.unit)} at the last sample, at most ${countText(max)} in the last hour.`;
}

/** One chart: a figure with its title, the SVG bars with the scale, and the summary in words. */
export function minuteChart(chart: MinuteChart): Html {
  const known = chart.values.filter((value): value is number => value !== null);
  const top = scaleTop(known.length === 0 ? 0 : Math.max(...known));
  const slot = WIDTH / chart.values.length;
  const plot = HEIGHT - TOP;
  const bars = chart.values.map((value, index) => {
    if (value === null || value === 0) return '';
    const height = Math.max(1, (value / top) * plot);
    return html`<rect
      x="${(index * slot + 1).toFixed(1)}"
      y="${(HEIGHT - height).toFixed(1)}"
      width="${(slot - 2).toFixed(1)}"
      height="${height.toFixed(1)}"
    ></rect>`;
  });
  const text = summary(chart);
  return html`<figure class="chart">
    <figcaption id="${chart.id}"><strong>${chart.title}</strong> <span>${text}</span></figcaption>
    <div class="plot">
      <span class="scale-top">${countText(top)}</span>
      <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-labelledby="${chart.id}" class="tone-${chart.tone}">
        <line class="grid" x1="0" y1="${TOP}" x2="${WIDTH}" y2="${TOP}"></line>
        <g class="bars">${bars}</g>
        <line class="axis" x1="0" y1="${HEIGHT}" x2="${WIDTH}" y2="${HEIGHT}"></line>
      </svg>
    </div>
    <div class="ticks" aria-hidden="true"><span>60 min ago</span><span>now</span></div>
  </figure>`;
}
