// What the orchestrator (run.ts), the load generator (loadgen.ts) and the ceiling server
// (ceiling.ts) say to each other over the fork IPC channel, and how requests are made up.
//
// Seeded secrets are derived from an index and a per-run salt, so that the generator can build the
// `index`th session id or cookie itself instead of receiving a million secrets from the seeder.
import { createHash } from 'node:crypto';
import { localSessionId } from '../src/core/sessions.js';

export const SSO_NS = 'http://swsoft.com/schemas/sso/1';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';
/** The base URL of the bench application; the relay only redirects to registered ones. */
export const BENCH_BASE_URL = 'https://panel.bench.example:8443/';
/** The ticket receiver of the bench installation (docs/tickets.md "Receivers"), and the page it asks a ticket for. */
export const BENCH_RECEIVER = {
  name: 'bench-receiver',
  domain: 'bench-receiver.example',
  url: 'https://apps.bench-receiver.example/.ssod/',
  page: 'https://apps.bench-receiver.example/home',
} as const;
/** The password of every seeded user (one argon2id hash, computed once, shared by all rows). */
export const BENCH_PASSWORD = 'correct horse battery staple';
/** The page of the bench application that every browser sign-in (the sign-in page, SAML) returns to. */
export const BENCH_RETURN_URL = `${BENCH_BASE_URL}home`;

/** The SAML identity provider of the bench installation: it is never reached, the load generator answers in its place. */
export const BENCH_IDP = {
  name: 'bench-idp',
  issuer: 'https://idp.bench.example/metadata',
  signInUrl: 'https://idp.bench.example/sso',
} as const;

/** What the load generator, as the identity provider, knows of ssod's service provider (from its metadata) and signs with. */
export interface BenchIdentityProvider {
  /** The IdP's signing key and certificate, PEM; the certificate is in the identity provider's settings at ssod. */
  readonly keyPem: string;
  readonly certificatePem: string;
  /** ssod's entity id (the Audience) and assertion consumer URL (Destination and Recipient). */
  readonly entityId: string;
  readonly acsUrl: string;
}

/** TLS material of a bench client: ssod's CA to trust, and the application's key and certificate (none: a guest). */
export interface ClientTls {
  readonly ca: string;
  readonly key?: string;
  readonly cert?: string;
}

/** How the requests of a stream are made up. */
export type Workload =
  /** verifySession of a uniformly random seeded session. */
  | { readonly kind: 'verifySession'; readonly salt: string; readonly population: number }
  /** authenticate of a uniformly random seeded user, with the bench base URL (a new session each). */
  | { readonly kind: 'authenticate'; readonly salt: string; readonly population: number }
  /** createUser with a fresh login each time. */
  | { readonly kind: 'createUser'; readonly prefix: string }
  /** The relay's get-session with the cookie of a uniformly random seeded session. */
  | { readonly kind: 'relayGetSession'; readonly salt: string; readonly population: number }
  /**
   * A browser without cookies at ssod's sign-in page: GET the form (its CSRF code and cookie), then
   * POST it with a uniformly random seeded user's login and password; one sign-in, one request.
   */
  | { readonly kind: 'signinPage'; readonly salt: string; readonly population: number }
  /**
   * A SAML sign-in of a uniformly random seeded user, SP-initiated: GET /saml/login (ssod's
   * AuthnRequest), the identity provider's signed response to it, POST to the assertion consumer
   * service; one sign-in, one request.
   */
  | { readonly kind: 'samlAcs'; readonly salt: string; readonly population: number; readonly idp: BenchIdentityProvider }
  /** The relay's ticket hop for the bench receiver with the cookie of a uniformly random seeded session. */
  | { readonly kind: 'relayTicket'; readonly salt: string; readonly population: number };

export interface Stream {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** TLS with a client certificate; absent for the relay's plain HTTP. */
  readonly tls?: ClientTls;
  readonly workload: Workload;
  readonly connections: number;
  /** Connect from this loopback address (any of 127.0.0.0/8): a source of its own to ssod. */
  readonly localAddress?: string;
  /** Requests per second over all connections; absent means each connection goes as fast as it can. */
  readonly rate?: number;
  /** A reply is counted as an error unless its status is this and its head or body contains `expect`. */
  readonly status: number;
  readonly expect: string;
}

export interface Job {
  readonly streams: readonly Stream[];
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Hard bound on requests per stream, so a loop can never run away. */
  readonly maxRequests: number;
}

export interface StreamResult {
  readonly name: string;
  /** Replies received in the measured window (warm-up excluded), errors included. */
  readonly requests: number;
  readonly errors: number;
  /** Good replies per second over the measured window. */
  readonly throughput: number;
  /** Milliseconds. With a fixed rate, counted from the intended send time (no coordinated omission). */
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** The fixed rate asked for, when there was one. */
  readonly rate?: number;
  /** Negotiated TLS protocol and cipher ('plain' for HTTP), so that a drift between the ceiling and ssod shows. */
  readonly tls: string;
  /** The first unexpected reply, for diagnosis. */
  readonly firstError?: string;
}

export type ToGenerator = { readonly type: 'run'; readonly job: Job } | { readonly type: 'exit' };
export type FromGenerator =
  { readonly type: 'result'; readonly results: StreamResult[] } | { readonly type: 'failed'; readonly error: string };

export type ToCeiling = { readonly type: 'start'; readonly options: CeilingOptions };
export type FromCeiling = { readonly type: 'listening'; readonly port: number } | { readonly type: 'failed'; readonly error: string };

export interface CeilingOptions {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
  /** The fixed reply body (a real verifySession response) and its Content-Type. */
  readonly reply: string;
  readonly contentType: string;
  readonly port: number;
  readonly workers: number;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The derivation secret of the `index`th seeded global session (core/sessions.ts). */
export function sessionSecretFor(salt: string, index: number): Buffer {
  return digest(`${salt}:secret:${index}`);
}

/** The `index`th seeded session id for the bench application, derived exactly as ssod derives its own. */
export function sessionIdFor(salt: string, index: number): string {
  return localSessionId(sessionSecretFor(salt, index), BENCH_BASE_URL);
}

/** The relay cookie value of the `index`th seeded session: base64url of 32 bytes, as the relay issues. */
export function cookieFor(salt: string, index: number): string {
  return digest(`${salt}:cookie:${index}`).toString('base64url');
}

/** The `index`th seeded user's id: a UUID that sorts with its index (the seeder appends to the primary key). */
export function userIdFor(salt: string, index: number): string {
  const prefix = digest(salt).toString('hex').slice(0, 8);
  return `${prefix}-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

/** Zero-padded, so that logins sort with their index (the seeder appends to the login index). */
export function loginFor(salt: string, index: number): string {
  return `user${String(index).padStart(7, '0')}.${salt}@bench.example`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A SOAP 1.2 request for one operation, as applications send it. */
export function soapRequest(operation: string, fields: Readonly<Record<string, string>>): string {
  const inner = Object.entries(fields)
    .map(([name, value]) => `<sso:${name}>${escapeXml(value)}</sso:${name}>`)
    .join('');
  return `<env:Envelope xmlns:env="${SOAP12_NS}"><env:Body><sso:${operation} xmlns:sso="${SSO_NS}">${inner}</sso:${operation}></env:Body></env:Envelope>`;
}
