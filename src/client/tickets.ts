// Offline verification of ssod's signed logon tickets and logout tokens (docs/tickets.md "What a
// verifier checks"): the checks in the documented order, each failure a TicketError with its code.
// The JWS work is jose's; this file only chooses what jose is told and adds what jose leaves open
// (the header members that are refused outright, the ticket's own claims, one-time use, logout).
// A token whose signature verified is remembered per key source, so that a receiver's cookie, sent
// again on every request, is not verified again while the key set gives the same key for it.
import { createLocalJWKSet, createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { FetchImplementation, FlattenedJWSInput, JSONWebKeySet, JWK, JWTHeaderParameters, JWTPayload, JWTVerifyGetKey } from 'jose';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ReceiverState } from './receiverState.js';

/** The `typ` of a ticket, and of a logout token (RFC 8725 section 3.11: one is never taken for the other). */
export const TICKET_TYPE = 'ssod-ticket+jwt';
export const LOGOUT_TOKEN_TYPE = 'ssod-logout+jwt';

/** The only algorithms a verifier accepts: never `none`, never an HMAC. */
export const ALGORITHMS = ['EdDSA', 'ES256'];
const MAX_TOKEN_BYTES = 4096;
export const CLOCK_TOLERANCE_SECONDS = 30;
/** Header members that would let the token choose its own key; none is ever followed. */
const REFUSED_HEADER_MEMBERS = ['jku', 'jwk', 'x5u', 'x5c', 'crit'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type TicketErrorCode =
  | 'malformed'
  | 'algorithm'
  | 'type'
  | 'unknownKey'
  | 'keysUnavailable'
  | 'signature'
  | 'issuer'
  | 'domain'
  | 'expired'
  | 'notYetValid'
  | 'replayed'
  | 'loggedOut';

/** Why a ticket or logout token was refused; `code` names the check that failed. */
export class TicketError extends Error {
  readonly code: TicketErrorCode;

  constructor(code: TicketErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'TicketError';
    this.code = code;
  }
}

/** Where the verification keys come from: jose's key resolver over ssod's published JWK Set. */
export type TicketKeys = JWTVerifyGetKey;

/** A key source that fetches ssod's key set, and can be told to fetch it again now. */
export type RemoteTicketKeys = TicketKeys & { reload(): Promise<void> };

/** The user a valid ticket names. Times are milliseconds since the epoch. */
export interface TicketUser {
  readonly userId: string;
  readonly login: string;
  readonly domain: string;
  /** The global session's handle (`sid`), which logout names. */
  readonly sessionHandle: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The ticket's own id (`jti`). */
  readonly ticketId: string;
}

/** What a valid logout token ends: one session (`sessionHandle`), or every session of the user issued before `issuedAt`. */
export interface LogoutOrder {
  readonly userId: string;
  readonly sessionHandle: string | null;
  readonly issuedAt: number;
}

export interface VerifyOptions {
  readonly keys: TicketKeys;
  /** ssod's relay URL (getSettings `relayEndpointUrl`), the expected `iss`. */
  readonly issuer: string;
  /** This verifier's own DNS domain, the expected `domain` and `aud`. */
  readonly domain: string;
  /** The clock, in milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Logged-out sessions and users (and, with `oneTime`, the accepted ticket ids). */
  readonly state?: ReceiverState;
  /** A receiver's ticket endpoint: the ticket is accepted once, its `jti` kept in `state` (docs/tickets.md check 6). */
  readonly oneTime?: boolean;
}

/** The key set could not be fetched: no connection, a timeout, a refused certificate, a reply too large. */
export class KeySetUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySetUnavailable';
  }
}

/** Header check (docs/tickets.md checks 1 and 2, before any key is looked at). */
export function checkHeader(token: string, type: string, maxBytes = MAX_TOKEN_BYTES): void {
  if (Buffer.byteLength(token, 'utf8') > maxBytes) throw new TicketError('malformed', `longer than ${maxBytes} bytes`);
  if (!COMPACT_JWS.test(token)) throw new TicketError('malformed', 'not a compact JWS of three base64url parts');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch (error) {
    throw new TicketError('malformed', 'the protected header is not a JSON object', { cause: error });
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !ALGORITHMS.includes(alg))
    throw new TicketError('algorithm', `alg ${JSON.stringify(alg)} is not accepted`);
  if (header.typ !== type) throw new TicketError('type', `typ ${JSON.stringify(header.typ)} is not ${type}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw new TicketError('unknownKey', 'the header names no kid');
  const refused = REFUSED_HEADER_MEMBERS.filter((member) => member in header);
  if (refused.length > 0) throw new TicketError('malformed', `the header holds ${refused.join(', ')}`);
}

/** A jose error as the check of docs/tickets.md that failed. */
export function ticketErrorOf(error: unknown): TicketError {
  if (error instanceof TicketError) return error;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return new TicketError('unknownKey', 'no published key has this kid and alg', { cause: error });
  if (error instanceof KeySetUnavailable || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid)
    return new TicketError('keysUnavailable', `the key set could not be read: ${error.message}`, { cause: error });
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TicketError('signature', 'the signature does not verify', { cause: error });
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return new TicketError('algorithm', error.message, { cause: error });
  if (error instanceof errors.JWTExpired) return new TicketError('expired', 'exp has passed', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new TicketError('malformed', error.message, { cause: error });
    if (error.claim === 'iss') return new TicketError('issuer', 'iss is not the expected relay URL', { cause: error });
    if (error.claim === 'aud') return new TicketError('domain', 'aud is not this domain', { cause: error });
    if (error.claim === 'typ') return new TicketError('type', error.message, { cause: error });
    return new TicketError('malformed', error.message, { cause: error });
  }
  if (error instanceof errors.JOSEError) return new TicketError('malformed', error.message, { cause: error });
  // Not jose's: an outage of the key source's own making (a fetch that threw), never a valid ticket.
  return new TicketError('keysUnavailable', error instanceof Error ? error.message : String(error), { cause: error });
}

function stringClaim(payload: JWTPayload, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value === '') throw new TicketError('malformed', `the claim ${name} is missing or not a string`);
  return value;
}

function numberClaim(payload: JWTPayload, name: string): number {
  const value = payload[name];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TicketError('malformed', `the claim ${name} is missing or not a number`);
  return value;
}

/**
 * A token whose signature verified with `key`: a receiver's cookie comes back on every request, and
 * its signature, the same bytes checked with the same key, need not be checked again while the key
 * set still gives that key for its header.
 */
interface Verified {
  readonly type: TokenType;
  readonly header: JWTHeaderParameters;
  readonly jws: FlattenedJWSInput;
  readonly key: unknown;
  readonly payload: JWTPayload;
}

/** How many verified tokens each key source remembers; the oldest is forgotten first. */
export const VERIFIED_TOKENS_KEPT = 4096;
const verifiedByKeys = new WeakMap<TicketKeys, Map<string, Verified>>();

type TokenType = typeof TICKET_TYPE | typeof LOGOUT_TOKEN_TYPE;

/** The claims jose requires of each type of token. */
const REQUIRED_CLAIMS: Record<TokenType, string[]> = {
  [TICKET_TYPE]: ['iss', 'aud', 'iat', 'exp', 'jti', 'sub', 'login', 'sid'],
  [LOGOUT_TOKEN_TYPE]: ['iss', 'aud', 'iat', 'exp', 'jti', 'sub'],
};

function remember(keys: TicketKeys, token: string, verified: Verified): void {
  let kept = verifiedByKeys.get(keys);
  if (kept === undefined) verifiedByKeys.set(keys, (kept = new Map<string, Verified>()));
  if (kept.size >= VERIFIED_TOKENS_KEPT) kept.delete(kept.keys().next().value as string);
  kept.set(token, verified);
}

/**
 * The claims of a token verified before with the key that the key set gives for its header now (an
 * unknown kid refused as it would be the first time), checked again against these options and this
 * moment as jose checks them (checks 4 and 5); null when the key set gives another key since (a
 * reloaded set): then the token is verified in full.
 */
async function rememberedPayload(token: string, type: TokenType, options: VerifyOptions, nowMs: number): Promise<JWTPayload | null> {
  const known = verifiedByKeys.get(options.keys)?.get(token);
  if (known?.type !== type || !Number.isFinite(nowMs)) return null;
  let key: unknown;
  try {
    key = await options.keys(known.header, known.jws);
  } catch (error) {
    throw ticketErrorOf(error);
  }
  if (key !== known.key) return null;
  const { payload } = known;
  if (payload.iss !== options.issuer) throw new TicketError('issuer', 'iss is not the expected relay URL');
  if ((payload.exp ?? 0) <= Math.floor(nowMs / 1000) - CLOCK_TOLERANCE_SECONDS) throw new TicketError('expired', 'exp has passed');
  return payload;
}

/** Signature, issuer, audience and times by jose (checks 3 to 5), then the claims jose does not know. */
async function verifyToken(token: string, type: TokenType, options: VerifyOptions): Promise<JWTPayload> {
  const domain = options.domain.toLowerCase();
  const nowMs = (options.now ?? Date.now)();
  let payload = await rememberedPayload(token, type, options, nowMs);
  if (payload === null) {
    checkHeader(token, type);
    try {
      const verified = await jwtVerify(token, options.keys, {
        algorithms: ALGORITHMS,
        typ: type,
        issuer: options.issuer,
        audience: domain,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowMs),
        requiredClaims: REQUIRED_CLAIMS[type],
      });
      payload = verified.payload;
      // A token with nbf is never remembered: only jose checks it.
      if (payload.nbf === undefined) {
        const [protectedHeader = '', encodedPayload = '', signature = ''] = token.split('.');
        const jws = { protected: protectedHeader, payload: encodedPayload, signature };
        remember(options.keys, token, { type, header: verified.protectedHeader, jws, key: verified.key, payload });
      }
    } catch (error) {
      throw ticketErrorOf(error);
    }
  }
  if (payload.aud !== domain || payload.domain !== domain) throw new TicketError('domain', `the token is not for ${domain} alone`);
  if (numberClaim(payload, 'iat') > nowMs / 1000 + CLOCK_TOLERANCE_SECONDS) throw new TicketError('notYetValid', 'iat is in the future');
  numberClaim(payload, 'exp');
  for (const name of REQUIRED_CLAIMS[type]) if (name !== 'iat' && name !== 'exp' && name !== 'aud') stringClaim(payload, name);
  return payload;
}

/** Check 7: the session or every session of the user was logged out after this token was issued. */
async function checkNotLoggedOut(state: ReceiverState | undefined, payload: JWTPayload): Promise<void> {
  if (state === undefined) return;
  const sid = stringClaim(payload, 'sid');
  if (await state.isLoggedOut(sid, stringClaim(payload, 'sub'), numberClaim(payload, 'iat')))
    throw new TicketError('loggedOut', 'its session was logged out');
}

/**
 * Verifies a logon ticket as docs/tickets.md "What a verifier checks" says, in that order. Returns
 * its user, or throws a TicketError. With `oneTime` (a receiver's ticket endpoint) the ticket is
 * accepted only once: `state` keeps its `jti` until it expires.
 */
export async function verifyTicket(ticket: string, options: VerifyOptions): Promise<TicketUser> {
  const payload = await verifyToken(ticket, TICKET_TYPE, options);
  const exp = numberClaim(payload, 'exp');
  if (options.oneTime === true) {
    if (options.state === undefined) throw new TypeError('a one-time check needs a ReceiverState');
    // Kept until the last moment the clock tolerance still accepts it.
    const firstUse = await options.state.acceptOnce(stringClaim(payload, 'jti'), exp + CLOCK_TOLERANCE_SECONDS);
    if (!firstUse) throw new TicketError('replayed', 'this ticket was accepted before');
  }
  await checkNotLoggedOut(options.state, payload);
  return {
    userId: stringClaim(payload, 'sub'),
    login: stringClaim(payload, 'login'),
    domain: stringClaim(payload, 'domain'),
    sessionHandle: stringClaim(payload, 'sid'),
    issuedAt: numberClaim(payload, 'iat') * 1000,
    expiresAt: exp * 1000,
    ticketId: stringClaim(payload, 'jti'),
  };
}

/** Verifies a logout token (docs/tickets.md "Logout"): checked as a ticket, with its own `typ`. */
export async function verifyLogoutToken(token: string, options: Omit<VerifyOptions, 'oneTime' | 'state'>): Promise<LogoutOrder> {
  const payload = await verifyToken(token, LOGOUT_TOKEN_TYPE, options);
  const sid = payload.sid;
  if (sid !== undefined && (typeof sid !== 'string' || sid === '')) throw new TicketError('malformed', 'the claim sid is not a string');
  return { userId: stringClaim(payload, 'sub'), sessionHandle: sid ?? null, issuedAt: numberClaim(payload, 'iat') * 1000 };
}

/**
 * The verification keys of a JWK Set: public Ed25519 (`EdDSA`) and P-256 (`ES256`) keys that name
 * their `kid` and their own `alg`, meant for signatures. Anything else (a private member, another
 * curve, a key without `alg`) is left out, so it can never verify a ticket.
 */
export function ticketVerificationKeys(jwks: unknown): JSONWebKeySet {
  const keys =
    typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as { keys?: unknown }).keys) ? (jwks as { keys: unknown[] }).keys : [];
  return { keys: keys.filter(isVerificationKey) };
}

function isVerificationKey(key: unknown): key is JWK {
  if (typeof key !== 'object' || key === null) return false;
  const jwk = key as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || jwk.kid === '' || 'd' in jwk || (jwk.use !== undefined && jwk.use !== 'sig')) return false;
  if (jwk.alg === 'EdDSA') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string';
  if (jwk.alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string';
  return false;
}

/** Keys given by the application itself (a JWK Set it holds), for instance in tests or offline. */
export function localTicketKeys(jwks: unknown): TicketKeys {
  return createLocalJWKSet(ticketVerificationKeys(jwks));
}

export interface RemoteKeysOptions {
  /** PEM certificates trusted for the key set's HTTPS server (default: the system CAs). */
  readonly ca?: string | readonly string[];
  /** The whole fetch, connection included (default 5000 ms). */
  readonly timeoutMs?: number;
}

const DEFAULT_KEYS_TIMEOUT_MS = 5000;
const MAX_KEY_SET_BYTES = 64 * 1024;
/** An unknown kid fetches the key set again, at most this often. */
const REFETCH_COOLDOWN_MS = 30_000;
/** As long as ssod's `Cache-Control: public, max-age=300`. */
const KEY_SET_MAX_AGE_MS = 300_000;

/** Whether a URL's host is this machine (127.0.0.0/8, ::1, localhost), where plain HTTP is allowed. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Why a key set URL may not be used, or null: https, or http to a loopback address only. */
export function keySetUrlProblem(url: URL): string | null {
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackUrl(url)) return null;
  return `the key set URL ${url.href} must be https (plain http only on a loopback address)`;
}

/** jose's fetch, over node:https so that `ca` is honoured, with a size limit; jose's signal is the timeout. */
function keySetFetch(ca: RemoteKeysOptions['ca']): FetchImplementation {
  return (url, { signal }) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const get = target.protocol === 'https:' ? https.get : http.get;
      const trust = ca === undefined ? {} : { ca: [ca].flat() };
      const fail = (error: Error): void => {
        // jose turns its own timeout (the signal's reason) into JWKSTimeout.
        if (signal.aborted) reject(signal.reason as Error);
        else
          reject(
            error instanceof KeySetUnavailable
              ? error
              : new KeySetUnavailable(`fetching ${target.href}: ${error.message}`, { cause: error }),
          );
      };
      const req = get(target, { signal, ...trust }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_KEY_SET_BYTES)
            req.destroy(new KeySetUnavailable(`the key set at ${target.href} is larger than ${MAX_KEY_SET_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          try {
            resolve(keySetResponse(target, res.statusCode ?? 0, Buffer.concat(chunks)));
          } catch (error) {
            fail(error as Error);
          }
        });
        res.on('error', fail);
      });
      req.on('error', fail);
    });
}

/** The reply as jose reads it, with only the verification keys left in (ticketVerificationKeys). */
function keySetResponse(target: URL, status: number, body: Buffer): Response {
  if (status !== 200) throw new KeySetUnavailable(`the key set at ${target.href} answered HTTP ${status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new KeySetUnavailable(`the key set at ${target.href} is not JSON`);
  }
  return new Response(JSON.stringify(ticketVerificationKeys(parsed)), { status: 200, headers: { 'Content-Type': 'application/json' } });
}

/**
 * ssod's published key set (`/tickets/keys`, docs/tickets.md "The key set"), cached 5 minutes like
 * ssod says, fetched again on an unknown kid at most every 30 s. Only https, except on loopback.
 */
export function remoteTicketKeys(url: string | URL, options: RemoteKeysOptions = {}): RemoteTicketKeys {
  const target = new URL(url);
  const problem = keySetUrlProblem(target);
  if (problem !== null) throw new TypeError(problem);
  return createRemoteJWKSet(target, {
    timeoutDuration: options.timeoutMs ?? DEFAULT_KEYS_TIMEOUT_MS,
    cooldownDuration: REFETCH_COOLDOWN_MS,
    cacheMaxAge: KEY_SET_MAX_AGE_MS,
    [customFetch]: keySetFetch(options.ca),
  });
}
