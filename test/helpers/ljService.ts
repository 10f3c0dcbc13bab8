// A real LJAuthenticate web service: PHP's SoapServer (test/fixtures/ljauthenticate/server.php with
// its WSDL) run by `php -S` on a loopback port, behind a small Node TLS terminator holding a
// certificate of a test CA, as an organization would put its service behind HTTPS.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { startPhpServer, type PhpServer } from './phpServer.js';
import { openTestCa, type ServerIdentity, type TestCa } from './testCa.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../../../test/fixtures/ljauthenticate/server.php', import.meta.url));

/** Who the service knows: passwords by login, and the pass-through sessions it vouches for, by session id. */
export interface LjServiceConfig {
  readonly users: Readonly<Record<string, string>>;
  readonly sessions: Readonly<Record<string, string>>;
  /** What a NOT_AUTHETICATED pass-through reply sends the browser to. */
  readonly redirectOnErrorURL: string;
}

export const LJ_SERVICE_CONFIG: LjServiceConfig = {
  users: { alice: 'correct horse', [`o'brien<&">`]: `p<&"'>w ]]> &amp;` },
  sessions: { 'session-of-alice': 'alice@abc.com' },
  redirectOnErrorURL: 'https://portal.example.test/sign-in?error=session&from=ssod',
};

export interface LjService {
  /** https://127.0.0.1:PORT/ */
  readonly url: string;
  readonly caPem: string;
  /** The pin of the service's certificate key. */
  readonly pin: string;
  /** The fields of the last request the service handled (the password left out). */
  lastRequest(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Forwards every TLS connection to the PHP server, byte for byte. */
async function startTlsTerminator(
  identity: ServerIdentity,
  upstreamPort: number,
): Promise<{ server: tls.Server; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: identity.key, cert: identity.cert }, (client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, sockets };
}

/** Starts the service with `config` (and a new test CA unless one is given); stop() ends both processes' parts. */
export async function startLjService(config: LjServiceConfig = LJ_SERVICE_CONFIG, ca?: TestCa): Promise<LjService> {
  const authority = ca ?? (await openTestCa());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-ljservice-'));
  const configFile = path.join(dir, 'config.json');
  const lastRequestFile = path.join(dir, 'last-request.json');
  writeFileSync(configFile, JSON.stringify(config));
  const phpPort = await freePort();
  let php: PhpServer;
  try {
    php = await startPhpServer(phpPort, [SERVER_SCRIPT], { LJ_CONFIG: configFile, LJ_LAST_REQUEST: lastRequestFile });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { server, sockets } = await startTlsTerminator(authority.server, phpPort);
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    caPem: authority.caPem,
    pin: authority.server.pin,
    lastRequest: () => Promise.resolve(JSON.parse(readFileSync(lastRequestFile, 'utf8')) as Record<string, string>),
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
      await php.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
