// The SOAP API in process (protocol §4): a request as bytes, its headers and the client's
// credential in; the status, headers and body of the answer out. The HTTPS endpoint (endpoint.ts)
// feeds it from a socket; tests call it directly. Parses the envelope, dispatches on the Body
// element only (never on SOAPAction: A7), by its namespace and name (the protocol's or ssod's
// extensions', docs/EXTENSIONS.md), validates the input, has the operation identify the
// caller and check access (protocol §4.2), runs it and answers in the request's SOAP version.
import type { Services } from '../../core/services.js';
import { identifyCaller, type Caller, type PeerCredential } from '../../core/callers.js';
import { SsoError } from '../../core/errors.js';
import type { XmlElement } from '../../infra/xml.js';
import { logUnexpected } from '../http/failures.js';
import { textHeaders } from '../http/http.js';
import { parseEnvelope, versionFromContentType, type SoapVersion } from './envelope.js';
import { EnvelopeFault, ProtocolFault, faultOf } from './faults.js';
import { operationNamed } from './operations/index.js';
import type { Operation, OperationInput } from './operations/types.js';
import { contentTypeOf, serializeFault, serializeResponse } from './serialize.js';
import { validateInput } from './validate.js';

export interface SoapRequest {
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** The client certificate of the connection; null when none was presented. */
  readonly peer: PeerCredential | null;
  readonly remoteAddress: string;
}

/** What the request log and the metrics record of a dispatched request. */
export interface SoapOutcome {
  operation: string;
  caller: Caller | null;
  /** 'ok', an sso fault code, or an envelope fault kind. */
  result: string;
}

export interface SoapAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number>>;
  readonly body: string;
  /** Null when the request was refused on its headers alone (which the log does not record). */
  readonly outcome: SoapOutcome | null;
}

function textAnswer(status: number, text: string): SoapAnswer {
  return { status, headers: textHeaders(text), body: text, outcome: null };
}

/** The 415 for headers that no SOAP request has; null when they may be one. Checked before the body is read. */
export function refusedHeaders(contentType: string | undefined, contentEncoding: string | undefined): SoapAnswer | null {
  if (versionFromContentType(contentType) === null)
    return textAnswer(415, 'Content-Type must be text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2).\n');
  if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity')
    return textAnswer(415, 'Content-Encoding is not supported; send the envelope uncompressed.\n');
  return null;
}

/** The operation of the Body element: a protocol one in the sso namespace, or an extension in ssox (docs/EXTENSIONS.md). */
function operationOf(element: XmlElement): Operation {
  const operation = operationNamed(element.ns, element.local);
  if (operation === undefined) throw new ProtocolFault('invalidParameter', 'The Body element is not an operation of the SSO API.');
  return operation;
}

/** The validated input; an input that does not validate is refused after the caller is judged, whose fault comes first. */
async function validInput(
  services: Services,
  operation: Operation,
  element: XmlElement,
  peer: PeerCredential | null,
  outcome: SoapOutcome,
): Promise<OperationInput> {
  try {
    return validateInput(operation, element);
  } catch (error) {
    outcome.caller = await identifyCaller(services, peer);
    throw error;
  }
}

async function dispatch(services: Services, request: SoapRequest, outcome: SoapOutcome): Promise<{ version: SoapVersion; body: string }> {
  const envelope = parseEnvelope(request.body, request.contentType);
  const operation = operationOf(envelope.operation);
  outcome.operation = operation.name;
  const input = await validInput(services, operation, envelope.operation, request.peer, outcome);
  const output = await operation.run(input, {
    peer: request.peer,
    remoteAddress: request.remoteAddress,
    services,
    identified: (caller) => {
      outcome.caller = caller;
    },
  });
  return { version: envelope.version, body: serializeResponse(envelope.version, operation, output) };
}

function soapAnswer(status: number, version: SoapVersion, body: string, outcome: SoapOutcome): SoapAnswer {
  return {
    status,
    headers: { 'Content-Type': contentTypeOf(version), 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) },
    body,
    outcome,
  };
}

/** The fault that answers `error`: its own for a fault of the protocol or the envelope, internalError (logged, no detail) for anything else. */
export function failureAnswer(
  services: Services,
  version: SoapVersion,
  error: unknown,
  outcome: SoapOutcome,
  requestId: string,
): SoapAnswer {
  const fault = error instanceof SsoError ? faultOf(error) : error;
  if (fault instanceof ProtocolFault || fault instanceof EnvelopeFault) {
    const { status, body } = serializeFault(version, fault);
    outcome.result = fault instanceof ProtocolFault ? fault.code : fault.kind;
    return soapAnswer(status, version, body, outcome);
  }
  logUnexpected(services, 'operation failed', error, { requestId, operation: outcome.operation });
  const { status, body } = serializeFault(version, null);
  outcome.result = 'internalError';
  return soapAnswer(status, version, body, outcome);
}

/** A fresh outcome: no operation known yet, a guest until the core says otherwise. */
export function newOutcome(): SoapOutcome {
  return { operation: '-', caller: null, result: 'ok' };
}

/** Answers one SOAP request. `requestId` names it in the log of an unexpected failure. */
export async function answerSoap(services: Services, request: SoapRequest, requestId: string): Promise<SoapAnswer> {
  const refused = refusedHeaders(request.contentType, request.contentEncoding);
  if (refused !== null) return refused;
  // refusedHeaders passed, so the Content-Type names a SOAP version.
  const announced = versionFromContentType(request.contentType) ?? '1.2';
  const outcome = newOutcome();
  try {
    const { version, body } = await dispatch(services, request, outcome);
    return soapAnswer(200, version, body, outcome);
  } catch (error) {
    return failureAnswer(services, announced, error, outcome, requestId);
  }
}
