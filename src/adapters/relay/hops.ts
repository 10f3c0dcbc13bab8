// The way through the receivers of logon tickets (docs/tickets.md "After a sign-in: through every
// receiver"): wherever the relay sets its cookie (the set-cookie command, the sign-in page, SAML,
// pass-through, the answer to the switch question), the browser goes to the first receiver with a
// ticket, and each receiver sends it back to `<relay>/next` for the next one, until the last sends it
// on to where it was going. With no receiver configured, the answer is the relay's as ever.
import { SsoError } from '../../core/errors.js';
import { issueTicket, NoSigningKeyError, receiversInOrder, type TicketReceiver } from '../../core/tickets.js';
import type { Services } from '../../core/services.js';
import { localSessionForCookie, sessionOfCookie } from '../../core/sessions.js';
import type { GlobalSessionRecord } from '../../core/store/index.js';
import { originOfRedirectUrl, relayEndpointUrl, withSsosid, type Origin } from '../../core/urls.js';

/** Where the browser goes in the end. */
export interface Destination {
  readonly url: string;
  /** Add the ssosid of url's application last, as the get-session command does (a sign-in that ends with one). */
  readonly withSession: boolean;
}

/**
 * The end of the way: `url`, with the ssosid of its application when asked (`none` without a live
 * session bound to `cookie`). Only here is a local session id made, so none passes a receiver.
 */
export async function finalLocation(services: Services, destination: Destination, cookie: string | null): Promise<string> {
  if (!destination.withSession) return destination.url;
  const origin = originOfRedirectUrl(destination.url);
  const sessionId = origin === null || cookie === null ? null : await localSessionForCookie(services, cookie, origin.baseUrl);
  return withSsosid(destination.url, sessionId ?? 'none');
}

/** The receivers' origins: a form whose answer sets the relay cookie redirects through them (its form-action, pages.ts). */
export async function receiverOrigins(services: Services): Promise<Origin[]> {
  return (await receiversInOrder(services)).map((receiver) => originOfRedirectUrl(receiver.url)).filter((origin) => origin !== null);
}

/** `<receiver url>ticket?ticket=T&next=N`: only ever the configured receiver's own URL. */
export function receiverTicketLocation(receiver: TicketReceiver, ticket: string, next: string): string {
  return `${receiver.url}ticket?${new URLSearchParams({ ticket, next }).toString()}`;
}

/** The relay's `/relay/next` for the receivers after `after`, as the relay's own URL (what getSettings reports). */
function nextLocation(services: Services, secure: boolean, after: string, destination: Destination): string {
  const relay = relayEndpointUrl(services.settings.current().hostname, services.options.relayPort, secure);
  const query = new URLSearchParams({ after, url: destination.url, ...(destination.withSession ? { session: '1' } : {}) });
  return `${relay}/next?${query.toString()}`;
}

/**
 * A ticket of the session for the receiver; null when the session has ended meanwhile (or its user
 * was disabled), and when no key can sign (the operator revoked them all): then the browser goes on
 * as without a session there, and the log says what the operator must do.
 */
export async function ticketOrNull(services: Services, session: GlobalSessionRecord, receiver: TicketReceiver): Promise<string | null> {
  try {
    return await issueTicket(services, session, receiver);
  } catch (error) {
    if (error instanceof SsoError && error.code === 'noSuchSession') return null;
    if (!(error instanceof NoSigningKeyError)) throw error;
    services.log.error('no logon ticket issued', { receiver: receiver.name, error: error.message });
    return null;
  }
}

/** To `receiver` with a ticket of the session, which comes back to the relay for the receivers after it; null without a ticket. */
export async function hopTo(
  services: Services,
  secure: boolean,
  receiver: TicketReceiver,
  session: GlobalSessionRecord,
  destination: Destination,
): Promise<string | null> {
  const ticket = await ticketOrNull(services, session, receiver);
  return ticket === null ? null : receiverTicketLocation(receiver, ticket, nextLocation(services, secure, receiver.name, destination));
}

/**
 * Where a browser goes whose relay cookie (`cookie`, its value) this answer sets: through the first
 * receiver when any is configured, else straight to the destination. The one path of every place
 * that sets the cookie.
 */
export async function continueThroughReceivers(
  services: Services,
  secure: boolean,
  destination: Destination,
  cookie: string,
): Promise<string> {
  const [first] = await receiversInOrder(services);
  const found = first === undefined ? null : await sessionOfCookie(services, cookie);
  const hop = first === undefined || found === null ? null : await hopTo(services, secure, first, found.session, destination);
  return hop ?? finalLocation(services, destination, cookie);
}
