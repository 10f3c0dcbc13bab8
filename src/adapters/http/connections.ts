// How many connections a listener holds, and from whom: at most --max-connections in all and at
// most --max-connections-per-source from one client address (an IPv6 /64), so that one address
// cannot hold every slot and lock the other clients out until its connections time out
// (docs/SECURITY.md, case F40). A connection over either limit is closed at once, before its TLS
// handshake; the refusals are logged with their count, at most once a minute per listener.
import type { Server, Socket } from 'node:net';
import type { Options } from '../../config/options.js';
import { sourceAddress } from '../../core/throttle.js';
import type { Logger } from '../../infra/log.js';

const REFUSALS_LOG_MS = 60_000;
// Sources named in one log line; the count covers them all.
const SOURCES_LOGGED = 5;

/** The per-source limit in force: the option, or when it is 0 a quarter of --max-connections. */
export function connectionsPerSource(options: Pick<Options, 'maxConnections' | 'maxConnectionsPerSource'>): number {
  return options.maxConnectionsPerSource > 0 ? options.maxConnectionsPerSource : Math.max(1, Math.floor(options.maxConnections / 4));
}

/** Counts refused connections and logs them at a bounded rate: the first at once, the rest in one line a minute. */
function refusalLog(log: Logger, listener: string): (source: string, reason: string) => void {
  let refused = new Map<string, number>();
  let sources = new Set<string>();
  let quietUntil = 0;
  let pending: NodeJS.Timeout | null = null;
  const flush = (): void => {
    pending = null;
    if (refused.size === 0) return;
    quietUntil = Date.now() + REFUSALS_LOG_MS;
    log.warn('connections refused', {
      listener,
      ...Object.fromEntries(refused),
      sources: [...sources].join(' '),
      forSeconds: REFUSALS_LOG_MS / 1000,
    });
    refused = new Map();
    sources = new Set();
  };
  return (source, reason) => {
    refused.set(reason, (refused.get(reason) ?? 0) + 1);
    if (sources.size < SOURCES_LOGGED) sources.add(source);
    if (pending !== null) return;
    const wait = quietUntil - Date.now();
    if (wait <= 0) flush();
    else pending = setTimeout(flush, wait).unref();
  };
}

/** Applies both connection limits to a listener (before any other 'connection' listener runs). */
export function limitConnections(server: Server, options: Options, listener: string, log: Logger): void {
  server.maxConnections = options.maxConnections;
  const cap = connectionsPerSource(options);
  const open = new Map<string, number>();
  const refuse = refusalLog(log, listener);
  // Past maxConnections net.Server closes the connection itself and says so here.
  server.on('drop', (data?: { remoteAddress?: string }) => refuse(sourceAddress(data?.remoteAddress ?? ''), 'listenerFull'));
  server.prependListener('connection', (socket: Socket) => {
    const source = sourceAddress(socket.remoteAddress ?? '');
    const held = open.get(source) ?? 0;
    if (held >= cap) {
      socket.destroy();
      refuse(source, 'sourceFull');
      return;
    }
    open.set(source, held + 1);
    socket.once('close', () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left === 0) open.delete(source);
      else open.set(source, left);
    });
  });
}
