// Tickets and logout tokens as ssod signs them (docs/tickets.md), made in the tests with jose and a
// test key, and an HTTPS server that publishes the key set, so that the SDK's receiver is tested
// without ssod's server side.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerIdentity } from './testCa.js';

export const ISSUER = 'https://sso.example.com:1180/relay';
export const DOMAIN = 'example.de';

export interface TestKey {
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  readonly privateKey: CryptoKey | KeyObject;
  /** The public JWK as ssod publishes it: kid, alg, use. */
  readonly jwk: JWK;
}

export async function testKey(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  return { kid, alg, privateKey, jwk: { ...exported, kid, alg, use: 'sig' } };
}

export function keySetOf(...keys: readonly TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.jwk) };
}

/** The claims of a ticket for DOMAIN issued now (seconds), with overrides. */
export function ticketClaims(overrides: JWTPayload = {}, nowMs = Date.now()): JWTPayload {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: ISSUER,
    sub: 'user-1',
    login: 'alice',
    domain: DOMAIN,
    aud: DOMAIN,
    iat,
    exp: iat + 3600,
    jti: randomBytes(16).toString('base64url'),
    sid: 'session-1',
    ...overrides,
  };
}

export function sign(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'ssod-ticket+jwt', ...header }).sign(key.privateKey);
}

export function signTicket(key: TestKey, overrides: JWTPayload = {}, nowMs = Date.now()): Promise<string> {
  return sign(key, ticketClaims(overrides, nowMs));
}

/** A logout token for DOMAIN: one session (`sid`), or every session of `sub` when sid is null. */
export function signLogoutToken(
  key: TestKey,
  {
    sub = 'user-1',
    sid = 'session-1',
    nowMs = Date.now(),
    domain = DOMAIN,
  }: { sub?: string; sid?: string | null; nowMs?: number; domain?: string } = {},
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const claims: JWTPayload = { iss: ISSUER, aud: domain, domain, iat, exp: iat + 120, jti: randomBytes(16).toString('base64url'), sub };
  if (sid !== null) claims.sid = sid;
  return sign(key, claims, { typ: 'ssod-logout+jwt' });
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** The old trick: HS256 with the verifier's public key as the HMAC secret (jose refuses to make it, so node:crypto does). */
export function hs256WithPublicKey(key: TestKey, claims: JWTPayload): string {
  const input = `${base64url(JSON.stringify({ alg: 'HS256', kid: key.kid, typ: 'ssod-ticket+jwt' }))}.${base64url(JSON.stringify(claims))}`;
  const mac = createHmac('sha256', JSON.stringify(key.jwk)).update(input).digest();
  return `${input}.${base64url(mac)}`;
}

/** `alg: none`, no signature. */
export function unsigned(key: TestKey, claims: JWTPayload): string {
  return `${base64url(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'ssod-ticket+jwt' }))}.${base64url(JSON.stringify(claims))}.`;
}

/** An HTTPS server publishing a key set that the test may change; it counts the fetches. */
export interface KeySetServer {
  readonly url: string;
  keySet: unknown;
  /** The raw body instead of the key set (a reply too large, not JSON). */
  rawBody: string | null;
  readonly fetches: number;
  close(): Promise<void>;
}

export async function serveKeySet(identity: ServerIdentity, keySet: unknown): Promise<KeySetServer> {
  let fetches = 0;
  const state = { keySet, rawBody: null as string | null };
  const server = https.createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    fetches++;
    res.writeHead(200, { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'public, max-age=300' });
    res.end(state.rawBody ?? JSON.stringify(state.keySet));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/tickets/keys`,
    get keySet() {
      return state.keySet;
    },
    set keySet(value) {
      state.keySet = value;
    },
    get rawBody() {
      return state.rawBody;
    },
    set rawBody(value) {
      state.rawBody = value;
    },
    get fetches() {
      return fetches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
