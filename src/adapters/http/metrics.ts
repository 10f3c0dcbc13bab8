// What the server is doing, for Prometheus (README "Monitoring"): requests by operation and
// outcome with their latency, sign-ins, locks, live sessions, the hashing queue, store latency and
// PostgreSQL pool use. Counting is always on and costs a map lookup and an increment, without an
// allocation (hotMetrics.ts); the listener that serves /metrics is off unless
// --metrics-port is given, and binds --metrics-bind (127.0.0.1), never the public listeners.
// With --workers N the primary serves the sum of its workers (prom-client's AggregatorRegistry).
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client, { AggregatorRegistry, Counter, Gauge } from 'prom-client';
import type { Options } from '../../config/options.js';
import { observeAudit, type AuditEntry } from '../../core/audit.js';
import type { HashingCounts } from '../../core/ports/passwords.js';
import { countLiveSessions } from '../../core/operator/sessions.js';
import type { Services } from '../../core/services.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Store } from '../../core/store/index.js';
import { packageVersion } from '../../infra/version.js';
import { asMetric, HotCounter, HotHistogram, type Series, type Tally } from './hotMetrics.js';
import { MinuteCounts, MinuteSamples } from './minuteHistory.js';
import { sendText } from './http.js';

/** Live sessions are counted in the store at most this often, however often Prometheus scrapes. */
const LIVE_SESSIONS_CACHE_MS = 5000;
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const register = client.register;
client.collectDefaultMetrics({ register });
// A worker answers its primary's requests for its metrics once an AggregatorRegistry exists in it.
if (cluster.isWorker) new AggregatorRegistry();

const soapRequests = new HotCounter('ssod_soap_requests_total', 'SOAP requests by operation and outcome (ok, or the fault code).', [
  'operation',
  'outcome',
]);
const soapDuration = new HotHistogram(
  'ssod_soap_request_duration_seconds',
  'Time to answer a SOAP request, by operation.',
  'operation',
  LATENCY_BUCKETS,
);
const relayRequests = new HotCounter(
  'ssod_relay_requests_total',
  'Relay requests by command (setCookie, getSession, confirm) and outcome.',
  ['command', 'outcome'],
);
const relayDuration = new HotHistogram('ssod_relay_request_duration_seconds', 'Time to answer a relay request.', null, LATENCY_BUCKETS);
const storeDuration = new HotHistogram(
  'ssod_store_operation_duration_seconds',
  'Time of a store call, by method.',
  'method',
  LATENCY_BUCKETS,
);
for (const metric of [soapRequests, soapDuration, relayRequests, relayDuration, storeDuration]) register.registerMetric(asMetric(metric));
const relaySeries = relayDuration.series();
const signins = new Counter({
  name: 'ssod_signins_total',
  help: 'Sign-ins (authenticate) by result: success, or why it failed.',
  labelNames: ['result'],
});
const locks = new Counter({
  name: 'ssod_locks_total',
  help: 'Brute-force locks set, by what was locked (login, source, user).',
  labelNames: ['kind'],
});

/** Where the gauges read at scrape time come from: the running server's services. */
let source: Services | null = null;
let liveSessions = { at: -Infinity, count: 0 };

/** The hashing of this process, through the services' hasher; none before a server runs. */
function hashingCounts(): HashingCounts {
  return source?.passwords.counts() ?? { started: 0, refused: 0, waiting: 0 };
}

new Gauge({
  name: 'ssod_sessions_live',
  help: 'Live global sessions in the store (counted at most every 5 seconds).',
  aggregator: 'max', // every worker reads the same store
  async collect() {
    if (source === null) return;
    const now = source.now();
    if (now - liveSessions.at >= LIVE_SESSIONS_CACHE_MS) {
      liveSessions = { at: now, count: await countLiveSessions(source, now) };
      liveSessionMinutes.set(now, liveSessions.count);
    }
    this.set(liveSessions.count);
  },
});
new Gauge({
  name: 'ssod_hashing_queue_depth',
  help: 'Password hashing jobs waiting for a thread.',
  collect() {
    this.set(hashingCounts().waiting);
  },
});
new Counter({
  name: 'ssod_hashing_jobs_total',
  help: 'Password hashing jobs by result: started, or refused (a source over its share of the queue).',
  labelNames: ['result'],
  collect() {
    const counts = hashingCounts();
    this.reset();
    this.inc({ result: 'started' }, counts.started);
    this.inc({ result: 'refused' }, counts.refused);
  },
});
new Gauge({
  name: 'ssod_store_pool_connections',
  help: 'PostgreSQL pool connections by state: total (open), idle, waiting (requests queued for one).',
  labelNames: ['state'],
  collect() {
    const use = source?.store.poolUse?.();
    if (use === undefined) return;
    this.set({ state: 'total' }, use.total);
    this.set({ state: 'idle' }, use.idle);
    this.set({ state: 'waiting' }, use.waiting);
  },
});
new Counter({
  name: 'ssod_session_cache_total',
  help: 'The verifySession cache of a PostgreSQL node (--session-cache-ms): answers read from it (hit), from the store (miss), and dropped (eviction: a change, or the least recently used).',
  labelNames: ['result'],
  collect() {
    const use = source?.store.sessionCacheUse?.();
    if (use === undefined) return;
    this.reset();
    this.inc({ result: 'hit' }, use.hits);
    this.inc({ result: 'miss' }, use.misses);
    this.inc({ result: 'eviction' }, use.evictions);
  },
});
new Gauge({
  name: 'ssod_session_cache_entries',
  help: 'Answers in the verifySession cache of a PostgreSQL node.',
  collect() {
    const use = source?.store.sessionCacheUse?.();
    if (use !== undefined) this.set(use.entries);
  },
});
const CIRCUIT_STATES = ['closed', 'open', 'halfOpen'] as const;
new Gauge({
  name: 'ssod_delegated_source_circuit',
  help: "Each delegated source's circuit breaker: 1 for the state it is in (closed, open, halfOpen); with --workers, how many workers see it so. Sign-ins that failed at a source are ssod_signins_total's source* results.",
  labelNames: ['source', 'state'],
  collect() {
    this.reset();
    for (const health of source?.sources.health() ?? []) {
      for (const state of CIRCUIT_STATES) this.set({ source: health.name, state }, health.circuit === state ? 1 : 0);
    }
  },
});
new Gauge({
  name: 'ssod_info',
  help: 'Always 1; the labels say which ssod and which store engine.',
  labelNames: ['version', 'store'],
  aggregator: 'first',
  collect() {
    this.reset();
    if (source !== null) this.set({ version: packageVersion(), store: source.store.engine }, 1);
  },
});

new Gauge({
  name: 'ssod_start_time_seconds',
  help: 'When the server process started, in Unix seconds (with --workers, the oldest worker): uptime is time() minus this.',
  aggregator: 'min',
}).set(Math.round(Date.now() / 1000 - process.uptime()));

// The tallies and series of each label set, kept: counting a request is a map lookup and an increment.
const soapTallies = new Map<string, { readonly duration: Series; readonly outcomes: Map<string, Tally> }>();

export function countSoapRequest(operation: string, outcome: string, seconds: number): void {
  let kept = soapTallies.get(operation);
  if (kept === undefined) {
    kept = { duration: soapDuration.series(operation), outcomes: new Map() };
    soapTallies.set(operation, kept);
  }
  let tally = kept.outcomes.get(outcome);
  if (tally === undefined) {
    tally = soapRequests.tally(operation, outcome);
    kept.outcomes.set(outcome, tally);
  }
  tally.n += 1;
  soapDuration.observe(kept.duration, seconds);
}

export function countRelayRequest(command: string, outcome: string): void {
  relayRequests.tally(command, outcome).n += 1;
}

export function timeRelayRequest(seconds: number): void {
  relayDuration.observe(relaySeries, seconds);
}

function childOf(children: Map<string, Counter.Internal>, key: string, make: () => Counter.Internal): Counter.Internal {
  let child = children.get(key);
  if (child === undefined) {
    child = make();
    children.set(key, child);
  }
  return child;
}

/** The last hour of sign-ins and live sessions in this process, per minute (the console's overview). */
const signInMinutes = { succeeded: new MinuteCounts(), failed: new MinuteCounts() };
const liveSessionMinutes = new MinuteSamples();

export interface RecentActivity {
  /** Per minute, the oldest first, the last being the current minute. */
  readonly signIns: readonly number[];
  readonly failures: readonly number[];
  /** Live sessions at the last sample of each minute; null where none was taken. */
  readonly liveSessions: readonly (number | null)[];
}

/** The last hour of this process's counters, minute by minute. */
export function recentActivity(now: number): RecentActivity {
  return {
    signIns: signInMinutes.succeeded.lastHour(now),
    failures: signInMinutes.failed.lastHour(now),
    liveSessions: liveSessionMinutes.lastHour(now),
  };
}

/** Takes this minute's sample of live sessions (the same count as the ssod_sessions_live gauge). */
export async function sampleLiveSessions(services: Pick<Services, 'store' | 'settings' | 'now'>): Promise<void> {
  const now = services.now();
  const count = await countLiveSessions(services, now);
  liveSessions = { at: now, count };
  liveSessionMinutes.set(now, count);
}

const signinChildren = new Map<string, Counter.Internal>();
const lockChildren = new Map<string, Counter.Internal>();

function countAudit(entry: AuditEntry): void {
  if (entry.type === 'authentication.succeeded') {
    childOf(signinChildren, 'success', () => signins.labels('success')).inc();
    signInMinutes.succeeded.add(Date.now());
  } else if (entry.type === 'authentication.failed') {
    const result = entry.outcome ?? 'failed';
    childOf(signinChildren, result, () => signins.labels(result)).inc();
    signInMinutes.failed.add(Date.now());
  } else if (entry.type === 'lock.set') {
    const kind = entry.target.split(':', 1)[0] ?? 'other';
    childOf(lockChildren, kind, () => locks.labels(kind)).inc();
  }
}

/**
 * Wraps every method of the store so that its time is observed, per method. Only when the metrics
 * listener is on: the wrapper costs a promise per store call.
 */
function timedStore(store: Store): Store {
  const timed: Record<string, unknown> = { engine: store.engine };
  let prototype: object | null = Object.getPrototypeOf(store) as object | null;
  const names = new Set<string>();
  while (prototype !== null && prototype !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(prototype)) if (name !== 'constructor') names.add(name);
    prototype = Object.getPrototypeOf(prototype) as object | null;
  }
  for (const name of names) {
    const method = (store as unknown as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    const series = storeDuration.series(name);
    timed[name] = (...args: unknown[]): unknown => {
      const started = performance.now();
      const result: unknown = Reflect.apply(method, store, args);
      if (!(result instanceof Promise)) return result;
      return result.finally(() => storeDuration.observe(series, (performance.now() - started) / 1000));
    };
  }
  return timed as unknown as Store;
}

/**
 * Starts counting for this server: sign-ins and locks from the audit events, the gauges from its
 * store. Returns the services to serve with (the store timed when the metrics listener is on).
 */
export function observeServer(services: Services): Services {
  observeAudit(countAudit);
  const observed = services.options.metricsPort === 0 ? services : { ...services, store: timedStore(services.store) };
  source = observed;
  liveSessions = { at: -Infinity, count: 0 };
  return observed;
}

export function stopObserving(services: Services): void {
  if (source?.store !== services.store) return;
  source = null;
  observeAudit(null);
}

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The /metrics listener (plain HTTP on --metrics-bind). In the primary of `ssod serve --workers N`
 * it answers with every worker's metrics aggregated; otherwise with this process's.
 */
export function listenForMetrics(options: Options, log: Logger): Promise<MetricsListener> {
  const aggregator = cluster.isPrimary && options.workers > 1 ? new AggregatorRegistry() : null;
  const server = http.createServer(
    { headersTimeout: options.headersTimeout * 1000, requestTimeout: options.requestTimeout * 1000 },
    (req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?', 1)[0] !== '/metrics') {
        sendText(res, 404, 'Not found: GET /metrics.\n');
        return;
      }
      (aggregator === null ? register.metrics() : aggregator.clusterMetrics()).then(
        (text) => {
          res.writeHead(200, {
            'Content-Type': register.contentType,
            'Content-Length': Buffer.byteLength(text),
            'Cache-Control': 'no-store',
          });
          res.end(text);
        },
        (error: unknown) => {
          log.error('metrics failed', { error: error instanceof Error ? error.message : String(error) });
          sendText(res, 500, 'Metrics unavailable.\n');
        },
      );
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.metricsPort, options.metricsBind, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      log.info('metrics listening', {
        url: `http://${options.metricsBind.includes(':') ? `[${options.metricsBind}]` : options.metricsBind}:${port}/metrics`,
      });
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
