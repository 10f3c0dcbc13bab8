// Login CSRF (docs/SECURITY.md, case F48): a browser with a live relay cookie of one user that
// arrives with a relay token of another (an attacker's own token sent to a victim) is not switched
// silently. The token is consumed at once, so the link works only once; the new session is bound to
// a pending value kept in an HttpOnly, SameSite=Strict cookie of this browser, and a page asks the
// person whether to continue as the new user or stay. The page's form carries only a code derived
// from that pending value, so only this browser's own page can confirm, once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindCookie, declineSession, sessionOfCookie, type UnsealedSession } from '../../core/sessions.js';
import type { Services } from '../../core/services.js';
import type { Origin } from '../../core/urls.js';
import { continueThroughReceivers, receiverOrigins } from './hops.js';
import { languageOf, type Language } from '../http/language.js';
import { messagesFor } from './messages.js';
import { displayAddress, fill, markup, sendPage, type Html, type Page } from './pages.js';
import {
  crossSite,
  formCode,
  logRelay,
  oneField,
  readPostedForm,
  redirect,
  refuse,
  registeredOrigin,
  relayCookieOf,
  sameCode,
  setCookieHeader,
  type RelayCookieNames,
  relayCookieNames,
} from './responses.js';

/** How long the browser keeps a pending confirmation: time enough to read the page. */
const PENDING_MAX_AGE_SECONDS = 600;
const FORM_LIMIT_BYTES = 4096;

/** What the form carries: derived from the pending value, which only this browser's cookie holds. */
function confirmationCode(pending: string): string {
  return formCode('confirm', pending);
}

/** A login as page text: escaped, and isolated so that bidirectional controls in it cannot reorder the sentence. */
function who(login: string): Html {
  return markup`<bdi class="who">${login}</bdi>`;
}

interface Question {
  readonly currentLogin: string;
  readonly nextLogin: string;
  readonly url: string;
  readonly origin: Origin;
  readonly code: string;
  /** The receivers of logon tickets that a switch redirects through (hops.ts). */
  readonly via: readonly Origin[];
}

function page(language: Language, question: Question): Page {
  const text = messagesFor(language).confirm;
  const logins = { current: who(question.currentLogin), next: who(question.nextLogin) };
  const address = markup`<bdi>${displayAddress(question.origin)}</bdi>`;
  return {
    language,
    title: text.title,
    formRedirectsTo: [question.origin, ...question.via],
    body: markup`<p>${fill(text.current, logins)}</p>
<p>${fill(text.asks, logins)}</p>
<p class="warn">${fill(text.warning, logins)}</p>
<form method="post" action="relay">
<input type="hidden" name="url" value="${question.url}">
<input type="hidden" name="confirm" value="${question.code}">
<button type="submit" name="choice" value="stay" class="primary" autofocus>${fill(text.stay, logins)}</button>
<button type="submit" name="choice" value="switch" class="secondary">${fill(text.switch, logins)}</button>
</form>
<p class="next">${fill(text.after, { address })}</p>`,
  };
}

export interface SwitchRequest {
  readonly url: string;
  readonly origin: Origin;
  /** The session of the browser's relay cookie. */
  readonly current: UnsealedSession;
  /** The session of the relay token, already consumed. */
  readonly next: UnsealedSession;
  readonly names: RelayCookieNames;
  readonly secure: boolean;
}

/** Answers the token with the page that asks; the token's session waits under a pending value of this browser. */
export async function askToSwitch(services: Services, req: IncomingMessage, res: ServerResponse, request: SwitchRequest): Promise<void> {
  const pending = await bindCookie(services, request.next);
  const [currentUser, nextUser] = await Promise.all([
    services.store.getUser(request.current.session.userId),
    services.store.getUser(request.next.session.userId),
  ]);
  const question = {
    currentLogin: currentUser?.login ?? '',
    nextLogin: nextUser?.login ?? '',
    url: request.url,
    origin: request.origin,
    code: confirmationCode(pending.value),
    via: await receiverOrigins(services),
  };
  const maxAge = Math.min(PENDING_MAX_AGE_SECONDS, pending.maxAgeSeconds);
  sendPage(res, 200, page(languageOf(req), question), {
    'Set-Cookie': setCookieHeader(request.names.pending, pending.value, maxAge, 'Strict', request.secure),
  });
}

interface Choice {
  readonly url: string;
  readonly confirm: string;
  readonly choice: 'stay' | 'switch';
}

function parseForm(form: URLSearchParams): Choice | null {
  const [url, confirm, choice] = [oneField(form, 'url'), oneField(form, 'confirm'), oneField(form, 'choice')];
  if (url === null || confirm === null || (choice !== 'stay' && choice !== 'switch')) return null;
  return { url, confirm, choice };
}

/** POST /relay: the person's answer to the page of askToSwitch. */
export async function handleConfirmation(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  requestId: string,
): Promise<void> {
  const names = relayCookieNames(secure);
  const clearPending = { 'Set-Cookie': setCookieHeader(names.pending, '', 0, 'Strict', secure) };
  const log = (outcome: string, status: number): void => logRelay(services, { requestId, command: 'confirm', outcome, status });
  const fields = await readPostedForm(req, res, FORM_LIMIT_BYTES, log);
  if (fields === null) return;
  const form = parseForm(fields);
  const origin = form === null ? null : await registeredOrigin(services, form.url);
  if (form === null || origin === null) {
    refuse(req, res, 'badForm', { headers: clearPending });
    log('badForm', 400);
    return;
  }
  const pending = relayCookieOf(req.headers.cookie, names.pending);
  const found =
    pending === null || crossSite(req) || !sameCode(form.confirm, confirmationCode(pending))
      ? null
      : await sessionOfCookie(services, pending);
  if (found === null) {
    refuse(req, res, 'notAsked', { status: 403, headers: clearPending, back: origin });
    log('refused', 403);
    return;
  }
  if (form.choice === 'stay') {
    await declineSession(services, found.session);
    redirect(res, form.url, clearPending);
    log('stayed', 302);
    return;
  }
  // A fresh cookie value: the pending one stops working, so the answer counts once.
  const bound = await bindCookie(services, found);
  const location = await continueThroughReceivers(services, secure, { url: form.url, withSession: false }, bound.value);
  redirect(res, location, {
    'Set-Cookie': [setCookieHeader(names.session, bound.value, bound.maxAgeSeconds, 'Lax', secure), clearPending['Set-Cookie']],
  });
  log('switched', 302);
}
