// Pass-through authentication on the relay listener (docs/federation/pass-through.md):
//   POST /networking/passThroughAuth
// The organization's portal sends the browser here with the portal's session id and the user's login,
// as a SOAP 1.1 LJAuthenticate envelope (text/xml) or an HTML form (sessionID, loginID). The core asks
// the organization's authentication service (core/passThrough.ts); on its yes the browser gets the
// relay's cookie, as the relay's set-cookie gives it, and goes to the success page, otherwise to the
// error page. With pass-through off (no passThroughSource) the address answers as an unknown one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SsoError } from '../../core/errors.js';
import {
  failureLocation,
  passThrough,
  passThroughSourceName,
  successDestination,
  type PassThroughPages,
  type PassThroughRequest,
  type PassThroughResult,
} from '../../core/passThrough.js';
import type { Services } from '../../core/services.js';
import { parseXml, XmlRefusal, type XmlElement } from '../../infra/xml.js';
import { BodyTooLargeError, decodeForm, readBody } from '../http/body.js';
import { sendText } from '../http/http.js';
import type { Problem } from './messages.js';
import { continueThroughReceivers } from './hops.js';
import { SIGNED_IN_PATH, signInFailedPath } from './paths.js';
import { answerRelayRequest, logRelay, redirect, refuse, relayCookieNames, setCookieHeader } from './responses.js';

export const PASS_THROUGH_PATH = '/networking/passThroughAuth';

/** ssod's own pages that end a pass-through sign-in (outcomes.ts), relative to the relay listener that got the request. */
const PAGES: PassThroughPages = { signedIn: SIGNED_IN_PATH, signInFailed: signInFailedPath };

/** The largest body read: a form or an envelope of two short fields. */
const MAX_BODY_BYTES = 16 * 1024;
const MAX_LOGIN_LENGTH = 255;
const MAX_SESSION_ID_LENGTH = 2048;

const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The LJAuthenticate namespace (the web service's, src/infra/sources/webService.ts). */
const LJ_NS = 'urn:authentication.soap.ws.longjump.com';

// C0 controls and DEL: no login or session id holds one.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;

/**
 * A request refused before anything is asked: its status, what the page says (in the person's
 * language: a form that cannot be read, or one too large), its log outcome, and the reason for the log.
 */
class BadRequest extends Error {
  readonly status: number;
  readonly outcome: string;
  readonly problem: Problem;
  constructor(status: number, outcome: string, reason: string) {
    super(reason);
    this.name = 'BadRequest';
    this.status = status;
    this.outcome = outcome;
    this.problem = status === 413 ? 'tooLarge' : outcome === 'badContentType' || outcome === 'badEncoding' ? outcome : 'badForm';
  }
}

type BodyKind = 'soap' | 'form';

function bodyKindOf(contentType: string | undefined): BodyKind {
  const media = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'text/xml') return 'soap';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  throw new BadRequest(400, 'badContentType', 'Send an LJAuthenticate SOAP envelope as text/xml, or a form with loginID.');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function bodyText(req: IncomingMessage): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readBody(req, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new BadRequest(413, 'tooLarge', `The request is larger than ${MAX_BODY_BYTES} bytes.`);
    throw error;
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new BadRequest(400, 'badEncoding', 'The request is not UTF-8.');
  }
}

/** One field's value, trimmed; null when absent. Given twice, too long or with a control character, the request is refused. */
function fieldValue(name: string, values: readonly string[], maxLength: number): string | null {
  if (values.length > 1) throw new BadRequest(400, 'badField', `${name} is given more than once.`);
  const value = values[0]?.trim();
  if (value === undefined || value === '') return null;
  if (value.length > maxLength || CONTROL_CHARACTERS.test(value)) throw new BadRequest(400, 'badField', `${name} is not a valid value.`);
  return value;
}

/** The two fields, by whichever form they came in. */
function fieldsOf(values: (name: string) => readonly string[]): { sessionId: string | null; loginId: string } {
  const loginId = fieldValue('loginID', values('loginID'), MAX_LOGIN_LENGTH);
  if (loginId === null) throw new BadRequest(400, 'noLogin', 'loginID is required.');
  return { sessionId: fieldValue('sessionID', values('sessionID'), MAX_SESSION_ID_LENGTH), loginId };
}

function only(parent: XmlElement, ns: string, local: string, what: string): XmlElement {
  const found = parent.children.filter((child) => child.ns === ns && child.local === local);
  const [first] = found;
  if (found.length !== 1 || first === undefined) throw new BadRequest(400, 'badEnvelope', `The envelope must hold one ${what}.`);
  return first;
}

/** LJAuthenticate's fields from a SOAP 1.1 envelope read with the hardened XML reader; other elements are left alone. */
function soapFields(text: string): { sessionId: string | null; loginId: string } {
  let envelope: XmlElement;
  try {
    envelope = parseXml(text);
  } catch (error) {
    if (error instanceof XmlRefusal) throw new BadRequest(400, 'badXml', 'The request is not a readable XML document.');
    throw error;
  }
  if (envelope.ns !== SOAP11_NS || envelope.local !== 'Envelope') throw new BadRequest(400, 'badEnvelope', 'Send a SOAP 1.1 envelope.');
  const request = only(only(envelope, SOAP11_NS, 'Body', 'Body'), LJ_NS, 'LJAuthenticate', 'LJAuthenticate');
  // The fields in LJAuthenticate's namespace, or unqualified as some SOAP stacks write them.
  return fieldsOf((name) =>
    request.children.filter((child) => child.local === name && (child.ns === LJ_NS || child.ns === '')).map((child) => child.text),
  );
}

/**
 * The two fields of an HTML form; its other fields (a submit button's) are left alone. A field that
 * is not UTF-8 once percent-decoded is refused, never read with replacement characters (case F43).
 */
function formFields(text: string): { sessionId: string | null; loginId: string } {
  const form = decodeForm(Buffer.from(text, 'utf8'));
  if (form === null) throw new BadRequest(400, 'badEncoding', 'A field of the form is not UTF-8.');
  return fieldsOf((name) => form.getAll(name));
}

/** The host of the page that sent the browser: its Origin, else its Referer; '' when neither says. */
function originatingDomain(req: IncomingMessage): string {
  for (const header of [req.headers.origin, req.headers.referer]) {
    if (header === undefined || header === 'null') continue;
    try {
      const host = new URL(header).hostname;
      if (host !== '') return host;
    } catch {
      // Not a URL: the next header, or none.
    }
  }
  return '';
}

async function readRequest(req: IncomingMessage): Promise<PassThroughRequest> {
  const kind = bodyKindOf(req.headers['content-type']);
  const text = await bodyText(req);
  const fields = kind === 'soap' ? soapFields(text) : formFields(text);
  return { ...fields, originatingDomain: originatingDomain(req), address: req.socket.remoteAddress ?? '' };
}

/** POST /networking/passThroughAuth; `secure` when the relay is served over HTTPS (the cookie is then the relay's HTTPS one). */
export function handlePassThrough(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
  return answerRelayRequest(services, req, res, async (requestId) => {
    const log = (outcome: string, status: number, extra: Record<string, string> = {}): void =>
      logRelay(services, { requestId, command: 'passThrough', outcome, status, ...extra });
    const sourceName = passThroughSourceName(services);
    if (sourceName === null) {
      // Off: nothing here, as for any unknown address of the listener.
      sendText(res, 404, 'Not found.\n');
      log('off', 404);
      return;
    }
    let request: PassThroughRequest;
    try {
      request = await readRequest(req);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      refuse(req, res, error.problem, { status: error.status, ...(error.status === 413 ? { headers: { Connection: 'close' } } : {}) });
      log(error.outcome, error.status, { error: error.message });
      return;
    }
    const result = await passThroughOrRefusal(services, sourceName, request);
    if (result === null) {
      refuse(req, res, 'badForm');
      log('badLogin', 400, { error: 'loginID is not a login name.' });
      return;
    }
    if (result.ok) {
      await sendSignedIn(services, res, result, secure);
      log('ok', 302);
      return;
    }
    const { location, serviceUrl } = await failureLocation(services, result, PAGES);
    redirect(res, location);
    log(result.failure, 302, { reason: result.reason, serviceUrl });
  });
}

/** The relay's cookie, set as the relay's set-cookie sets it (relay.ts), and the way to the success page (through the receivers of logon tickets, hops.ts). */
async function sendSignedIn(
  services: Services,
  res: ServerResponse,
  result: Extract<PassThroughResult, { ok: true }>,
  secure: boolean,
): Promise<void> {
  const { session } = relayCookieNames(secure);
  const cookie = setCookieHeader(session, result.cookie.value, result.cookie.maxAgeSeconds, 'Lax', secure);
  const location = await continueThroughReceivers(services, secure, await successDestination(services, PAGES), result.cookie.value);
  redirect(res, location, { 'Set-Cookie': cookie });
}

/** The core's answer, or null for a loginID that cannot be a login (refused before anything is counted). */
async function passThroughOrRefusal(
  services: Services,
  sourceName: string,
  request: PassThroughRequest,
): Promise<PassThroughResult | null> {
  try {
    return await passThrough(services, sourceName, request);
  } catch (error) {
    if (error instanceof SsoError && error.code === 'invalidParameter') return null;
    throw error;
  }
}
