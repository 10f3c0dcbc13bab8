// Starting and stopping ssod: the store, the CA, the SOAP listener (HTTPS with client
// certificates) and the relay listener (HTTP), with graceful shutdown.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Options } from '../config/options.js';
import { CertificateAuthority } from '../domain/ca.js';
import { createPasswordHasher } from '../domain/passwords.js';
import type { Services } from '../domain/services.js';
import { createLogger, type Logger } from '../log.js';
import { relayEndpointUrl } from '../operations/getSettings.js';
import { OPERATIONS } from '../operations/index.js';
import { handleRelay } from '../relay/relay.js';
import { generateWsdl } from '../soap/wsdl.js';
import { openSqliteStore } from '../store/sqlite.js';
import { sendText } from './http.js';
import { handleSoap } from './soap.js';

// TLS 1.2 and 1.3 only; for 1.2 only forward-secret AEAD suites for the ECDSA server key.
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
].join(':');

const PURGE_INTERVAL_MS = 60_000;
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly services: Services;
  readonly soapPort: number;
  readonly relayPort: number;
  /** Stops accepting, lets in-flight requests finish (bounded), closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go; stdout by default. */
  readonly logger?: Logger;
  /** Replaces the clock (tests of expiry). */
  readonly now?: () => number;
}

export async function openServices(options: Options, start: StartOptions = {}): Promise<Services> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const log = start.logger ?? createLogger(options.logLevel);
  const store = await openSqliteStore(path.join(options.dataDir, 'ssod.db'));
  const ca = await CertificateAuthority.open(options.dataDir, options.hostname);
  const passwords = createPasswordHasher({ memoryKib: options.argon2MemoryKib, iterations: options.argon2Iterations });
  return { options, store, ca, passwords, log, now: start.now ?? Date.now };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeGracefully(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Runs a handler, turning an unexpected rejection into a 500 that shows nothing (never a crash). */
function guarded(log: Logger, handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): http.RequestListener {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      log.error('request failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      if (!res.headersSent) sendText(res, 500, 'Internal error.\n');
      else res.destroy();
    });
  };
}

function hardenTimeouts(server: http.Server): void {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;
  server.maxHeadersCount = 64;
}

export async function startServer(options: Options, start: StartOptions = {}): Promise<RunningServer> {
  // Replaced once the listeners are bound when a port was 0 (tests), so that getSettings and the
  // WSDL name the real ports.
  let services = await openServices(options, start);
  const endpoint = (port: number): string => `https://${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${port}/soap`;
  let wsdl = '';

  const soapServer = https.createServer(
    {
      ...services.ca.serverCredentials(),
      ca: [services.ca.certificatePem],
      requestCert: true,
      rejectUnauthorized: false, // a guest presents no certificate (003 §4.2); callers.ts decides
      minVersion: 'TLSv1.2',
      ciphers: CIPHERS,
      honorCipherOrder: true,
    },
    guarded(services.log, async (req, res) => {
      const route = req.url ?? '';
      if (req.method === 'POST' && route === '/soap') return handleSoap(services, req, res);
      if (req.method === 'GET' && (route === '/soap?wsdl' || route === '/soap?WSDL')) {
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(wsdl) });
        res.end(wsdl);
        return;
      }
      if (req.method === 'GET' && route === '/ca.pem') {
        res.writeHead(200, { 'Content-Type': 'application/x-pem-file', 'Content-Length': Buffer.byteLength(services.ca.certificatePem) });
        res.end(services.ca.certificatePem);
        return;
      }
      if (req.method === 'GET' && route === '/healthz') return health(services, res);
      sendText(res, route === '/soap' ? 405 : 404, route === '/soap' ? 'POST a SOAP envelope to /soap; GET /soap?wsdl for the WSDL.\n' : 'Not found.\n');
    }),
  );
  const relayServer = http.createServer(
    guarded(services.log, async (req, res) => {
      const route = (req.url ?? '').split('?', 1)[0];
      if (req.method === 'GET' && route === '/relay') return handleRelay(services, req, res, false);
      if (req.method === 'GET' && route === '/healthz') return health(services, res);
      sendText(res, 404, 'Not found.\n');
    }),
  );
  hardenTimeouts(soapServer);
  hardenTimeouts(relayServer);

  const soapPort = await listen(soapServer, options.soapPort, options.bind);
  wsdl = generateWsdl(OPERATIONS, endpoint(soapPort));
  const relayPort = await listen(relayServer, options.relayPort, options.bind);
  if (soapPort !== options.soapPort || relayPort !== options.relayPort) {
    services = { ...services, options: Object.freeze({ ...options, soapPort, relayPort }) };
  }

  const purge = setInterval(() => {
    const now = services.now();
    services.store
      .purgeExpiredSessions(now, now - options.sessionTimeout * 1000)
      .catch((error: unknown) => services.log.error('session purge failed', { error: String(error) }));
  }, PURGE_INTERVAL_MS);
  purge.unref();

  services.log.info('ssod started', { soap: endpoint(soapPort), relay: relayEndpointUrl(services.options), dataDir: options.dataDir });
  let closing: Promise<void> | null = null;
  const running = services;
  return {
    services: running,
    soapPort,
    relayPort,
    close() {
      closing ??= (async () => {
        clearInterval(purge);
        await Promise.all([closeGracefully(soapServer), closeGracefully(relayServer)]);
        await services.store.close();
        services.log.info('ssod stopped');
      })();
      return closing;
    },
  };
}

async function health(services: Services, res: http.ServerResponse): Promise<void> {
  try {
    await services.store.ping();
    sendText(res, 200, 'ok\n');
  } catch {
    sendText(res, 503, 'store not ready\n');
  }
}
