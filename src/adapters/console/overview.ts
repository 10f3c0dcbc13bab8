// The overview page (`/`, docs/admin-console.md "Overview"): the installation's figures from the
// store, as `ssod status` reads them (core/operator/status.ts), the delegated sources' health, and
// charts of the last hour (charts.ts).
import { storeFigures, type StoreFigures } from '../../core/operator/status.js';
import type { SourceHealth } from '../../core/ports/delegated.js';
import { recentActivity, type RecentActivity } from '../http/metrics.js';
import { minuteChart } from './charts.js';
import { countText, html, timeText, type Html } from './html.js';
import { showPage, table, type ConsoleRequest, type ConsoleRoute } from './kit.js';

const HOUR_MS = 3_600_000;

function count(value: number, atLeast = false): string {
  return `${atLeast ? '≥ ' : ''}${countText(value)}`;
}

function yesNo(value: boolean, yes: string, no: string): Html {
  return html`<span class="${value ? 'ok' : 'bad'}">${value ? yes : no}</span>`;
}

function figuresHtml(figures: StoreFigures, engine: string, now: number): Html {
  const { signIns, locks } = figures;
  return html`<p class="note">The whole installation, from the store, as of ${timeText(now)}.</p>
    <dl class="cards">
      <div class="card">
        <dt>Live sessions</dt>
        <dd>${count(figures.liveSessions)}</dd>
      </div>
      <div class="card">
        <dt>Sign-ins in the last hour</dt>
        <dd>${count(signIns.total, signIns.atLeast)}<small>${count(signIns.failed)} failed</small></dd>
      </div>
      <div class="card">
        <dt>Locked now</dt>
        <dd>${count(locks.logins + locks.sources)}<small>${count(locks.logins)} logins, ${count(locks.sources)} sources</small></dd>
      </div>
      <div class="card">
        <dt>Store (${engine})</dt>
        <dd>
          ${yesNo(figures.ready && figures.writable, 'Healthy', 'Unhealthy')}<small
            >${yesNo(figures.ready, 'answers', 'does not answer')}, ${yesNo(figures.writable, 'takes writes', 'takes no writes')}</small
          >
        </dd>
      </div>
    </dl>`;
}

/** The last hour minute by minute: this process's counters (as /metrics counts them), live sessions as sampled from the store. */
function chartsHtml(activity: RecentActivity): Html {
  return html`<h2>The last hour, minute by minute</h2>
    <p class="note">
      Sign-ins as this ssod process counted them (the counters of /metrics: with several nodes or workers, each counts its own); live
      sessions as counted in the store once a minute.
    </p>
    <div class="charts">
      ${minuteChart({ id: 'chart-signins', title: 'Sign-ins', unit: ['sign-in', 'sign-ins'], values: activity.signIns, tone: 'ok', kind: 'count' })}
      ${minuteChart({ id: 'chart-failures', title: 'Failed sign-ins', unit: ['failed sign-in', 'failed sign-ins'], values: activity.failures, tone: 'bad', kind: 'count' })}
      ${minuteChart({ id: 'chart-sessions', title: 'Live sessions', unit: ['live session', 'live sessions'], values: activity.liveSessions, tone: 'neutral', kind: 'level' })}
    </div>`;
}

const CIRCUIT_TEXT: Readonly<Record<SourceHealth['circuit'], string>> = {
  closed: 'in service',
  halfOpen: 'being tried again',
  open: 'failing: checks fail fast',
};

/** The delegated sources as this process sees them: its circuit breaker's state and the last transport failure. */
function sourcesHtml(health: readonly SourceHealth[]): Html {
  const rows = health.map((source) => [
    source.name,
    source.kind,
    html`<span class="badge ${source.circuit === 'closed' ? 'ok' : 'bad'}">${CIRCUIT_TEXT[source.circuit]}</span>`,
    source.lastFailure ?? '',
  ]);
  return html`<h2>Delegated sources</h2>
    ${table(['Source', 'Kind', 'State', 'Last failure'], rows, 'No delegated source: every user signs in with a password kept by ssod.')}`;
}

async function overview(request: ConsoleRequest): Promise<void> {
  const { services } = request;
  const now = services.now();
  const figures = await storeFigures(services, now, HOUR_MS);
  const main = html`${figuresHtml(figures, services.store.engine, now)}${sourcesHtml(services.sources.health())}${chartsHtml(recentActivity(Date.now()))}`;
  showPage(request, { title: 'Overview', main });
}

export const OVERVIEW_ROUTES: readonly ConsoleRoute[] = [{ method: 'GET', path: '/', handle: overview }];
