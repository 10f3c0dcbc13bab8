// Test harness without listeners: the services of a real ssod over SQLite in a temporary data
// directory, and SOAP requests answered in process by answerSoap (the seam the HTTPS endpoint
// uses), with the client certificate judged as the TLS handshake judges it. For protocol tests
// that are about the operations, not the transport; helpers/server.ts runs the real listeners.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveOptions, type OptionName } from '../../src/config/options.js';
import type { PeerCredential } from '../../src/core/callers.js';
import { fingerprintOf } from '../../src/core/fingerprint.js';
import type { Services } from '../../src/core/services.js';
import { createLogger } from '../../src/infra/log.js';
import { answerSoap } from '../../src/adapters/soap/dispatch.js';
import { openServices, type StartOptions } from '../../src/app/compose.js';
import type { Credentials, HttpReply, PostOptions } from './server.js';

export interface InProcessServer {
  readonly services: Services;
  readonly dataDir: string;
  readonly caPem: string;
  /** The relay port getSettings reports (nothing listens on it). */
  readonly relayPort: number;
  /** Answers one POST to the SOAP endpoint, as helpers/server.ts's call() sends it. */
  post(body: string, options?: PostOptions): Promise<HttpReply>;
  /** Every log line written, parsed. */
  logRecords(): Record<string, unknown>[];
  /** Shift the clock forward (expiry tests). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

/** What a TLS handshake with ssod's CA makes of a client certificate: its fingerprint, and whether it chains and is valid now. */
function peerCredentialOf(credentials: Credentials | undefined, ca: X509Certificate): PeerCredential | null {
  if (credentials === undefined) return null;
  const cert = new X509Certificate(credentials.cert);
  const now = Date.now();
  const chained = cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo);
  return { fingerprint: fingerprintOf(cert.raw), chained };
}

let requests = 0;

export async function startInProcess(
  overrides: Partial<Record<OptionName, string | number>> = {},
  start: Pick<StartOptions, 'openSource'> = {},
): Promise<InProcessServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-inprocess-'));
  const options = resolveOptions({ flags: { logLevel: 'info', ...overrides, dataDir } });
  const lines: string[] = [];
  let offset = 0;
  const services = await openServices(options, {
    logger: createLogger('info', (line) => lines.push(line)),
    now: () => Date.now() + offset,
    ...start,
  });
  const ca = new X509Certificate(services.ca.certificatePem);
  return {
    services,
    dataDir,
    caPem: services.ca.certificatePem,
    relayPort: options.relayPort,
    async post(
      body,
      { credentials, contentType = 'application/soap+xml; charset=utf-8', headers = {}, path: route, method, localAddress } = {},
    ) {
      if ((route !== undefined && route !== '/soap') || (method !== undefined && method !== 'POST'))
        throw new Error('in process there is only POST /soap; use helpers/server.ts');
      const given = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      const answer = await answerSoap(
        services,
        {
          body: Buffer.from(body, 'utf8'),
          contentType: given.get('content-type') ?? contentType,
          contentEncoding: given.get('content-encoding'),
          peer: peerCredentialOf(credentials, ca),
          remoteAddress: localAddress ?? '127.0.0.1',
        },
        `in-process-${(requests += 1)}`,
      );
      const replyHeaders = Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
      return { status: answer.status, headers: replyHeaders, body: answer.body };
    },
    logRecords: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    advanceClock(ms) {
      offset += ms;
    },
    async close() {
      await services.sources.close();
      await services.store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
