// The SOAP endpoint (protocol §4): one POST route over HTTPS. Refuses what cannot be a SOAP request
// before reading it, reads the body within its limit, takes the client's certificate from the
// connection, and leaves the rest to answerSoap (dispatch.ts); then logs and counts the request.
// Beside it, the two WSDL documents: the protocol's and the extensions' (docs/EXTENSIONS.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { Services } from '../../core/services.js';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { nextRequestId, sendText } from '../http/http.js';
import { countSoapRequest } from '../http/metrics.js';
import { peerOf } from './callers.js';
import { answerSoap, failureAnswer, newOutcome, refusedHeaders, type SoapAnswer } from './dispatch.js';
import { versionFromContentType } from './envelope.js';
import { ALL_OPERATIONS } from './operations/index.js';
import { generateExtensionWsdl, generateWsdl } from './wsdl.js';

/** The body, or the answer when it could not be read (413 for one over the limit). */
async function bodyOf(services: Services, req: IncomingMessage, requestId: string): Promise<Buffer | SoapAnswer | null> {
  try {
    return await readBody(req, services.options.maxRequestBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return null;
    return failureAnswer(services, versionFromContentType(req.headers['content-type']) ?? '1.2', error, newOutcome(), requestId);
  }
}

export async function handleSoap(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = nextRequestId();
  const started = performance.now();
  const contentType = req.headers['content-type'];
  const contentEncoding = req.headers['content-encoding'];
  const refused = refusedHeaders(contentType, contentEncoding);
  if (refused !== null) {
    res.writeHead(refused.status, refused.headers);
    res.end(refused.body);
    return;
  }
  const body = await bodyOf(services, req, requestId);
  if (body === null) {
    sendText(res, 413, `The request body is larger than ${services.options.maxRequestBytes} bytes.\n`, { close: true });
    services.log.info('request', { requestId, caller: 'unknown', operation: '-', outcome: 'tooLarge', status: 413 });
    countSoapRequest('-', 'tooLarge', (performance.now() - started) / 1000);
    return;
  }
  // The SOAP listener is HTTPS, so the socket is a TLS one; a plain one would present no certificate.
  const socket = req.socket;
  const peer = socket instanceof TLSSocket ? peerOf(socket) : null;
  const answer = Buffer.isBuffer(body)
    ? await answerSoap(services, { body, contentType, contentEncoding, peer, remoteAddress: socket.remoteAddress ?? '' }, requestId)
    : body;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
  const ms = performance.now() - started;
  const outcome = answer.outcome ?? newOutcome();
  countSoapRequest(outcome.operation, outcome.result, ms / 1000);
  services.log.info('request', {
    requestId,
    caller: outcome.caller?.applicationId ?? 'guest',
    operation: outcome.operation,
    outcome: outcome.result,
    status: answer.status,
    ms: Math.round(ms * 100) / 100,
  });
}

/** The WSDL each query serves: `?wsdl` the protocol's (as it always was), `?wsdl=ext` the extensions'. */
const WSDL_ROUTES: ReadonlyMap<string, (endpointUrl: string) => string> = new Map([
  ['/soap?wsdl', (url: string) => generateWsdl(ALL_OPERATIONS, url)],
  ['/soap?WSDL', (url: string) => generateWsdl(ALL_OPERATIONS, url)],
  ['/soap?wsdl=ext', (url: string) => generateExtensionWsdl(ALL_OPERATIONS, url)],
  ['/soap?WSDL=ext', (url: string) => generateExtensionWsdl(ALL_OPERATIONS, url)],
]);

/**
 * The WSDL of a GET route, or null when the route is none of WSDL_ROUTES. Each document names the
 * endpoint, whose host name is a setting that may change while the server runs: it is generated
 * again when `endpointUrl()` changes, else served from the last generation.
 */
export function wsdlServer(endpointUrl: () => string): (route: string) => string | null {
  const generated = new Map<string, { readonly endpoint: string; readonly text: string }>();
  return (route) => {
    const generate = WSDL_ROUTES.get(route);
    if (generate === undefined) return null;
    const now = endpointUrl();
    const last = generated.get(route);
    if (last !== undefined && last.endpoint === now) return last.text;
    const text = generate(now);
    generated.set(route, { endpoint: now, text });
    return text;
  };
}
