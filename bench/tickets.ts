// Offline ticket verification in the SDK against the Ed25519 verification it cannot do without, side
// by side in one process on one thread (docs/PERFORMANCE.md "Offline ticket verification"). The
// tickets are signed by ssod's own keyring (src/infra/keys/tickets.ts) with a key set of three
// published keys (one retiring, the signing one, one pending), served over loopback HTTP and read by
// the SDK's remoteTicketKeys as a receiver reads it. Rounds alternate which side goes first:
//
//   sdk       verifyTicket(ticket, { keys, issuer, domain, state }) of tickets it never saw: each a
//             first verification (a fresh key source per round, so nothing is remembered)
//   oneTime   the same with oneTime, the receiver's ticket endpoint (a fresh state per round)
//   cookie    verifyTicket of the cookies of COOKIES browsers, each sent again and again, as every
//             request to a receiver carries its cookie: the SDK remembers a verified signature
//   bare      crypto.verify(null, signingInput, publicKey, signature) of the same bytes
//
//   npm run build && node dist/bench/tickets.js [tickets]
// `npm run bench` runs it after the scenarios of bench/run.ts.
import { randomBytes, verify as verifyEd25519, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedJwk } from '../src/core/tickets.js';
import { isPublished, ROTATION_DELAY_MS, signerAt, ticketKeyStates } from '../src/core/ticketKeys.js';
import { dataDirTicketKeys, StoreTicketKeyring } from '../src/infra/keys/tickets.js';
import { openSqliteStore } from '../src/infra/store/sqlite.js';
import { memoryReceiverState, remoteTicketKeys, verifyTicket, type TicketKeys } from '../src/client/index.js';
import { defined } from '../test/helpers/defined.js';

const ISSUER = 'https://sso.example.com:1180/relay';
const DOMAIN = 'example.de';
const ROUNDS = 5;
/** The browsers of the cookie side. */
const COOKIES = 256;
const HOUR_MS = 3_600_000;

/** One ticket, and the bytes its signature covers, as the bare side verifies them. */
interface SignedTicket {
  readonly token: string;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
  readonly publicKey: KeyObject;
}

/** Three keys as a rotation leaves them: one retiring, the signer, one pending; tickets by the signer. */
async function signedTickets(count: number): Promise<{ keySet: { keys: object[] }; tickets: SignedTicket[] }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-bench-tickets-'));
  const store = await openSqliteStore(':memory:');
  const start = Date.now();
  let clock = start - 2 * HOUR_MS;
  const keyring = new StoreTicketKeyring({ store, place: dataDirTicketKeys(dataDir), now: () => clock });
  try {
    await keyring.createKey(0);
    clock = start - HOUR_MS;
    await keyring.createKey(0);
    clock = start;
    await keyring.createKey(ROTATION_DELAY_MS);
    const keys = await keyring.keys();
    const published = ticketKeyStates(keys, start, 24 * HOUR_MS).filter((status) => isPublished(status.state));
    if (published.length !== 3) throw new Error(`expected 3 published keys, got ${String(published.length)}`);
    const signer = defined(signerAt(keys, start) ?? undefined, 'the signing key');
    const publicKey = createPublicKey({ key: JSON.parse(signer.publicJwk) as object & { kty: string }, format: 'jwk' });
    const iat = Math.floor(start / 1000);
    const tickets: SignedTicket[] = [];
    for (let i = 0; i < count; i++) {
      const token = await keyring.sign(signer, 'ssod-ticket+jwt', {
        iss: ISSUER,
        sub: `0f6c2a9e-4b1d-4e7a-9c3f-${i.toString(16).padStart(12, '0')}`,
        login: `user${String(i)}@example.com`,
        domain: DOMAIN,
        aud: DOMAIN,
        iat,
        exp: iat + 3600,
        jti: randomBytes(16).toString('base64url'),
        sid: randomBytes(16).toString('hex'),
      });
      const cut = token.lastIndexOf('.');
      tickets.push({
        token,
        signingInput: Buffer.from(token.slice(0, cut)),
        signature: Buffer.from(token.slice(cut + 1), 'base64url'),
        publicKey,
      });
    }
    return { keySet: { keys: published.map((status) => publishedJwk(status.key)) }, tickets };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The key set on a loopback HTTP server, as ssod's `/tickets/keys` answers it. */
async function serveKeySet(keySet: object): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify(keySet);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'public, max-age=300' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/tickets/keys`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Tickets per second of `verify` over the tickets, one at a time on this thread. */
async function rate(tickets: readonly SignedTicket[], verify: (ticket: SignedTicket) => unknown): Promise<number> {
  const started = performance.now();
  for (const ticket of tickets) await verify(ticket);
  return tickets.length / ((performance.now() - started) / 1000);
}

interface Round {
  readonly sdk: number;
  readonly oneTime: number;
  readonly cookie: number;
  readonly bare: number;
}

export interface TicketBench {
  readonly tickets: number;
  readonly publishedKeys: number;
  /** verifyTicket of tickets it never saw (a first verification each), tickets per second (mean of the rounds). */
  readonly sdkPerSecond: number;
  /** verifyTicket with oneTime (the ticket endpoint), tickets per second. */
  readonly oneTimePerSecond: number;
  /** verifyTicket of COOKIES cookies sent again and again, checks per second. */
  readonly cookiePerSecond: number;
  /** Bare Ed25519 crypto.verify of the same bytes, tickets per second. */
  readonly barePerSecond: number;
  /** The SDK's rate over the bare verification's, the median of the rounds. */
  readonly ratio: number;
  readonly rounds: readonly Round[];
}

export async function measureTickets(count = 20_000): Promise<TicketBench> {
  const { keySet, tickets } = await signedTickets(count);
  const server = await serveKeySet(keySet);
  try {
    const cookieKeys: TicketKeys = remoteTicketKeys(server.url);
    const cookieState = memoryReceiverState();
    const sdk =
      (oneTime = false, keys: TicketKeys = remoteTicketKeys(server.url), state = memoryReceiverState()) =>
      (ticket: SignedTicket) =>
        verifyTicket(ticket.token, { keys, issuer: ISSUER, domain: DOMAIN, state, oneTime });
    const cookies = Array.from({ length: tickets.length }, (_, i) => defined(tickets[i % COOKIES], 'a cookie'));
    const bare = (ticket: SignedTicket): void => {
      if (!verifyEd25519(null, ticket.signingInput, ticket.publicKey, ticket.signature)) throw new Error('a signature does not verify');
    };
    // Warm up every side: the key set fetch, jose's key import, the JIT.
    await rate(tickets.slice(0, 2000), sdk());
    await rate(tickets.slice(0, 2000), sdk(true));
    await rate(cookies.slice(0, 2000), sdk(false, cookieKeys, cookieState));
    await rate(tickets.slice(0, 2000), bare);
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sides = [
        async () => ({ sdk: await rate(tickets, sdk()) }),
        async () => ({ oneTime: await rate(tickets, sdk(true)) }),
        async () => ({ cookie: await rate(cookies, sdk(false, cookieKeys, cookieState)) }),
        async () => ({ bare: await rate(tickets, bare) }),
      ];
      // Each round starts with another side.
      const order = [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)];
      let measured = {};
      for (const side of order) measured = { ...measured, ...(await side()) };
      rounds.push(measured as Round);
    }
    const ratios = rounds.map((r) => r.sdk / r.bare).sort((a, b) => a - b);
    const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    return {
      tickets: count,
      publishedKeys: keySet.keys.length,
      sdkPerSecond: mean(rounds.map((r) => r.sdk)),
      oneTimePerSecond: mean(rounds.map((r) => r.oneTime)),
      cookiePerSecond: mean(rounds.map((r) => r.cookie)),
      barePerSecond: mean(rounds.map((r) => r.bare)),
      ratio: Number((ratios[Math.floor(ratios.length / 2)] ?? 0).toFixed(2)),
      rounds: rounds.map((r) => ({
        sdk: Math.round(r.sdk),
        oneTime: Math.round(r.oneTime),
        cookie: Math.round(r.cookie),
        bare: Math.round(r.bare),
      })),
    };
  } finally {
    await server.close();
  }
}

/** One line for the bench's summary. */
export function ticketsSummary(result: TicketBench): string {
  return `offline ticket verification (SDK, one thread, ${String(result.publishedKeys)} published keys): first verification ${String(result.sdkPerSecond)}/s (one-time ${String(result.oneTimePerSecond)}/s) against bare Ed25519 verify ${String(result.barePerSecond)}/s, ${String(result.ratio)}× (median of ${String(result.rounds.length)} alternating rounds); the cookies of ${String(COOKIES)} browsers checked again and again ${String(result.cookiePerSecond)}/s`;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await measureTickets(Number(process.argv[2] ?? 20_000));
  console.log(JSON.stringify({ cpus: os.cpus().length, ...result }, null, 2));
  console.log(ticketsSummary(result));
}
