// Small HTTP helpers shared by the SOAP listener and the relay.
import type { ServerResponse } from 'node:http';
import type { SourceHealth } from '../../core/ports/delegated.js';
import type { Store } from '../../core/store/index.js';

let counter = 0;
const prefix = process.pid.toString(36);

/** A request id for the log: unique within this process, cheap on the hot path. */
export function nextRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}

/** The headers of a plain-text answer. */
export function textHeaders(text: string, { close = false }: { close?: boolean } = {}): Record<string, string | number> {
  return {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(close ? { Connection: 'close' } : {}),
  };
}

export function sendText(res: ServerResponse, status: number, text: string, options: { close?: boolean } = {}): void {
  res.writeHead(status, textHeaders(text, options));
  res.end(text);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A write probe's answer is kept this long: /readyz polled every second costs one write every two. */
const READY_CACHE_MS = 2000;

/**
 * The state of each delegated source as /healthz shows it: its name, kind and circuit. The detail of
 * its last failure is not shown: /healthz answers anyone on the public listeners, and the detail names
 * internal hosts; the log has it (core/circuitBreaker.ts).
 */
export function sourceHealthText(sources: readonly SourceHealth[]): string {
  return sources.map((source) => `source ${source.name} (${source.kind}): circuit ${CIRCUIT_WORDS[source.circuit]}\n`).join('');
}

const CIRCUIT_WORDS: Readonly<Record<SourceHealth['circuit'], string>> = {
  closed: 'closed',
  open: 'open (sign-ins through it fail at once)',
  halfOpen: 'half open (the next sign-in tries it)',
};

/**
 * The health routes, on both listeners: /livez answers while the process does; /readyz (and
 * /healthz, kept for compatibility) only while the store answers and takes a write, so that a
 * read-only or full data directory takes the node out of a load balancer. /healthz also lists the
 * delegated sources and their circuits; a source that is down does not make the node unready (its
 * local users still sign in), so the status stays the store's.
 */
export function healthRoutes(
  store: Pick<Store, 'ping' | 'probeWrite'>,
  sources: () => readonly SourceHealth[] = () => [],
): (route: string, res: ServerResponse) => boolean {
  let checked = { at: -Infinity, ready: Promise.resolve(false) };
  const ready = (): Promise<boolean> => {
    const now = performance.now();
    if (now - checked.at >= READY_CACHE_MS) {
      checked = {
        at: now,
        ready: store
          .ping()
          .then(
            () => store.probeWrite().then(() => true),
            () => false,
          )
          .catch(() => false),
      };
    }
    return checked.ready;
  };
  return (route, res) => {
    if (route === '/livez') {
      sendText(res, 200, 'ok\n');
      return true;
    }
    if (route !== '/readyz' && route !== '/healthz') return false;
    void ready().then((ok) => {
      const text = ok ? 'ok\n' : 'store not ready: it does not answer or does not take writes\n';
      sendText(res, ok ? 200 : 503, route === '/healthz' ? text + sourceHealthText(sources()) : text);
    });
    return true;
  };
}
