// The SOAP endpoint (protocol §4): one POST route. Parses the envelope, identifies the caller by its
// client certificate, dispatches on the Body element only (never on SOAPAction: A7),
// checks access (protocol §4.2), runs the operation and answers in the request's SOAP version.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Services } from '../../core/services.js';
import { EnvelopeFault, ProtocolFault, SSO_NS } from './faults.js';
import { operationNamed } from './operations/index.js';
import type { Caller, Operation, OperationInput } from './operations/types.js';
import { parseEnvelope, versionFromContentType, type SoapVersion } from './envelope.js';
import { contentTypeOf, serializeFault, serializeResponse } from './serialize.js';
import { validateInput } from './validate.js';
import type { XmlElement } from '../../infra/xml.js';
import type { SessionView } from '../../core/store/index.js';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { identifyCaller, identifyCallerWithSession } from './callers.js';
import { logUnexpected } from '../http/failures.js';
import { nextRequestId, sendText } from '../http/http.js';
import { countSoapRequest } from '../http/metrics.js';

interface Outcome {
  status: number;
  body: string;
  operation: string;
  caller: Caller | null;
  /** 'ok', an sso fault code, or an envelope fault kind. */
  result: string;
}

/** The validated input, or null when it does not validate (validateInput then says why, later). */
function validInput(operation: Operation, element: XmlElement): OperationInput | null {
  try {
    return validateInput(operation, element);
  } catch {
    return null;
  }
}

function operationOf(element: XmlElement): Operation {
  const operation = element.ns === SSO_NS ? operationNamed(element.local) : undefined;
  if (operation === undefined) throw new ProtocolFault('invalidParameter', 'The Body element is not an operation of the SSO API.');
  return operation;
}

async function dispatch(services: Services, req: IncomingMessage, body: Buffer, outcome: Outcome): Promise<SoapVersion> {
  const envelope = parseEnvelope(body, req.headers['content-type']);
  const operation = operationOf(envelope.operation);
  outcome.operation = operation.name;
  const socket = req.socket as TLSSocket;
  // An operation that looks up a session reads it with the caller's certificate (one store read);
  // an input that does not validate takes the usual order, caller first, which decides its fault.
  const validated = operation.sessionField === undefined ? null : validInput(operation, envelope.operation);
  const sessionId = operation.sessionField === undefined ? undefined : validated?.[operation.sessionField];
  let session: SessionView | null | undefined;
  if (sessionId === undefined) {
    outcome.caller = await identifyCaller(services, socket);
  } else {
    ({ caller: outcome.caller, session } = await identifyCallerWithSession(services, socket, sessionId));
  }
  const input = validated ?? validateInput(operation, envelope.operation);
  if (operation.access === 'application' && outcome.caller === null) {
    throw new ProtocolFault('permissionDenied', 'A guest may not call this operation; present the client certificate of a registered application.');
  }
  const output = await operation.handle(input, { caller: outcome.caller, remoteAddress: socket.remoteAddress ?? '', services, session });
  outcome.body = serializeResponse(envelope.version, operation, output);
  return envelope.version;
}

function faultOutcome(services: Services, version: SoapVersion, error: unknown, outcome: Outcome, requestId: string): void {
  if (error instanceof ProtocolFault || error instanceof EnvelopeFault) {
    const fault = serializeFault(version, error);
    outcome.status = fault.status;
    outcome.body = fault.body;
    outcome.result = error instanceof ProtocolFault ? error.code : error.kind;
    return;
  }
  // Unexpected: the caller gets internalError with no detail; the log gets what happened.
  logUnexpected(services, 'operation failed', error, { requestId, operation: outcome.operation });
  const fault = serializeFault(version, null);
  outcome.status = fault.status;
  outcome.body = fault.body;
  outcome.result = 'internalError';
}

export async function handleSoap(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = nextRequestId();
  const started = performance.now();
  const contentType = req.headers['content-type'];
  let version = versionFromContentType(contentType);
  if (version === null) {
    sendText(res, 415, 'Content-Type must be text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2).\n');
    return;
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    sendText(res, 415, 'Content-Encoding is not supported; send the envelope uncompressed.\n');
    return;
  }
  const outcome: Outcome = { status: 200, body: '', operation: '-', caller: null, result: 'ok' };
  try {
    const body = await readBody(req, services.options.maxRequestBytes);
    version = await dispatch(services, req, body, outcome);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendText(res, 413, `The request body is larger than ${services.options.maxRequestBytes} bytes.\n`, { close: true });
      services.log.info('request', { requestId, caller: 'unknown', operation: '-', outcome: 'tooLarge', status: 413 });
      countSoapRequest('-', 'tooLarge', (performance.now() - started) / 1000);
      return;
    }
    faultOutcome(services, version, error, outcome, requestId);
  }
  res.writeHead(outcome.status, { 'Content-Type': contentTypeOf(version), 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(outcome.body) });
  res.end(outcome.body);
  const ms = performance.now() - started;
  countSoapRequest(outcome.operation, outcome.result, ms / 1000);
  services.log.info('request', {
    requestId,
    caller: outcome.caller?.applicationId ?? 'guest',
    operation: outcome.operation,
    outcome: outcome.result,
    status: outcome.status,
    ms: Math.round(ms * 100) / 100,
  });
}
