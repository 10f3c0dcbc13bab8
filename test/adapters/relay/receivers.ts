// Receivers of logon tickets for the relay's tests (docs/tickets.md "Receivers"): small HTTPS servers
// on the loopback address, each with a certificate for its own host name in its domain, that verify
// with jose (against ssod's published key set) and record the tickets and logout tokens they get,
// and a browser that follows the relay's redirects through them.
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { TestCa } from '../../helpers/testCa.js';
import { relayRequest } from './request.js';
import { loopbackLookup } from '../../../examples/lib/domains.js';

/** Every host name on the loopback address: the receivers' domains in the tests. */
export { loopbackLookup };

export interface ReceiverServer {
  readonly domain: string;
  /** Its base URL as configured in ssod: `https://<host>:<port>/.ssod/`. */
  readonly url: string;
  /** The claims of every valid ticket its ticket endpoint got, in order. */
  readonly tickets: JWTPayload[];
  /** Why a ticket was refused, for each refused one ('none' for ticket=none). */
  readonly refusals: string[];
  /** The claims of every valid logout token, in order. */
  readonly logouts: JWTPayload[];
  /** How many logout POSTs arrived, valid or not. */
  logoutPosts(): number;
  /** The status of each next logout POST, in order; 204 after them. */
  answerLogouts(statuses: readonly number[]): void;
  stop(): Promise<void>;
}

export interface ReceiverSetup {
  readonly ca: TestCa;
  /** The host of the receiver: its domain or a name inside it. */
  readonly host: string;
  readonly domain: string;
  /** ssod's relay URL, the tickets' `iss`. */
  readonly issuer: string;
  /** ssod's key set, as GET /tickets/keys serves it. */
  readonly keys: () => Promise<JSONWebKeySet>;
}

async function verify(setup: ReceiverSetup, token: string, typ: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(await setup.keys()), {
    algorithms: ['EdDSA', 'ES256'],
    typ,
    issuer: setup.issuer,
    audience: setup.domain,
  });
  if (payload['domain'] !== setup.domain) throw new Error('domain is not this receiver');
  return payload;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startReceiver(setup: ReceiverSetup): Promise<ReceiverServer> {
  const identity = await setup.ca.identityFor(setup.host);
  const tickets: JWTPayload[] = [];
  const refusals: string[] = [];
  const logouts: JWTPayload[] = [];
  let posts = 0;
  let statuses: number[] = [];
  const server = https.createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://receiver');
      if (req.method === 'GET' && url.pathname === '/.ssod/ticket') {
        const ticket = url.searchParams.get('ticket') ?? '';
        if (ticket === 'none') refusals.push('none');
        else
          await verify(setup, ticket, 'ssod-ticket+jwt').then(
            (claims) => tickets.push(claims),
            (error: unknown) => refusals.push(String(error)),
          );
        res.writeHead(302, { Location: url.searchParams.get('next') ?? '/' }).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/.ssod/logout') {
        posts += 1;
        const token = new URLSearchParams(await readBody(req)).get('logout_token') ?? '';
        const status = statuses.shift() ?? 204;
        if (status === 204) logouts.push(await verify(setup, token, 'ssod-logout+jwt'));
        res.writeHead(status).end();
        return;
      }
      res.writeHead(404).end();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    domain: setup.domain,
    url: `https://${setup.host}:${port}/.ssod/`,
    tickets,
    refusals,
    logouts,
    logoutPosts: () => posts,
    answerLogouts(next) {
      statuses = [...next];
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One GET of an https URL of a receiver (every host on the loopback address, certificates of `caPem`). */
function receiverGet(url: string, caPem: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: caPem, lookup: loopbackLookup, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('error', reject);
  });
}

export interface Journey {
  /** Every Location the browser was sent to, in order. */
  readonly locations: readonly string[];
  /** Where it ended: the first Location that is neither the relay nor a receiver. */
  readonly final: string;
  /** The relay cookie it holds at the end (`name=value`), if any. */
  readonly cookie: string | undefined;
}

export interface Browser {
  readonly relayPort: number;
  /** The relay's URL as ssod names it (the `<relay>` of `<relay>/next`). */
  readonly relayUrl: string;
  readonly receivers: readonly ReceiverServer[];
  readonly caPem: string;
}

/**
 * A browser's way from a request to the relay (`path`, with `cookie`) along the redirects: to the
 * relay (its cookie sent back) and to the receivers, until a Location elsewhere. At most 10 steps.
 */
export async function browse(browser: Browser, path: string, cookie?: string): Promise<Journey> {
  const locations: string[] = [];
  let held = cookie;
  let reply = await relayRequest(browser.relayPort, { path, ...(held === undefined ? {} : { cookie: held }) });
  for (let step = 0; step < 10; step += 1) {
    const setCookie = reply.headers['set-cookie']?.find((c) => /^(?:__Host-)?sid=/.test(c));
    if (setCookie !== undefined) held = setCookie.split(';', 1)[0];
    if (reply.status !== 302) throw new Error(`the relay answered ${reply.status}: ${reply.body}`);
    let location = reply.headers.location ?? '';
    locations.push(location);
    while (browser.receivers.some((receiver) => location.startsWith(receiver.url))) {
      const hop = await receiverGet(location, browser.caPem);
      location = hop.location ?? '';
      locations.push(location);
    }
    const relayPath = location.startsWith(browser.relayUrl) ? location.slice(browser.relayUrl.length - '/relay'.length) : null;
    if (relayPath === null) return { locations, final: location, cookie: held };
    reply = await relayRequest(browser.relayPort, { path: relayPath, ...(held === undefined ? {} : { cookie: held }) });
  }
  throw new Error(`more than 10 redirects: ${locations.join(' → ')}`);
}
