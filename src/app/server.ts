// Starting and stopping ssod: the services (compose.ts), the SOAP listener (HTTPS with client
// certificates), the relay listener (HTTP) and, when --admin-port is given, the admin console's
// listener (HTTPS), with graceful shutdown.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Options } from '../config/options.js';
import { OutboxDispatcher, trimOutbox } from '../core/outbox.js';
import { auditTrail, trimAudit } from '../core/audit.js';
import { soapHost } from '../core/mode.js';
import type { Services } from '../core/services.js';
import { sessionCutoff } from '../core/sessions.js';
import { purgeThrottles } from '../core/throttle.js';
import type { Logger } from '../infra/log.js';
import { SETTINGS_REFRESH_MS } from '../core/liveSettings.js';
import { openAdminKit, openServices, type StartOptions } from './compose.js';
import { handleConsole } from '../adapters/console/console.js';
import { purgeAdminSessions } from '../core/adminConsole.js';
import { relayEndpointUrl, urlHost } from '../adapters/soap/operations/getSettings.js';
import { handleRelay } from '../adapters/relay/relay.js';
import { handleTickets, NEXT_PATH, TICKET_PATH } from '../adapters/relay/tickets.js';
import { endsSessions, TicketLogout } from '../core/ticketLogout.js';
import { createLogoutSender } from '../infra/tickets/logoutSender.js';
import { SessionStartCatchUp } from '../core/sessionStart.js';
import { setInitialVariables } from '../core/sessionVariables.js';
import { createSessionStartCaller } from '../infra/tickets/sessionStartCaller.js';
import { handlePassThrough, PASS_THROUGH_PATH } from '../adapters/relay/passThrough.js';
import { handleSignIn } from '../adapters/relay/signIn.js';
import { handleSaml, SAML_ACS_PATH, SAML_LOGIN_PATH, SAML_METADATA_PATH } from '../adapters/relay/saml.js';
import { nodeSamlLibrary, samlSigningOf } from '../infra/saml/serviceProvider.js';
import { handleSignedIn, handleSignInFailed } from '../adapters/relay/outcomes.js';
import { SIGN_IN_FAILED_PATH, SIGN_IN_PATH, SIGNED_IN_PATH } from '../adapters/relay/paths.js';
import { limitConnections } from '../adapters/http/connections.js';
import { logUnexpected } from '../adapters/http/failures.js';
import { followSettings, soapListenAddress } from './follow.js';
import { healthRoutes, sendText } from '../adapters/http/http.js';
import { listenForMetrics, observeServer, sampleLiveSessions, stopObserving, type MetricsListener } from '../adapters/http/metrics.js';
import { handleSoap, wsdlServer } from '../adapters/soap/endpoint.js';
import { sendTicketKeys, TICKET_KEYS_PATH } from '../adapters/http/ticketKeys.js';

// TLS 1.2 and 1.3 only; for 1.2 only forward-secret AEAD suites for the ECDSA server key.
// Exported for the bench ceiling (bench/ceiling.ts), which must negotiate exactly what ssod does.
export const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
].join(':');

// The TLS settings of both listeners (the relay's when --relay-tls is on).
const TLS_OPTIONS = { minVersion: 'TLSv1.2', ciphers: CIPHERS, honorCipherOrder: true } as const;

const PURGE_INTERVAL_MS = 60_000;
// How often idle and slow connections are checked against the header and request timeouts.
const CONNECTIONS_CHECK_MS = 1000;

export interface RunningServer {
  readonly services: Services;
  readonly soapPort: number;
  readonly relayPort: number;
  /** The port of the /metrics listener; null when --metrics-port is 0 (or a cluster primary serves it). */
  readonly metricsPort: number | null;
  /** The port of the admin console; null when --admin-port is 0. */
  readonly adminPort: number | null;
  /** Stops accepting, lets in-flight requests finish (bounded), closes the store. */
  close(): Promise<void>;
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

function closeGracefully(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Runs a handler, turning an unexpected rejection into a 500 that shows nothing (never a crash). */
function guarded(
  services: Services,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): http.RequestListener {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      logUnexpected(services, 'request failed', error);
      if (!res.headersSent) sendText(res, 500, 'Internal error.\n');
      else res.destroy();
    });
  };
}

/**
 * What bounds slow and idle clients (slowloris): the headers and the whole request each within a
 * time, checked every second; hardenLimits adds the limits on open connections.
 */
function limits(options: Options): http.ServerOptions {
  return {
    headersTimeout: options.headersTimeout * 1000,
    requestTimeout: options.requestTimeout * 1000,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
}

/** limits() and what a TLS listener adds: a client that never finishes its handshake is dropped as one that never sends headers. */
function tlsLimits(options: Options): https.ServerOptions {
  return { ...TLS_OPTIONS, ...limits(options), handshakeTimeout: options.headersTimeout * 1000 };
}

function hardenLimits(server: http.Server, options: Options, listener: string, log: Logger): void {
  server.keepAliveTimeout = 30_000;
  server.maxHeadersCount = 64;
  limitConnections(server, options, listener, log);
  // Node's TLS server allows a client 3 renegotiations in 10 minutes; ssod allows none (docs/SECURITY.md,
  // case F47): a renegotiation attempt is a TLS error, and the connection is closed. TLS 1.3 has none.
  if (server instanceof https.Server) server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
}

/** Whether `address` is a loopback address (or `localhost`): only this machine reaches a listener there. */
function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/** The admin console's own certificate and key (--admin-cert-file, --admin-key-file), or null to serve the server certificate. */
function adminCredentials(options: Options): { readonly cert: string; readonly key: string } | null {
  if ((options.adminCertFile === '') !== (options.adminKeyFile === '')) {
    throw new Error(
      "--admin-cert-file and --admin-key-file go together; give both, or neither to serve the server certificate of ssod's CA",
    );
  }
  if (options.adminCertFile === '') return null;
  const read = (file: string, flag: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `cannot read ${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path and that the user that runs ssod may read it`,
      );
    }
  };
  return { cert: read(options.adminCertFile, '--admin-cert-file'), key: read(options.adminKeyFile, '--admin-key-file') };
}

/**
 * The admin console's listener (docs/admin-console.md): HTTPS with the SOAP listener's TLS settings
 * and limits, the operator's certificate or the server certificate; null when --admin-port is 0.
 */
async function startConsole(
  options: Options,
  own: { readonly cert: string; readonly key: string } | null,
  current: () => Services,
  relayTlsContext: () => SecureContextOptions,
): Promise<{ server: https.Server; port: number; follow: () => void } | null> {
  if (options.adminPort === 0) return null;
  const services = current();
  const context = (): SecureContextOptions => (own === null ? relayTlsContext() : { ...own, ...TLS_OPTIONS });
  const kit = await openAdminKit(options, services.store);
  const server = https.createServer(
    { ...context(), ...tlsLimits(options) },
    guarded(services, (req, res) => handleConsole({ services: current, kit }, req, res)),
  );
  hardenLimits(server, options, 'admin', services.log);
  if (!isLoopback(options.adminBind)) {
    services.log.warn(
      'the admin console listens on a non-loopback address: it is reachable from the network; prefer 127.0.0.1 and an SSH tunnel',
      {
        adminBind: options.adminBind,
      },
    );
  }
  const port = await listen(server, options.adminPort, options.adminBind);
  const follow = (): void => {
    if (own === null) server.setSecureContext(context());
  };
  return { server, port, follow };
}

/** The CA certificate, which whoever calls the SOAP API must trust. */
function sendCaPem(services: Services, res: http.ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/x-pem-file', 'Content-Length': Buffer.byteLength(services.ca.certificatePem) });
  res.end(services.ca.certificatePem);
}

export async function startServer(options: Options, start: StartOptions = {}): Promise<RunningServer> {
  // Read before anything is opened: a wrong pair of files stops the start with nothing left running.
  const adminOwnCredentials = options.adminPort === 0 ? null : adminCredentials(options);
  // Replaced once the listeners are bound when a port was 0 (tests), so that getSettings and the
  // WSDL name the real ports.
  let services = observeServer(await openServices(options, start));
  const health = healthRoutes(services.store, () => services.sources.health());
  const endpoint = (port: number): string => `https://${urlHost(soapHost(services.settings.current()))}:${port}/soap`;
  const wsdlOf = wsdlServer(() => endpoint(soapPort));

  // Also the contexts that replace the certificate when the host name changes (follow.ts).
  const relayTlsContext = (): SecureContextOptions => ({ ...services.ca.serverCredentials(), ...TLS_OPTIONS });
  const tlsContext = (): SecureContextOptions => ({ ...relayTlsContext(), ca: [services.ca.certificatePem] });
  const soapServer = https.createServer(
    {
      ...tlsContext(),
      ...tlsLimits(options),
      requestCert: true,
      rejectUnauthorized: false, // a guest presents no certificate (protocol §4.2); callers.ts decides
    },
    guarded(services, async (req, res) => {
      const route = req.url ?? '';
      if (req.method === 'POST' && route === '/soap') return handleSoap(services, req, res);
      const wsdl = req.method === 'GET' ? wsdlOf(route) : null;
      if (wsdl !== null) {
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(wsdl) });
        res.end(wsdl);
        return;
      }
      if (req.method === 'GET' && route === '/ca.pem') {
        sendCaPem(services, res);
        return;
      }
      // The key set that receivers verify tickets with (docs/tickets.md): over HTTPS with ssod's CA here.
      if (req.method === 'GET' && route.split('?', 1)[0] === TICKET_KEYS_PATH) return sendTicketKeys(services, res);
      if (req.method === 'GET' && health(route, res)) return;
      sendText(
        res,
        route === '/soap' ? 405 : 404,
        route === '/soap' ? 'POST a SOAP envelope to /soap; GET /soap?wsdl for the WSDL.\n' : 'Not found.\n',
      );
    }),
  );
  const relayTls = options.relayTls === 'on';
  const samlLibrary = nodeSamlLibrary(samlSigningOf(options));
  const relayHandler = guarded(services, async (req, res) => {
    const route = (req.url ?? '').split('?', 1)[0] ?? '';
    // POST answers the relay's own question before a switch to another user (docs/SECURITY.md, case F48).
    if ((req.method === 'GET' || req.method === 'POST') && route === '/relay') return handleRelay(services, req, res, relayTls);
    // Logon tickets (docs/tickets.md): the way through the receivers, and a receiver asking for a ticket.
    if (req.method === 'GET' && (route === NEXT_PATH || route === TICKET_PATH)) return handleTickets(services, req, res, relayTls, route);
    // Pass-through authentication from an organization's portal (docs/federation/pass-through.md).
    if (req.method === 'POST' && route === PASS_THROUGH_PATH) return handlePassThrough(services, req, res, relayTls);
    // ssod's own pages (docs/sign-in-page.md): its sign-in form, and where a pass-through sign-in ends.
    const page = req.method === 'GET' || req.method === 'HEAD';
    if ((page || req.method === 'POST') && route === SIGN_IN_PATH) return handleSignIn(services, req, res, relayTls);
    if (page && route === SIGNED_IN_PATH) return handleSignedIn(services, req, res);
    if (page && route === SIGN_IN_FAILED_PATH) return handleSignInFailed(services, req, res);
    // The SAML service provider (docs/federation/saml.md): metadata, SP-initiated sign-in, the assertion consumer.
    if (
      (req.method === 'GET' && (route === SAML_METADATA_PATH || route === SAML_LOGIN_PATH)) ||
      (req.method === 'POST' && route === SAML_ACS_PATH)
    ) {
      return handleSaml(services, samlLibrary, req, res, relayTls, route);
    }
    // Public data, and here it needs no trust first: check it with the fingerprint `ssod ca` prints.
    if (req.method === 'GET' && route === '/ca.pem') {
      sendCaPem(services, res);
      return;
    }
    if (req.method === 'GET' && route === TICKET_KEYS_PATH) return sendTicketKeys(services, res);
    if (req.method === 'GET' && health(route, res)) return;
    sendText(res, 404, 'Not found.\n');
  });
  // protocol §2.1 serves the relay over HTTP; with --relay-tls on it is HTTPS with the server
  // certificate, and the cookie is Secure (docs/DECISIONS.md "Sessions and the relay").
  const relayServer = relayTls
    ? https.createServer({ ...relayTlsContext(), ...tlsLimits(options) }, relayHandler)
    : http.createServer(limits(options), relayHandler);
  hardenLimits(soapServer, options, 'soap', services.log);
  hardenLimits(relayServer, options, 'relay', services.log);

  const soapAddress = soapListenAddress(services);
  const soapPort = await listen(soapServer, options.soapPort, soapAddress);
  const relayPort = await listen(relayServer, options.relayPort, options.bind);
  // In a worker of `ssod serve --workers N` the primary serves the metrics of all (app/cluster.ts).
  const metrics: MetricsListener | null =
    options.metricsPort === 0 || cluster.isWorker ? null : await listenForMetrics(options, services.log);
  if (soapPort !== options.soapPort || relayPort !== options.relayPort) {
    services = { ...services, options: Object.freeze({ ...options, soapPort, relayPort }) };
  }

  const adminConsole = await startConsole(options, adminOwnCredentials, () => services, relayTlsContext);

  followSettings(services, soapAddress, () => {
    soapServer.setSecureContext(tlsContext());
    if (relayServer instanceof https.Server) relayServer.setSecureContext(relayTlsContext());
    adminConsole?.follow();
  });

  // Delivers the domain events to their subscribers: the audit trail catches up what a crash left;
  // the receivers of logon tickets hear of ended sessions, at once (a nudge) rather than at the next interval.
  const ticketLogout = new TicketLogout(() => services, createLogoutSender({ lookup: start.receiverLookup }));
  const dispatcher = new OutboxDispatcher(services, [auditTrail, ticketLogout]);
  dispatcher.start();
  // The On Session Start callbacks (docs/groups.md) are called inline; their own dispatcher catches up
  // the calls of a node that died, and may wait for another node's call without holding up the others.
  const sessionStartCaller = createSessionStartCaller(
    start.sessionStartCaPem === undefined ? {} : { defaultCaPem: start.sessionStartCaPem },
  );
  const sessionStartDispatcher = new OutboxDispatcher(services, [new SessionStartCatchUp(() => services)], { leaseMs: 45_000 });
  sessionStartDispatcher.start();
  services = {
    ...services,
    sessionStartCaller,
    setInitialVariables,
    eventPublished: (type) => {
      if (endsSessions(type)) dispatcher.nudge();
    },
  };

  // The console's overview charts live sessions per minute over the last hour (docs/admin-console.md "Overview").
  const sampleForConsole = (): void => {
    sampleLiveSessions(services).catch((error: unknown) => logUnexpected(services, 'live session sample failed', error));
  };
  if (adminConsole !== null) sampleForConsole();
  const purge = setInterval(() => {
    services.store
      .purgeExpiredSessions(sessionCutoff(services, services.now()))
      .catch((error: unknown) => logUnexpected(services, 'session purge failed', error));
    purgeThrottles(services).catch((error: unknown) => logUnexpected(services, 'sign-in counter purge failed', error));
    trimAudit(services).catch((error: unknown) => logUnexpected(services, 'audit trim failed', error));
    trimOutbox(services).catch((error: unknown) => logUnexpected(services, 'outbox trim failed', error));
    // SAML AuthnRequest ids and assertion ids past their expiry (a replay of one is refused until then).
    services.store.purgeSamlState(services.now()).catch((error: unknown) => logUnexpected(services, 'SAML state purge failed', error));
    // Grants whose tickets have all expired: no receiver needs telling of their logout any more.
    services.store.purgeTicketGrants(services.now()).catch((error: unknown) => logUnexpected(services, 'ticket grant purge failed', error));
    // Console sessions past their idle timeout or lifetime (docs/admin-console.md "Sessions").
    purgeAdminSessions(services).catch((error: unknown) => logUnexpected(services, 'console session purge failed', error));
    if (adminConsole !== null) sampleForConsole();
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const refresh = setInterval(() => {
    services.settings.refresh().catch((error: unknown) => logUnexpected(services, 'settings refresh failed', error));
  }, SETTINGS_REFRESH_MS);
  refresh.unref();

  services.log.info('ssod started', {
    soap: endpoint(soapPort),
    relay: relayEndpointUrl(services.settings.current().hostname, relayPort, relayTls),
    ...(adminConsole !== null ? { adminConsole: `https://${urlHost(options.adminBind)}:${adminConsole.port}/` } : {}),
    dataDir: options.dataDir,
    store: services.store.engine,
  });
  let closing: Promise<void> | null = null;
  const running = services;
  return {
    services: running,
    soapPort,
    relayPort,
    metricsPort: metrics?.port ?? null,
    adminPort: adminConsole?.port ?? null,
    close() {
      closing ??= (async () => {
        clearInterval(purge);
        clearInterval(refresh);
        await Promise.all([
          closeGracefully(soapServer, options.shutdownGrace * 1000),
          closeGracefully(relayServer, options.shutdownGrace * 1000),
          adminConsole === null ? null : closeGracefully(adminConsole.server, options.shutdownGrace * 1000),
          metrics?.close(),
        ]);
        // Calls cut short here leave their claims to another node (core/sessionStart.ts): none is recorded as failed.
        sessionStartCaller.close();
        await Promise.all([dispatcher.stop(), sessionStartDispatcher.stop()]);
        await ticketLogout.stop();
        stopObserving(services);
        await services.sources.close();
        await services.store.close();
        services.log.info('ssod stopped');
      })();
      return closing;
    },
  };
}
