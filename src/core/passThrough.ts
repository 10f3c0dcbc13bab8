// Pass-through authentication (docs/federation/pass-through.md): the browser comes from the portal of
// the user's organization with the portal's session id and the user's login, and the organization's
// authentication service (the web service source named by the passThroughSource setting) says
// whether that session is the user's. A yes for an existing, enabled user with single sign-on starts
// a browser session, as a sign-in does; anything else is refused, with the reason the browser is
// sent on with and an audit record of the precise cause.
//
// Brute-force protection is a sign-in's (core/authentication.ts guardedCheck, core/throttle.ts): the
// attempt is counted under the login and the browser's address before the service is asked, and a
// locked one is refused without asking it. The address is the connection's, which the browser cannot
// choose. Where the browser goes afterwards is decided here too, so that no reply of the service can
// send it anywhere but an allowed origin (no open redirect).
import { SsoError } from './errors.js';
import { observeOnly } from './audit.js';
import { facts, guardedCheck, SOURCE_FAILURES, type SignIn, type SignInFailure } from './authentication.js';
import { publish } from './events.js';
import type { SourceVerdict } from './ports/authenticator.js';
import type { Services } from './services.js';
import { setOfUrl, userOfSet } from './groups.js';
import { startBrowserSession, type SessionCookie } from './sessions.js';
import type { UserRecord } from './store/index.js';
import { addressSourceKey, loginThrottleKey } from './throttle.js';
import { originOfRedirectUrl, relayEndpointUrl, withQueryParameter, type Origin } from './urls.js';
import { loginKeyOf } from './users.js';

/** Why the browser is sent to the error page, in words a person can be told: `reason` of its query. */
export type PassThroughReason = 'failed' | 'unavailable' | 'notAllowed';

/**
 * Each failure's reason. A lock reads as any failure, as a locked sign-in answers like a wrong
 * password; a service that answered garbage is as unusable as one that did not answer.
 */
const REASONS: Readonly<Record<SignInFailure, PassThroughReason>> = {
  sourceRejected: 'failed',
  loginMismatch: 'failed',
  locked: 'failed',
  wrongPassword: 'failed',
  passwordTooLong: 'failed',
  sourceUnavailable: 'unavailable',
  sourceMalformed: 'unavailable',
  unknownUser: 'notAllowed',
  disabled: 'notAllowed',
  notSingleSignOn: 'notAllowed',
};

/** One pass-through request as the relay listener read it. */
export interface PassThroughRequest {
  /** The portal's session id; null when the request carried none. */
  readonly sessionId: string | null;
  /** The user's login, as the portal gave it. */
  readonly loginId: string;
  /** The host of the page that sent the browser (its Origin, else its Referer), or ''. */
  readonly originatingDomain: string;
  /** The browser's address: the connection's. */
  readonly address: string;
}

export type PassThroughResult =
  | { readonly ok: true; readonly user: UserRecord; readonly cookie: SessionCookie }
  | {
      readonly ok: false;
      /** startCallbackRefused: an On Session Start callback under the policy fail refused the new session. */
      readonly failure: SignInFailure | 'startCallbackRefused';
      readonly reason: PassThroughReason;
      /** The service's redirectOnErrorURL, untrusted (failureLocation allows it only on an allowed origin). */
      readonly redirectOnErrorUrl: string | null;
    };

/** The web service source that answers pass-through, or null when pass-through is off. */
export function passThroughSourceName(services: Pick<Services, 'settings'>): string | null {
  const name = services.settings.current().passThroughSource;
  return name === '' ? null : name;
}

/**
 * What the service's answer comes to: the user to sign in, or the failure (with the user it named,
 * when there is one, and the source's cause for the audit trail).
 */
type Vouched =
  | { readonly user: UserRecord; readonly failure?: undefined }
  | { readonly failure: SignInFailure; readonly refusedUser?: UserRecord; readonly source?: SourceVerdict };

/** The user the answer named, signed in or refused; null when it named none. */
function namedUser(vouched: Vouched | null): UserRecord | null {
  if (vouched === null) return null;
  return vouched.failure === undefined ? vouched.user : (vouched.refusedUser ?? null);
}

/**
 * The user the service's loginID names, when it is the login the request asked for (compared as
 * logins are: case and width variants are one login), and may be signed in by pass-through: it
 * exists, is enabled, and has single sign-on (its password is the organization's too).
 */
async function vouchedUser(services: Services, requestedKey: string, loginId: string): Promise<Vouched> {
  let key: string;
  try {
    key = loginKeyOf(loginId);
  } catch {
    return { failure: 'loginMismatch' };
  }
  if (key !== requestedKey) return { failure: 'loginMismatch' };
  // Only a user of the set the session starts in; another is refused as unknown (docs/groups.md).
  const user = await userOfSet(services, await services.store.findUserByLoginKey(key), await setOfPassThrough(services));
  if (user === null) return { failure: 'unknownUser' };
  if (user.sourceName === null) return { failure: 'notSingleSignOn', refusedUser: user };
  if (user.disabledAt !== null) return { failure: 'disabled', refusedUser: user };
  return { user };
}

/** Asks the service once; every way it can fail is a failure with the source's cause and detail for the audit trail. */
async function askService(
  services: Services,
  sourceName: string,
  request: PassThroughRequest,
  requestedKey: string,
  onErrorUrl: (url: string) => void,
): Promise<Vouched> {
  const source = await services.sources.passThroughSource(sourceName);
  if (source === null) {
    const detail = 'no web service source of this name is configured (the passThroughSource setting)';
    return { failure: 'sourceUnavailable', source: { source: sourceName, cause: 'unavailable', detail } };
  }
  const answer = await source.checkPassThrough({
    sessionId: request.sessionId,
    loginId: request.loginId,
    originatingDomain: request.originatingDomain,
    originatingIp: request.address,
  });
  if (answer.ok) return vouchedUser(services, requestedKey, answer.loginId);
  if (answer.redirectOnErrorUrl !== undefined) onErrorUrl(answer.redirectOnErrorUrl);
  return { failure: SOURCE_FAILURES[answer.cause], source: { source: sourceName, cause: answer.cause, detail: answer.detail } };
}

/**
 * One pass-through sign-in through the source `sourceName` (passThroughSourceName). Throws
 * SsoError invalidParameter, before anything is counted or asked, when the loginID cannot be a login.
 */
export async function passThrough(services: Services, sourceName: string, request: PassThroughRequest): Promise<PassThroughResult> {
  const requestedKey = loginKeyOf(request.loginId);
  const keys = { login: loginThrottleKey(requestedKey), sources: [addressSourceKey(request.address)] };
  // What the check learnt, beyond its failure: the user the service vouched for, and where it would send the browser.
  const learnt: { vouched: Vouched | null; redirectOnErrorUrl: string | null } = { vouched: null, redirectOnErrorUrl: null };
  // What the events say: the user once known, else the login the request named.
  const attempt = (user: UserRecord | null): SignIn => ({ user, login: request.loginId, applicationId: null, address: request.address });
  const failure = await guardedCheck(
    services,
    // No password: a lock's refusal has nothing to hash.
    { keys, actor: 'guest', password: '' },
    async () => {
      const vouched = await askService(services, sourceName, request, requestedKey, (url) => (learnt.redirectOnErrorUrl = url));
      learnt.vouched = vouched;
      return vouched.failure === undefined
        ? { failure: null, hashed: false }
        : { failure: vouched.failure, hashed: false, ...(vouched.source !== undefined ? { source: vouched.source } : {}) };
    },
    (reason, checked) =>
      publish(services, {
        type: 'authentication.failed',
        actor: 'guest',
        outcome: reason,
        ...facts(attempt(namedUser(learnt.vouched)), 'passThrough'),
        ...(checked.source !== undefined ? { source: checked.source.source, sourceDetail: checked.source.detail } : {}),
      }),
  );
  const user = namedUser(learnt.vouched);
  if (failure !== null || user === null) {
    const refused = failure ?? 'unknownUser';
    if (refused === 'locked') observeOnly({ type: 'authentication.failed', actor: 'guest', target: keys.login, outcome: refused });
    return { ok: false, failure: refused, reason: REASONS[refused], redirectOnErrorUrl: learnt.redirectOnErrorUrl };
  }
  await publish(services, { type: 'authentication.succeeded', actor: 'guest', ...facts(attempt(user), 'passThrough') });
  const destination = originOfRedirectUrl(services.settings.current().passThroughSuccessUrl);
  let cookie: SessionCookie;
  try {
    cookie = await startBrowserSession(services, user.id, 'guest', await setOfPassThrough(services), destination?.baseUrl ?? null);
  } catch (error) {
    // An On Session Start callback refused the session (docs/groups.md): the person may not go on.
    if (!(error instanceof SsoError)) throw error;
    return { ok: false, failure: 'startCallbackRefused', reason: 'notAllowed', redirectOnErrorUrl: learnt.redirectOnErrorUrl };
  }
  return { ok: true, user, cookie };
}

/** The set a pass-through session starts in: that of the application behind passThroughSuccessUrl (docs/groups.md). */
async function setOfPassThrough(services: Services): Promise<string | null> {
  const origin = originOfRedirectUrl(services.settings.current().passThroughSuccessUrl);
  return origin === null ? null : setOfUrl(services, origin.baseUrl);
}

/** ssod's own pages that end a pass-through sign-in when the operator set no URL: paths on the relay listener. */
export interface PassThroughPages {
  readonly signedIn: string;
  readonly signInFailed: (reason: PassThroughReason) => string;
}

/** The relay's own origin, as the host name setting and this node's relay listener make it. */
function relayOrigin(services: Pick<Services, 'settings' | 'options'>): Origin | null {
  const { hostname } = services.settings.current();
  return originOfRedirectUrl(relayEndpointUrl(hostname, services.options.relayPort, services.options.relayTls === 'on'));
}

/**
 * Where the browser goes after a pass-through sign-in: the passThroughSuccessUrl setting, or ssod's
 * own page. On a registered application's origin the URL is to get that application's local session
 * id (`ssosid`, withSession), as the relay's get-session (Open Fusion SSO protocol, section 2.2.2)
 * gives it; the relay adds it last, after the receivers of logon tickets.
 */
export async function successDestination(services: Services, pages: PassThroughPages): Promise<{ url: string; withSession: boolean }> {
  const url = services.settings.current().passThroughSuccessUrl;
  if (url === '') return { url: pages.signedIn, withSession: false };
  const origin = originOfRedirectUrl(url);
  return { url, withSession: origin !== null && (await services.store.hasApplicationUrl(origin.baseUrl)) };
}

/**
 * Where the browser goes after a failed one: the service's redirectOnErrorURL when its origin is a
 * registered application's or the error page's (passThroughErrorUrl's, or the relay's own for ssod's
 * page); otherwise the error page with `reason`. A URL of any other origin is ignored: the service's
 * reply, or whoever tampers with it, cannot send the browser elsewhere.
 */
export async function failureLocation(
  services: Services,
  failed: { readonly reason: PassThroughReason; readonly redirectOnErrorUrl: string | null },
  pages: PassThroughPages,
): Promise<{ readonly location: string; readonly serviceUrl: 'used' | 'refused' | 'none' }> {
  const errorUrl = services.settings.current().passThroughErrorUrl;
  const errorPage = errorUrl === '' ? pages.signInFailed(failed.reason) : withQueryParameter(errorUrl, 'reason', failed.reason);
  if (failed.redirectOnErrorUrl === null) return { location: errorPage, serviceUrl: 'none' };
  const origin = originOfRedirectUrl(failed.redirectOnErrorUrl);
  const errorOrigin = errorUrl === '' ? relayOrigin(services) : originOfRedirectUrl(errorUrl);
  const allowed = origin !== null && (origin.baseUrl === errorOrigin?.baseUrl || (await services.store.hasApplicationUrl(origin.baseUrl)));
  return allowed ? { location: failed.redirectOnErrorUrl, serviceUrl: 'used' } : { location: errorPage, serviceUrl: 'refused' };
}
