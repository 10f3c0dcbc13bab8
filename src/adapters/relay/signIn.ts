// ssod's own sign-in page on the relay listener (docs/sign-in-page.md):
//   GET  /login?url=U  the form, or at once back to U with ssosid when this browser is signed in;
//   POST /login        login, password, url and csrf: signs the person in, binds the relay cookie to
//                      this browser and sends it to U with ssosid, as the relay's get-session does.
// U must be an address of a registered application, as at /relay; anything else is a 400 page.
//
// Login CSRF: the form is bound to this browser by a double submit. GET sets a random value in an
// HttpOnly, SameSite=Strict cookie of the listener, the form carries a code derived from it
// (responses.ts formCode), and a POST without the pair, or one that Fetch Metadata or Origin says
// another site sent, is refused. A successful post replaces a live relay cookie of another user: the
// person typed that user's password, which is their consent to the switch (the relay's question of
// confirm.ts is for a token that arrives by a link).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signIn } from '../../core/authentication.js';
import { SsoError } from '../../core/errors.js';
import type { Actor } from '../../core/events.js';
import type { Services } from '../../core/services.js';
import { setOfUrl, userOfSet } from '../../core/groups.js';
import { localSessionForCookie, startBrowserSession } from '../../core/sessions.js';
import { withSsosid, type Origin } from '../../core/urls.js';
import { userByLoginOrId } from '../../core/users.js';
import { receiverOrigins } from './hops.js';
import { languageOf, type Language } from '../http/language.js';
import { messagesFor } from './messages.js';
import { displayAddress, markup, fill, sendPage, type Html, type Page } from './pages.js';
import { SIGN_IN_PATH } from './paths.js';
import { identityProviderLinks } from './saml.js';
import {
  answerRelayRequest,
  crossSite,
  formCode,
  logRelay,
  oneField,
  queryOf,
  readPostedForm,
  redirect,
  redirectSignedIn,
  refuse,
  registeredOrigin,
  relayCookieNames,
  relayCookieOf,
  sameCode,
  setCookieHeader,
} from './responses.js';

const FORM_LIMIT_BYTES = 8 * 1024;
/** How long a form stays good: a person who leaves it open longer gets "the form expired" and a fresh one. */
const FORM_COOKIE_MAX_AGE_SECONDS = 3600;
const FORM_CODE_PURPOSE = 'login';
/**
 * Who starts the session in the audit trail: the person at the browser, who has no certificate,
 * as for every other step of the relay (session.joined, a declined switch).
 */
const ACTOR: Actor = 'guest';

/** Another way to sign in, shown under the form: an identity provider's button. */
export interface SignInOption {
  readonly label: string;
  /** Where its button leads; it comes back to `url` once signed in. */
  readonly href: string;
}

/**
 * The identity providers configured for the sign-in page, for a person who will go on to `url`:
 * a button each, to /saml/login (saml.ts). With none, the page shows no "Other ways to sign in".
 */
export function identityProviders(services: Services, url: string): Promise<readonly SignInOption[]> {
  return identityProviderLinks(services, url);
}

/** What the form shows: where it goes on to, the code bound to this browser, and after a failure the login typed. */
interface FormState {
  readonly url: string;
  readonly origin: Origin;
  readonly code: string;
  readonly login: string;
  readonly failed: boolean;
}

function otherWays(language: Language, options: readonly SignInOption[]): Html {
  if (options.length === 0) return markup``;
  const items = options.map((option) => markup`<li><a href="${option.href}">${option.label}</a></li>`);
  return markup`<h2 id="other-ways">${messagesFor(language).signIn.otherWays}</h2>
<ul aria-labelledby="other-ways">${items}</ul>`;
}

/** The form; `via`: the receivers of logon tickets that its answer redirects through. */
function formPage(language: Language, state: FormState, options: readonly SignInOption[], via: readonly Origin[]): Page {
  const text = messagesFor(language).signIn;
  // After a failure the message is read out at once (role=alert), each field points to it, and the
  // password is the field to type again; otherwise the login is.
  const invalid = state.failed ? markup` aria-invalid="true" aria-describedby="sign-in-error"` : markup``;
  const focusLogin = !state.failed || state.login === '' ? markup` autofocus` : markup``;
  const focusPassword = focusLogin.markup === '' ? markup` autofocus` : markup``;
  const error = state.failed ? markup`<p id="sign-in-error" class="error" role="alert">${text.wrong}</p>` : markup``;
  return {
    language,
    title: text.title,
    formRedirectsTo: [state.origin, ...via],
    body: markup`<p class="next">${fill(text.then, { address: markup`<bdi>${displayAddress(state.origin)}</bdi>` })}</p>
${error}<form method="post" action="login" class="fields" id="sign-in-form">
<input type="hidden" name="csrf" value="${state.code}">
<input type="hidden" name="url" value="${state.url}">
<label for="login">${text.login}</label>
<input id="login" name="login" value="${state.login}" autocomplete="username" autocapitalize="none" spellcheck="false" required${invalid}${focusLogin}>
<label for="password">${text.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}${focusPassword}>
<button type="submit" class="primary">${text.submit}</button>
</form>
${otherWays(language, options)}`,
  };
}

/** The form, with the cookie that binds it to this browser (kept when the browser has one already, so two tabs both work). */
async function sendForm(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  state: Omit<FormState, 'code'>,
): Promise<void> {
  const name = relayCookieNames(secure).signInForm;
  const value = relayCookieOf(req.headers.cookie, name) ?? randomBytes(32).toString('base64url');
  const page = formPage(
    languageOf(req),
    { ...state, code: formCode(FORM_CODE_PURPOSE, value) },
    await identityProviders(services, state.url),
    await receiverOrigins(services),
  );
  sendPage(res, 200, page, { 'Set-Cookie': setCookieHeader(name, value, FORM_COOKIE_MAX_AGE_SECONDS, 'Strict', secure) });
}

/** GET and HEAD /login?url=U. */
async function showForm(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean, requestId: string): Promise<void> {
  const log = (outcome: string, status: number, origin?: Origin): void =>
    logRelay(services, { requestId, command: 'signInForm', outcome, status, ...(origin ? { origin: origin.baseUrl } : {}) });
  const url = oneField(queryOf(req.url), 'url');
  if (url === null) {
    refuse(req, res, 'badQuery');
    log('badQuery', 400);
    return;
  }
  const origin = await registeredOrigin(services, url);
  if (origin === null) {
    refuse(req, res, 'unregisteredUrl');
    log('unregisteredUrl', 400);
    return;
  }
  // Signed in already: answer as the relay's get-session command does (protocol §2.2.2).
  const cookie = relayCookieOf(req.headers.cookie, relayCookieNames(secure).session);
  const sessionId = cookie === null ? null : await localSessionForCookie(services, cookie, origin.baseUrl);
  if (sessionId !== null) {
    redirect(res, withSsosid(url, sessionId));
    log('signedInAlready', 302, origin);
    return;
  }
  await sendForm(services, req, res, secure, { url, origin, login: '', failed: false });
  log('form', 200, origin);
}

interface SignInForm {
  readonly login: string;
  readonly password: string;
  readonly url: string;
  readonly csrf: string;
}

function parseForm(form: URLSearchParams): SignInForm | null {
  const login = oneField(form, 'login');
  const password = oneField(form, 'password');
  const url = oneField(form, 'url');
  const csrf = oneField(form, 'csrf');
  return login === null || password === null || url === null || csrf === null ? null : { login, password, url, csrf };
}

/** Reads the posted form; null after answering a request that is not one. */
async function readForm(
  req: IncomingMessage,
  res: ServerResponse,
  log: (outcome: string, status: number) => void,
): Promise<SignInForm | null> {
  const fields = await readPostedForm(req, res, FORM_LIMIT_BYTES, log);
  const form = fields === null ? null : parseForm(fields);
  if (fields !== null && form === null) {
    refuse(req, res, 'badForm');
    log('badForm', 400);
  }
  return form;
}

/** The refusal of a post that is not this browser's own form: a fresh one is a link away. */
function refuseExpired(req: IncomingMessage, res: ServerResponse, url: string): void {
  const language = languageOf(req);
  const text = messagesFor(language);
  const again = `${SIGN_IN_PATH.slice(1)}?${new URLSearchParams({ url }).toString()}`;
  sendPage(res, 403, {
    language,
    title: text.problems.formExpired.title,
    body: markup`<p>${text.problems.formExpired.text}</p><p><a href="${again}">${text.signIn.backToForm}</a></p>`,
  });
}

/** POST /login. */
async function submit(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean, requestId: string): Promise<void> {
  const log = (outcome: string, status: number, origin?: Origin): void =>
    logRelay(services, { requestId, command: 'signIn', outcome, status, ...(origin ? { origin: origin.baseUrl } : {}) });
  const form = await readForm(req, res, log);
  if (form === null) return;
  const origin = await registeredOrigin(services, form.url);
  if (origin === null) {
    refuse(req, res, 'unregisteredUrl');
    log('unregisteredUrl', 400);
    return;
  }
  const names = relayCookieNames(secure);
  const bound = relayCookieOf(req.headers.cookie, names.signInForm);
  const fromHere = !crossSite(req);
  if (!fromHere || bound === null || !sameCode(form.csrf, formCode(FORM_CODE_PURPOSE, bound))) {
    refuseExpired(req, res, form.url);
    log(fromHere ? 'formExpired' : 'crossSite', 403, origin);
    return;
  }
  const again = { url: form.url, origin, login: form.login, failed: true };
  if (form.login === '' || form.password === '') {
    await sendForm(services, req, res, secure, again);
    log('incomplete', 200, origin);
    return;
  }
  // Counting, locks, the equal answer to every failure and the audit records are signIn's.
  const address = req.socket.remoteAddress ?? '';
  let cookie;
  try {
    // The session starts in the set of the application behind the url, for a user of it only (docs/groups.md).
    const set = await setOfUrl(services, origin.baseUrl);
    const user = await userOfSet(services, await userByLoginOrId(services, form.login, undefined), set);
    const signedIn = await signIn(services, {
      user,
      login: form.login,
      password: form.password,
      applicationId: null,
      address,
      originatingIp: address,
      baseUrl: undefined,
    });
    cookie = await startBrowserSession(services, signedIn.id, ACTOR, set, origin.baseUrl);
  } catch (error) {
    if (!(error instanceof SsoError)) throw error;
    await sendForm(services, req, res, secure, again);
    log('invalidCredentials', 200, origin);
    return;
  }
  await redirectSignedIn(services, res, secure, { url: form.url, cookie });
  log('signedIn', 302, origin);
}

/** GET, HEAD and POST /login; `secure` when the listener is served over HTTPS. */
export function handleSignIn(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
  return answerRelayRequest(services, req, res, (requestId) =>
    req.method === 'POST' ? submit(services, req, res, secure, requestId) : showForm(services, req, res, secure, requestId),
  );
}
