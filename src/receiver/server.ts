// The HTTPS server of `ssod receiver`: the SDK's TicketReceiver for one domain, its state in SQLite,
// and in front of an upstream web server the reverse proxy that passes the user on.
import { mkdirSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sqliteReceiverState, TicketReceiver, type ReceiverLog, type TicketUser } from '../client/index.js';
import { OptionError } from '../config/options.js';
import { proxy } from './proxy.js';

export interface ReceiverSettings {
  readonly name: string;
  readonly domain: string;
  readonly ssodUrl: string;
  readonly publicOrigin: string;
  readonly keysUrl: string | null;
  readonly caPem: string | null;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly bind: string;
  readonly port: number;
  readonly stateDir: string;
  readonly upstream: URL | null;
  readonly allowNext: readonly string[];
  readonly requireUser: boolean;
}

export interface RunningReceiver {
  readonly port: number;
  /** Stops taking connections, lets the open requests finish (at most 5 s), then closes the state. */
  stop(): Promise<void>;
}

const UPSTREAM_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const DRAIN_MS = 5000;

/** One line per event on stderr, as the rest of ssod logs. */
export const stderrLog: ReceiverLog = {
  info: (message) => process.stderr.write(`${new Date().toISOString()} info ssod receiver: ${message}\n`),
  warn: (message) => process.stderr.write(`${new Date().toISOString()} warn ssod receiver: ${message}\n`),
};

export async function startReceiver(settings: ReceiverSettings, log: ReceiverLog = stderrLog): Promise<RunningReceiver> {
  mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 });
  const state = await sqliteReceiverState(path.join(settings.stateDir, 'receiver.db'));
  let receiver: TicketReceiver;
  try {
    receiver = new TicketReceiver({
      issuer: settings.ssodUrl,
      domain: settings.domain,
      name: settings.name,
      publicOrigin: settings.publicOrigin,
      ...(settings.keysUrl === null ? {} : { keysUrl: settings.keysUrl }),
      ...(settings.caPem === null ? {} : { ca: settings.caPem }),
      allowedNextOrigins: settings.allowNext,
      state,
      log,
    });
  } catch (error) {
    await state.close();
    // The SDK refuses a bad setting with a TypeError that says which and why.
    if (error instanceof TypeError) throw new OptionError(`${error.message}; run \`ssod receiver --help\` for its settings`);
    throw error;
  }
  const server = https.createServer(
    { key: settings.tlsKey, cert: settings.tlsCert, requestTimeout: UPSTREAM_TIMEOUT_MS, headersTimeout: 10_000 },
    (req, res) => {
      serve(receiver, settings, req, res).catch((error: unknown) => {
        log.warn(`a request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.bind, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log.info(`listening on https://${settings.bind}:${port} for ${settings.domain} (receiver ${settings.name})`);
  return {
    port,
    stop: async () => {
      server.closeIdleConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const drain = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
      await closed;
      clearTimeout(drain);
      await receiver.close();
    },
  };
}

async function serve(
  receiver: TicketReceiver,
  settings: ReceiverSettings,
  req: Parameters<TicketReceiver['handle']>[0],
  res: Parameters<TicketReceiver['handle']>[1],
): Promise<void> {
  if (await receiver.handle(req, res)) return;
  if (settings.upstream === null) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('not found: this receiver has no upstream (--upstream)\n');
    return;
  }
  const user: TicketUser | null = settings.requireUser ? await receiver.requireUser(req, res) : await receiver.optionalUser(req, res);
  if (res.headersSent) return; // asked ssod for a ticket, or refused
  proxy(req, res, user, {
    upstream: settings.upstream,
    maxBodyBytes: MAX_BODY_BYTES,
    timeoutMs: UPSTREAM_TIMEOUT_MS,
    cookieNames: [receiver.cookieName, `${receiver.cookieName}_ASKED`],
  });
}
