// An application's side of an On Session Start callback (docs/groups.md "On Session Start
// callbacks"): verifying the signed request ssod POSTs (jose does the JWS work, over ssod's
// published key set, as for logon tickets) and building the reply that sets initial values of the
// application's own session variables.
import { jwtVerify, type JWTPayload } from 'jose';
import { ALGORITHMS, CLOCK_TOLERANCE_SECONDS, checkHeader, ticketErrorOf, TicketError, type TicketKeys } from './tickets.js';

/** The `typ` of the request's JWS header: never taken for a ticket or a logout token. */
export const SESSION_START_TYPE = 'ssod-session-start+jwt';
/** A request holds its callback URL (at most 2048 characters) besides its claims. */
const MAX_REQUEST_BYTES = 8192;
/** Why the application is called (docs/groups.md "Order"). */
export type SessionStartOrder = 'provider' | 'starting' | 'firstVisit';
const ORDERS: readonly string[] = ['provider', 'starting', 'firstVisit'];

/** A verified request. Times are milliseconds since the epoch. */
export interface SessionStartRequest {
  /** The same for every try of one (session, application): a receiver that saw it before drops the repeat (and answers as before). */
  readonly requestId: string;
  /** The global session's handle (`sid`), as in logon tickets. */
  readonly sessionHandle: string;
  readonly userId: string;
  readonly login: string;
  /** The application called (`app`): this one. */
  readonly applicationId: string;
  /** The application the session was started for (`started_for`). */
  readonly startedFor: string;
  /** The session's group, or null for the default set. */
  readonly group: string | null;
  readonly order: SessionStartOrder;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface SessionStartVerifyOptions {
  /** The callback URL as registered: the expected `aud`. */
  readonly url: string;
  /** ssod's relay URL (getSettings `relayEndpointUrl`), the expected `iss`; unchecked when absent. */
  readonly issuer?: string;
  /** This application's id: the expected `app`; unchecked when absent. */
  readonly applicationId?: string;
  /** The clock, in milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

function stringClaim(payload: JWTPayload, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value === '') throw new TicketError('malformed', `the claim ${name} is missing or not a string`);
  return value;
}

/**
 * Verifies the body of an On Session Start request: a JWS of typ `ssod-session-start+jwt` signed
 * with a key of ssod's key set (`remoteTicketKeys` or `localTicketKeys`), for this callback URL
 * (`aud`), not expired, with every claim of the contract. Throws a TicketError naming the check
 * that failed. Dropping a repeated `requestId` is the receiver's part.
 */
export async function verifySessionStartCallback(
  body: string | Buffer,
  keys: TicketKeys,
  options: SessionStartVerifyOptions,
): Promise<SessionStartRequest> {
  const token = (typeof body === 'string' ? body : body.toString('utf8')).trim();
  checkHeader(token, SESSION_START_TYPE, MAX_REQUEST_BYTES);
  const nowMs = (options.now ?? Date.now)();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: ALGORITHMS,
      typ: SESSION_START_TYPE,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      audience: options.url,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowMs),
      requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti', 'sid', 'sub', 'app', 'started_for', 'order'],
    }));
  } catch (error) {
    throw ticketErrorOf(error);
  }
  if (payload.aud !== options.url) throw new TicketError('domain', 'aud is not this callback URL alone');
  const iat = payload.iat ?? 0;
  if (iat > nowMs / 1000 + CLOCK_TOLERANCE_SECONDS) throw new TicketError('notYetValid', 'iat is in the future');
  const applicationId = stringClaim(payload, 'app');
  if (options.applicationId !== undefined && applicationId !== options.applicationId)
    throw new TicketError('domain', 'the request is for another application');
  const order = stringClaim(payload, 'order');
  if (!ORDERS.includes(order)) throw new TicketError('malformed', 'the claim order is not provider, starting or firstVisit');
  const group = payload.group;
  if (group !== undefined && (typeof group !== 'string' || group === ''))
    throw new TicketError('malformed', 'the claim group is not a string');
  const login = payload.login;
  if (typeof login !== 'string') throw new TicketError('malformed', 'the claim login is missing or not a string');
  return {
    requestId: stringClaim(payload, 'jti'),
    sessionHandle: stringClaim(payload, 'sid'),
    userId: stringClaim(payload, 'sub'),
    login,
    applicationId,
    startedFor: stringClaim(payload, 'started_for'),
    group: group ?? null,
    order: order as SessionStartOrder,
    issuedAt: iat * 1000,
    expiresAt: (payload.exp ?? 0) * 1000,
  };
}

/** The reply to send: status 200, `Content-Type: application/json`, and the body (at most 16 KiB, as ssod reads it). */
export interface SessionStartAnswer {
  readonly status: 200;
  readonly headers: { readonly 'Content-Type': 'application/json' };
  readonly body: string;
}

/** The reply that sets initial values of the application's own declared variables (none: an empty object). */
export function sessionStartAnswer(variables: Readonly<Record<string, string>> = {}): SessionStartAnswer {
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value !== 'string') throw new TypeError(`variable ${name}: a value is a string`);
  }
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ variables }) };
}
