// The pages that end a sign-in which has nowhere else to go (docs/sign-in-page.md): the default
// success and failure pages of pass-through authentication, which redirects the browser here.
//   GET /signed-in[?url=U]               "You are signed in", with "Continue" to U when U is registered;
//   GET /sign-in-failed?reason=R[&url=U] why, in the person's words, with a way back to U's application.
// They say nothing of who is signed in, and decide nothing: they are pages to read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../core/services.js';
import type { Origin } from '../../core/urls.js';
import { languageOf } from '../http/language.js';
import { messagesFor } from './messages.js';
import { backLink, markup, noticePage, sendPage } from './pages.js';
import { SIGN_IN_FAILED_REASONS, type SignInFailedReason } from './paths.js';
import { answerRelayRequest, logRelay, oneField, queryOf, registeredOrigin } from './responses.js';

/** The `url` parameter and its application, when it is an address of a registered one; else null. */
async function registeredTarget(services: Services, params: URLSearchParams): Promise<{ url: string; origin: Origin } | null> {
  const url = oneField(params, 'url');
  const origin = url === null ? null : await registeredOrigin(services, url);
  return url === null || origin === null ? null : { url, origin };
}

function reasonOf(params: URLSearchParams): SignInFailedReason {
  const reason = oneField(params, 'reason');
  return SIGN_IN_FAILED_REASONS.find((known) => known === reason) ?? 'failed';
}

/** GET and HEAD /signed-in. */
export function handleSignedIn(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return answerRelayRequest(services, req, res, async (requestId) => {
    const target = await registeredTarget(services, queryOf(req.url));
    const language = languageOf(req);
    const text = messagesFor(language).signedIn;
    const onward = target === null ? null : markup`<p><a href="${target.url}">${text.continue}</a></p>`;
    sendPage(res, 200, noticePage(language, text, onward));
    logRelay(services, { requestId, command: 'signedInPage', outcome: target === null ? 'shown' : 'continue', status: 200 });
  });
}

/** GET and HEAD /sign-in-failed. */
export function handleSignInFailed(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return answerRelayRequest(services, req, res, async (requestId) => {
    const params = queryOf(req.url);
    const reason = reasonOf(params);
    const target = await registeredTarget(services, params);
    const language = languageOf(req);
    const messages = messagesFor(language);
    sendPage(res, 200, noticePage(language, messages.failed[reason], target === null ? null : backLink(messages, target.origin)));
    logRelay(services, { requestId, command: 'signInFailedPage', outcome: reason, status: 200 });
  });
}
