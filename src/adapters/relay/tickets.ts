// The relay's two addresses for logon tickets (docs/tickets.md):
//   GET /relay/next?after=NAME&url=U[&session=1]  the way on after receiver NAME: a ticket for the next
//                                                receiver, or after the last one U (with the ssosid
//                                                of U's application first when session=1);
//   GET /relay/ticket?receiver=NAME&url=U         a receiver asks for a ticket of this browser's session:
//                                                to `<receiver url>ticket?ticket=T|none&next=U`.
// A ticket only ever goes to a configured receiver's own URL, never to one the request names. U is
// checked first: for /next an address of a registered application (or the page a pass-through
// sign-in ends on), for /ticket an https URL in the receiver's domain; anything else is a 400 page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { receiverNamed, receiversInOrder, type TicketReceiver } from '../../core/tickets.js';
import type { Services } from '../../core/services.js';
import { sessionOfCookie, type UnsealedSession } from '../../core/sessions.js';
import { originOfRedirectUrl } from '../../core/urls.js';
import { finalLocation, hopTo, receiverTicketLocation, ticketOrNull, type Destination } from './hops.js';
import type { Problem } from './messages.js';
import { SIGNED_IN_PATH } from './paths.js';
import {
  answerRelayRequest,
  logRelay,
  oneField,
  queryOf,
  redirect,
  refuse,
  registeredOrigin,
  relayCookieNames,
  relayCookieOf,
} from './responses.js';

export const NEXT_PATH = '/relay/next';
export const TICKET_PATH = '/relay/ticket';

/** A receiver's name as `ssod receivers add` takes it. */
const RECEIVER_NAME = /^[a-z0-9-]{1,63}$/;

/** What refuses a request: the page's problem and the log's outcome. */
interface Refused {
  readonly problem: Problem;
  readonly outcome: string;
}

function refused(problem: Problem, outcome: string = problem): Refused {
  return { problem, outcome };
}

function isRefused(value: object): value is Refused {
  return 'problem' in value;
}

/** The browser's relay cookie, and the live global session it is bound to (null without one). */
async function browserSession(
  services: Services,
  req: IncomingMessage,
  secure: boolean,
): Promise<{ cookie: string | null; found: UnsealedSession | null }> {
  const cookie = relayCookieOf(req.headers.cookie, relayCookieNames(secure).session);
  return { cookie, found: cookie === null ? null : await sessionOfCookie(services, cookie) };
}

/**
 * Where /next may send the browser in the end: an address of a registered application (as every url
 * of the relay), or the page that a pass-through sign-in ends on (ssod's own, or the one the operator
 * configured in passThroughSuccessUrl), which pass-through sends on through the receivers too.
 */
async function allowedDestination(services: Services, url: string): Promise<boolean> {
  if (url === SIGNED_IN_PATH) return true;
  const successUrl = services.settings.current().passThroughSuccessUrl;
  return (successUrl !== '' && url === successUrl) || (await registeredOrigin(services, url)) !== null;
}

interface NextQuery {
  readonly after: string;
  readonly destination: Destination;
}

async function nextQuery(services: Services, params: URLSearchParams): Promise<NextQuery | Refused> {
  const url = oneField(params, 'url');
  const after = oneField(params, 'after');
  const sessions = params.getAll('session');
  const session = sessions.length === 0 ? null : oneField(params, 'session');
  if (url === null || after === null || !RECEIVER_NAME.test(after) || (sessions.length > 0 && session !== '1')) return refused('badQuery');
  if (!(await allowedDestination(services, url))) return refused('unregisteredUrl');
  return { after, destination: { url, withSession: session === '1' } };
}

/** GET /relay/next. */
async function next(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean, requestId: string): Promise<void> {
  const log = (outcome: string, status: number, receiver?: string): void =>
    logRelay(services, { requestId, command: 'next', outcome, status, ...(receiver === undefined ? {} : { receiver }) });
  const query = await nextQuery(services, queryOf(req.url));
  if (isRefused(query)) {
    refuse(req, res, query.problem);
    log(query.outcome, 400);
    return;
  }
  const { cookie, found } = await browserSession(services, req, secure);
  const receiver = found === null ? undefined : (await receiversInOrder(services)).find((r) => r.name > query.after);
  const hop = found === null || receiver === undefined ? null : await hopTo(services, secure, receiver, found.session, query.destination);
  if (hop === null || receiver === undefined) {
    redirect(res, await finalLocation(services, query.destination, cookie));
    log(receiver === undefined && found !== null ? 'done' : 'noSession', 302);
    return;
  }
  redirect(res, hop);
  log('ticket', 302, receiver.name);
}

/** Whether url is an https URL whose host is the receiver's domain or inside it. */
function insideDomain(url: string, receiver: TicketReceiver): boolean {
  const origin = originOfRedirectUrl(url);
  return origin !== null && origin.scheme === 'https' && (origin.host === receiver.domain || origin.host.endsWith(`.${receiver.domain}`));
}

async function ticketQuery(services: Services, params: URLSearchParams): Promise<{ receiver: TicketReceiver; url: string } | Refused> {
  const name = oneField(params, 'receiver');
  const url = oneField(params, 'url');
  if (name === null || url === null) return refused('badQuery');
  const receiver = RECEIVER_NAME.test(name) ? await receiverNamed(services, name) : null;
  if (receiver === null) return refused('unknownReceiver');
  return insideDomain(url, receiver) ? { receiver, url } : refused('outsideReceiver');
}

/** GET /relay/ticket. */
async function ticket(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean, requestId: string): Promise<void> {
  const query = await ticketQuery(services, queryOf(req.url));
  if (isRefused(query)) {
    refuse(req, res, query.problem);
    logRelay(services, { requestId, command: 'ticket', outcome: query.outcome, status: 400 });
    return;
  }
  const { found } = await browserSession(services, req, secure);
  const issued = found === null ? null : await ticketOrNull(services, found.session, query.receiver);
  redirect(res, receiverTicketLocation(query.receiver, issued ?? 'none', query.url));
  logRelay(services, {
    requestId,
    command: 'ticket',
    outcome: issued === null ? 'none' : 'ok',
    receiver: query.receiver.name,
    status: 302,
  });
}

/** GET /relay/next and /relay/ticket; `secure` when the relay is served over HTTPS. */
export function handleTickets(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  route: string,
): Promise<void> {
  return answerRelayRequest(services, req, res, (requestId) =>
    route === NEXT_PATH ? next(services, req, res, secure, requestId) : ticket(services, req, res, secure, requestId),
  );
}
