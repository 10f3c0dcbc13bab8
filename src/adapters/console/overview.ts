// The overview page (`/`, docs/admin-console.md "Overview"): the installation's figures from the
// store, as `ssod status` reads them (core/operator/status.ts).
import { storeFigures, type StoreFigures } from '../../core/operator/status.js';
import { countText, html, timeText, type Html } from './html.js';
import { showPage, type ConsoleRequest, type ConsoleRoute } from './kit.js';

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

async function overview(request: ConsoleRequest): Promise<void> {
  const { services } = request;
  const now = services.now();
  const figures = await storeFigures(services, now, HOUR_MS);
  showPage(request, { title: 'Overview', main: figuresHtml(figures, services.store.engine, now) });
}

export const OVERVIEW_ROUTES: readonly ConsoleRoute[] = [{ method: 'GET', path: '/', handle: overview }];
