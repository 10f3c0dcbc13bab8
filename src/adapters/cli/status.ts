// `ssod status`: what the installation is doing, for a person (README "Monitoring"): live sessions,
// sign-ins and failures in the last minute, locks, the store and whether it takes writes, the
// delegated sources (with their circuits as the server sees them when its metrics are read), and, when
// the running server's metrics endpoint is known (--metrics-port, as `ssod serve` was given it), its
// version and uptime. Counts come from the store, so they are the whole service's, whatever node
// or worker served them.
import type { Command } from 'commander';
import { resolveOptions } from '../../config/options.js';
import { listSourcesWithUsers } from '../../core/operator/sources.js';
import { storeStatus } from '../../core/operator/status.js';
import { storeLocation } from '../../infra/store/location.js';
import { packageVersion } from '../../infra/version.js';
import { action, addOptionFlags, fields, print, storeCommand, type StoreFlags } from './common.js';
import { withServices, type InstallationAccess } from './installation.js';

const METRICS_TIMEOUT_MS = 3000;

interface StatusFlags extends StoreFlags {
  readonly metricsPort?: string;
  readonly metricsBind?: string;
}

interface ServerStatus {
  /** The metrics URL read, or null when none is configured. */
  readonly metrics: string | null;
  readonly reachable: boolean;
  readonly version: string | null;
  readonly uptimeSeconds: number | null;
  /** The circuit of each delegated source as the server sees it (the metric ssod_delegated_source_circuit), by name. */
  readonly circuits: Readonly<Record<string, string>>;
  readonly error?: string;
}

/** A delegated source: from the store, with the running server's circuit when its metrics were read. */
interface SourceStatus {
  readonly name: string;
  readonly kind: string;
  readonly users: number;
  readonly usable: boolean;
  /** closed, open or halfOpen (with --workers, the worst any worker sees); null when the server's metrics are not read. */
  readonly circuit: string | null;
}

interface Status {
  readonly version: string;
  readonly store: {
    readonly kind: 'sqlite' | 'postgres';
    readonly path: string | null;
    readonly ready: boolean;
    readonly writable: boolean;
  };
  readonly sessions: { readonly live: number };
  readonly signIns: { readonly lastMinute: number; readonly failedLastMinute: number; readonly atLeast: boolean };
  readonly locks: { readonly logins: number; readonly sources: number };
  readonly delegatedSources: readonly SourceStatus[];
  readonly server: ServerStatus;
}

/** The value of the first sample of `name` in Prometheus text (labels ignored), or null. */
function sample(text: string, name: string): { labels: string; value: number } | null {
  const match = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
  return match === null ? null : { labels: match[1] ?? '', value: Number(match[2]) };
}

async function serverStatus(flags: StatusFlags, now: number): Promise<ServerStatus> {
  const options = resolveOptions({
    flags: { metricsPort: flags.metricsPort, metricsBind: flags.metricsBind },
    env: process.env,
    configFile: flags.config ?? process.env.SSOD_CONFIG,
  });
  if (options.metricsPort === 0) return { metrics: null, reachable: false, version: null, uptimeSeconds: null, circuits: {} };
  const host = options.metricsBind === '0.0.0.0' ? '127.0.0.1' : options.metricsBind === '::' ? '::1' : options.metricsBind;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${options.metricsPort}/metrics`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    const started = sample(text, 'ssod_start_time_seconds');
    const info = sample(text, 'ssod_info');
    return {
      metrics: url,
      reachable: true,
      version: /version="([^"]*)"/.exec(info?.labels ?? '')?.[1] ?? null,
      uptimeSeconds: started === null ? null : Math.max(0, Math.round(now / 1000 - started.value)),
      circuits: circuitsOf(text),
    };
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { metrics: url, reachable: false, version: null, uptimeSeconds: null, circuits: {}, error: reason };
  }
}

/** The worse state first: a circuit that any worker sees open is reported open. */
const CIRCUIT_ORDER = ['open', 'halfOpen', 'closed'];

/** The circuit of each source from the samples of ssod_delegated_source_circuit (a state whose value is above 0). */
function circuitsOf(text: string): Record<string, string> {
  const circuits: Record<string, string> = {};
  for (const match of text.matchAll(/^ssod_delegated_source_circuit\{([^}]*)\} (\S+)$/gm)) {
    const labels = match[1] ?? '';
    const name = /source="((?:[^"\\]|\\.)*)"/.exec(labels)?.[1];
    const state = /state="([a-zA-Z]+)"/.exec(labels)?.[1];
    if (name === undefined || state === undefined || !(Number(match[2]) > 0)) continue;
    const known = circuits[name];
    if (known === undefined || CIRCUIT_ORDER.indexOf(state) < CIRCUIT_ORDER.indexOf(known)) circuits[name] = state;
  }
  return circuits;
}

async function status(access: InstallationAccess, flags: StatusFlags): Promise<void> {
  await withServices(access, flags, async (services, options) => {
    const now = services.now();
    const location = storeLocation(options.store, options.dataDir);
    const [figures, server, sources] = await Promise.all([
      storeStatus(services, now),
      serverStatus(flags, now),
      listSourcesWithUsers(services),
    ]);
    const result: Status = {
      version: packageVersion(),
      store: {
        kind: location.engine,
        path: location.engine === 'sqlite' ? location.path : null,
        ready: figures.ready,
        writable: figures.writable,
      },
      sessions: { live: figures.liveSessions },
      signIns: figures.signIns,
      locks: figures.locks,
      delegatedSources: sources.map(({ source, users }) => ({
        name: source.name,
        kind: source.kind,
        users,
        usable: source.settings !== null,
        circuit: server.reachable ? (server.circuits[source.name] ?? 'closed') : null,
      })),
      server,
    };
    print(flags, result, humanStatus);
    // Like `systemctl status`: a script can tell a store that does not take writes.
    if (!figures.writable) process.exitCode = 1;
  });
}

function humanStatus(status: Status): string {
  const at = status.signIns.atLeast ? 'at least ' : '';
  const store = `${status.store.kind}${status.store.path === null ? '' : ` ${status.store.path}`}, ${
    !status.store.ready
      ? 'NOT ANSWERING'
      : status.store.writable
        ? 'ready (reads and writes)'
        : 'NOT WRITABLE: check the disk space and permissions of its directory'
  }`;
  const server = status.server;
  const running =
    server.metrics === null
      ? 'not known (give --metrics-port as `ssod serve` has it to read its metrics)'
      : server.reachable
        ? `running ${server.version ?? '?'}, up ${formatDuration(server.uptimeSeconds)} (${server.metrics})`
        : `no answer at ${server.metrics}${server.error === undefined ? '' : `: ${server.error}`}`;
  return fields([
    ['ssod', status.version],
    ['server', running],
    ['store', store],
    ['live sessions', status.sessions.live],
    ['sign-ins/min', `${at}${status.signIns.lastMinute} (${status.signIns.failedLastMinute} failed)`],
    ['locks', `${status.locks.logins} login(s), ${status.locks.sources} source(s) locked now`],
    ['sso sources', status.delegatedSources.length === 0 ? 'none' : status.delegatedSources.map(sourceWords).join('; ')],
  ]);
}

const CIRCUIT_WORDS: Readonly<Record<string, string>> = { closed: 'circuit closed', open: 'CIRCUIT OPEN', halfOpen: 'circuit half open' };

function sourceWords(source: SourceStatus): string {
  const state = !source.usable
    ? 'UNUSABLE (see `ssod sources show`)'
    : source.circuit === null
      ? null
      : (CIRCUIT_WORDS[source.circuit] ?? source.circuit);
  return `${source.name} (${source.kind}, ${source.users} user(s)${state === null ? '' : `, ${state}`})`;
}

function formatDuration(seconds: number | null): string {
  if (seconds === null) return '?';
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m ${seconds % 60}s`;
}

export function statusCommand(access: InstallationAccess): Command {
  const command = storeCommand(
    'status',
    'What the installation is doing: live sessions, sign-ins per minute, locks, the store, and the running server.',
  );
  addOptionFlags(command, ['metricsPort', 'metricsBind']);
  return command
    .addHelpText(
      'after',
      '\nThe counts come from the store (the whole service). The server line needs the metrics endpoint of the running\n' +
        'server: the same --metrics-port (or SSOD_METRICS_PORT, or the config file) as `ssod serve`. Exit status 1 when the\n' +
        'store does not take writes.\n\nExamples:\n  ssod status --data-dir /var/lib/ssod\n  ssod status --config /etc/ssod/config.json --json\n',
    )
    .action(action((flags: StatusFlags) => status(access, flags)));
}
