// An organization's LJAuthenticate web service as a delegated source (docs/FEDERATION.md, "The
// LJAuthenticate web service"): one SOAP 1.1 POST per question to the URL the operator configured,
// over verified TLS (tls.ts), within the connect timeout and the whole-call deadline, reading at most
// 64 KiB of reply with ssod's hardened XML reader (no DOCTYPE, no entities). The transport rules are
// those of docs/SECURITY.md section E (case E36). Nothing is retried and nothing is cached: every
// password check asks the service once.
//
// What the far side did is always an answer, never a throw (core/ports/delegated.ts):
// - unavailable: not an https URL, connection refused or reset, TLS refused (untrusted certificate,
//   wrong host name, wrong pin), a timeout, an HTTP status other than 200, a redirect;
// - malformed: a reply over the size limit, not UTF-8, not XML, refused by the reader (a DOCTYPE),
//   not a SOAP 1.1 envelope, no LJAuthenticateResponse, no status, a repeated field;
// - rejected: the service answered, with any status other than exactly the success word, or with a
//   SOAP Fault in a 200 reply (the service was asked and did not say yes; a fault sent the SOAP 1.1
//   way, with HTTP 500, is `unavailable` like any other 500).
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { unbracketed } from '../../core/hosts.js';
import type {
  DelegatedPasswordCheck,
  PassThroughAnswer,
  PassThroughCheck,
  PassThroughSource,
  SourceAnswer,
  SourceFailure,
  TransportSettings,
  WebServiceSettings,
} from '../../core/ports/delegated.js';
import type { Logger } from '../../core/ports/logger.js';
import { escapeXmlText, parseXml, quoteInput, XmlRefusal, type XmlElement } from '../xml.js';
import { sourceTlsOptions } from './tls.js';

export const LJ_NAMESPACE = 'urn:authentication.soap.ws.longjump.com';
const SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The largest reply read; the connection is dropped as soon as more arrives. */
export const MAX_REPLY_BYTES = 64 * 1024;
/** The longest redirectOnErrorURL passed up; a longer one is left out. */
export const MAX_REDIRECT_URL_LENGTH = 2048;
const PASSWORD_SUCCESS = 'Authenticated';
const PASS_THROUGH_SUCCESS = 'AUTHENTICATED';

interface Failure {
  readonly ok: false;
  readonly cause: SourceFailure;
  readonly detail: string;
}

function failure(cause: SourceFailure, detail: string): Failure {
  return { ok: false, cause, detail };
}

// ---------------------------------------------------------------------------------------------
// The endpoint: the operator's URL, checked once when the source opens

interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

function endpointOf(url: string): Endpoint | Failure {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return failure('unavailable', 'the configured URL is not a URL');
  }
  if (parsed.protocol === 'http:') return failure('unavailable', 'plain HTTP is not allowed');
  if (parsed.protocol !== 'https:') return failure('unavailable', 'only https URLs are allowed');
  if (parsed.username !== '' || parsed.password !== '') return failure('unavailable', 'credentials in the URL are not allowed');
  return {
    host: unbracketed(parsed.hostname),
    port: parsed.port === '' ? 443 : Number(parsed.port),
    path: `${parsed.pathname}${parsed.search}`,
  };
}

// ---------------------------------------------------------------------------------------------
// The requests (every value escaped)

function envelope(fields: readonly (readonly [name: string, value: string | null])[]): string {
  const children = fields.map(([name, value]) => (value === null ? `<${name}/>` : `<${name}>${escapeXmlText(value)}</${name}>`)).join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8" ?>',
    `<soapenv:Envelope xmlns:soapenv="${SOAP11_NAMESPACE}">`,
    '<soapenv:Body>',
    `<LJAuthenticate xmlns="${LJ_NAMESPACE}">`,
    children,
    '</LJAuthenticate>',
    '</soapenv:Body>',
    '</soapenv:Envelope>',
  ].join('\n');
}

export function passwordEnvelope(check: DelegatedPasswordCheck): string {
  return envelope([
    ['username', check.login],
    ['password', check.password],
    ['originatingIp', check.originatingIp],
  ]);
}

export function passThroughEnvelope(check: PassThroughCheck): string {
  return envelope([
    ['sessionID', check.sessionId],
    ['originatingDomain', check.originatingDomain],
    ['originatingIp', check.originatingIp],
    ['loginID', check.loginId],
  ]);
}

// ---------------------------------------------------------------------------------------------
// The exchange: one POST, its reply read within the limits, the socket destroyed whatever happens

const NETWORK_ERRORS: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ECONNRESET', 'connection reset'],
  ['EPIPE', 'connection closed'],
  ['ENOTFOUND', 'host not found'],
  ['EAI_AGAIN', 'host not found'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['ETIMEDOUT', 'connection timed out'],
]);

const TLS_ERRORS: ReadonlyMap<string, string> = new Map([
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'the certificate does not name the host'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'certificate not trusted'],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'certificate not trusted'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'certificate not trusted'],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'certificate not trusted'],
  ['CERT_HAS_EXPIRED', 'certificate expired'],
  ['CERT_NOT_YET_VALID', 'certificate not yet valid'],
]);

/** A short, log-safe reason for a request error; before the TLS handshake ended, it is a TLS refusal. */
function errorDetail(error: Error, secured: boolean): string {
  const code = (error as NodeJS.ErrnoException).code;
  const network = code === undefined ? undefined : NETWORK_ERRORS.get(code);
  if (network !== undefined) return network;
  if (secured) return `connection error${code === undefined ? '' : ` ${code}`}`;
  if (code === undefined) return `TLS: ${quoteInput(error.message)}`; // the pin check's own error (tls.ts)
  const known = TLS_ERRORS.get(code);
  return known === undefined ? `TLS: ${code}` : `TLS: ${known} (${code})`;
}

/**
 * For an IP address, no SNI (RFC 6066 forbids an address there, and Node warns about one): an empty
 * servername, and Node checks the certificate against the host, the address, instead.
 */
function requestTlsOptions(settings: TransportSettings, host: string): https.RequestOptions {
  const options = sourceTlsOptions(settings, host);
  return isIP(host) === 0 ? options : { ...options, servername: '' };
}

/** Either the reply's text or why there is none. */
type Exchange = { readonly ok: true; readonly text: string } | Failure;

type Finish = (outcome: Exchange) => void;

function decodeReply(bytes: Buffer): Exchange {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return failure('malformed', 'the reply is not UTF-8');
  }
}

/** Why the reply is not read at all: a redirect (never followed), another status than 200, a declared size over the limit. */
function refusalOfHead(response: IncomingMessage): Failure | null {
  const status = response.statusCode ?? 0;
  if (status >= 300 && status < 400) return failure('unavailable', 'redirect refused');
  if (status !== 200) return failure('unavailable', `HTTP ${status}`);
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > MAX_REPLY_BYTES) return failure('malformed', `the reply is over ${MAX_REPLY_BYTES} bytes`);
  return null;
}

/** Reads a 200 reply up to the size limit; anything else ends the exchange before a byte of body is read. */
function readReply(response: IncomingMessage, finish: Finish): void {
  response.on('error', () => undefined); // a reply cut short is reported by 'close' below
  const refused = refusalOfHead(response);
  if (refused !== null) {
    finish(refused);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REPLY_BYTES) finish(failure('malformed', `the reply is over ${MAX_REPLY_BYTES} bytes`));
    else chunks.push(chunk);
  });
  response.once('end', () => finish(decodeReply(Buffer.concat(chunks))));
  // After 'end' this changes nothing; before it, the connection went away in the middle of the reply.
  response.once('close', () => finish(failure('unavailable', 'the connection closed before the reply ended')));
}

interface Call {
  readonly endpoint: Endpoint;
  readonly settings: TransportSettings;
  readonly body: string;
}

/**
 * One POST. It settles exactly once: with the reply, at an error, at the connect timeout (socket
 * created to TLS established), or at the whole-call deadline; and each way the request and its
 * socket are destroyed, so a reply that never ends or drips forever holds nothing afterwards.
 * `track` registers a function that ends the call at once (close() calls it) and returns its removal.
 */
function exchange(call: Call, track: (abort: () => void) => () => void): Promise<Exchange> {
  const { endpoint, settings } = call;
  const payload = Buffer.from(call.body, 'utf8');
  return new Promise((resolve) => {
    const request: ClientRequest = https.request({
      ...requestTlsOptions(settings, endpoint.host),
      host: endpoint.host,
      port: endpoint.port,
      path: endpoint.path,
      method: 'POST',
      // No pooling: one connection per call, closed after it.
      agent: false,
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        'Content-Length': String(payload.length),
        SOAPAction: '""',
        Connection: 'close',
      },
    });
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    let secured = false;
    const finish: Finish = (outcome) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      untrack();
      request.destroy();
      resolve(outcome);
    };
    const untrack = track(() => finish(failure('unavailable', 'the source was closed')));
    timers.push(setTimeout(() => finish(failure('unavailable', `no complete reply within ${settings.timeoutMs} ms`)), settings.timeoutMs));
    request.once('socket', (socket) => {
      if (settled) return;
      const connecting = setTimeout(
        () => finish(failure('unavailable', `no TLS connection within ${settings.connectTimeoutMs} ms`)),
        settings.connectTimeoutMs,
      );
      timers.push(connecting);
      socket.once('secureConnect', () => {
        secured = true;
        clearTimeout(connecting);
      });
    });
    request.on('error', (error) => finish(failure('unavailable', errorDetail(error, secured))));
    request.once('response', (response) => {
      readReply(response, finish);
    });
    request.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------
// The reply: Envelope/Body/LJAuthenticateResponse in the service's namespace, whatever the prefixes

function refusalDetail(error: unknown): string {
  // The reader's refusals are fixed sentences, except a malformed document's, which quotes the input.
  if (!(error instanceof XmlRefusal) || error.message.startsWith('Malformed XML')) return 'the reply is not well-formed XML';
  return `XML refused: ${error.message}`;
}

function childrenOf(element: XmlElement, ns: string, local: string): XmlElement[] {
  return element.children.filter((child) => child.ns === ns && child.local === local);
}

/** The one element of a SOAP 1.1 reply's Body, or why there is none. */
function bodyContentOf(text: string): XmlElement | Failure {
  if (text.trim() === '') return failure('malformed', 'an empty reply');
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    return failure('malformed', refusalDetail(error));
  }
  if (root.ns !== SOAP11_NAMESPACE || root.local !== 'Envelope') return failure('malformed', 'not a SOAP 1.1 envelope');
  const [body, ...otherBodies] = childrenOf(root, SOAP11_NAMESPACE, 'Body');
  if (body === undefined || otherBodies.length > 0) return failure('malformed', 'not exactly one SOAP Body');
  const [content, ...more] = body.children;
  if (content === undefined || more.length > 0) return failure('malformed', 'not exactly one element in the SOAP Body');
  return content;
}

/**
 * The named fields of the response, trimmed: elements of the service's namespace, or unqualified as
 * some schemas write them; an element of any other namespace is not the field. A repeated field is
 * ambiguous, so the reply is refused.
 */
function fieldsOf<N extends string>(response: XmlElement, names: readonly N[]): Readonly<Record<N, string | undefined>> | Failure {
  const fields = {} as Record<N, string | undefined>;
  for (const name of names) {
    const found = response.children.filter((child) => child.local === name && (child.ns === LJ_NAMESPACE || child.ns === ''));
    if (found.length > 1) return failure('malformed', `more than one ${name} in the reply`);
    fields[name] = found[0]?.text.trim();
  }
  return fields;
}

/** The far side's word for no, log-safe (printable ASCII, at most about 60 characters). */
function statusDetail(status: string): string {
  return status === '' ? 'an empty status' : `status ${quoteInput(status)}`;
}

function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

/** LJAuthenticateResponse, a SOAP Fault as `rejected`, or why the reply is unreadable. */
function responseOf(text: string): XmlElement | Failure {
  const content = bodyContentOf(text);
  if (isFailure(content)) return content;
  if (content.ns === SOAP11_NAMESPACE && content.local === 'Fault') {
    const code = content.children.find((child) => child.local === 'faultcode' && (child.ns === '' || child.ns === SOAP11_NAMESPACE));
    return failure('rejected', `fault: ${quoteInput(code?.text.trim() ?? 'no faultcode')}`);
  }
  if (content.ns !== LJ_NAMESPACE || content.local !== 'LJAuthenticateResponse') return failure('malformed', 'no LJAuthenticateResponse');
  return content;
}

export function passwordAnswerOf(text: string): SourceAnswer {
  const response = responseOf(text);
  if (isFailure(response)) return response;
  const fields = fieldsOf(response, ['Status']);
  if (isFailure(fields)) return fields;
  if (fields.Status === undefined) return failure('malformed', 'no Status in the reply');
  return fields.Status === PASSWORD_SUCCESS ? { ok: true } : failure('rejected', statusDetail(fields.Status));
}

export function passThroughAnswerOf(text: string): PassThroughAnswer {
  const response = responseOf(text);
  if (isFailure(response)) return response;
  const fields = fieldsOf(response, ['status', 'loginID', 'redirectOnErrorURL']);
  if (isFailure(fields)) return fields;
  const { status, loginID, redirectOnErrorURL } = fields;
  if (status === undefined) return failure('malformed', 'no status in the reply');
  if (status === PASS_THROUGH_SUCCESS) {
    return loginID === undefined || loginID === ''
      ? failure('malformed', `${PASS_THROUGH_SUCCESS} without a loginID`)
      : { ok: true, loginId: loginID };
  }
  // Untrusted: the core lets the browser go there only on an allowed origin.
  const usable = redirectOnErrorURL !== undefined && redirectOnErrorURL !== '' && redirectOnErrorURL.length <= MAX_REDIRECT_URL_LENGTH;
  return { ...failure('rejected', statusDetail(status)), redirectOnErrorUrl: usable ? redirectOnErrorURL : undefined };
}

// ---------------------------------------------------------------------------------------------

export function openWebServiceSource(settings: WebServiceSettings, deps: { log: Logger }): PassThroughSource {
  const endpoint = endpointOf(settings.url);
  const inFlight = new Set<() => void>();
  let closed = false;
  const track = (abort: () => void): (() => void) => {
    inFlight.add(abort);
    return () => inFlight.delete(abort);
  };

  async function ask<A extends SourceAnswer | PassThroughAnswer>(
    operation: string,
    body: string,
    read: (text: string) => A,
  ): Promise<A | Failure> {
    if (closed) return failure('unavailable', 'the source was closed');
    if (isFailure(endpoint)) return endpoint;
    const reply = await exchange({ endpoint, settings, body }, track);
    const answer = reply.ok ? read(reply.text) : reply;
    if (!answer.ok && answer.cause !== 'rejected') {
      deps.log.warn('the LJAuthenticate web service gave no answer', {
        host: endpoint.host,
        operation,
        cause: answer.cause,
        detail: answer.detail,
      });
    }
    return answer;
  }

  return {
    kind: 'webService',
    checkPassword: (check) => ask('password', passwordEnvelope(check), passwordAnswerOf),
    checkPassThrough: (check) => ask('passThrough', passThroughEnvelope(check), passThroughAnswerOf),
    close() {
      closed = true;
      for (const abort of [...inFlight]) abort();
      return Promise.resolve();
    },
  };
}
