// The errors a call can end with. A fault the server answered is an SsoFaultError whose `code`
// is the sso: code of protocol §6.2 (or the SOAP 1.2 code for a fault of the envelope itself); a call
// that got no usable answer is an SsoTransportError whose `kind` says why.
import type { FaultCode } from '../adapters/soap/faults.js';

/** The SOAP 1.2 codes of a fault that carries no sso: subcode (SOAP 1.2 Part 1 §5.4.6). */
export type EnvelopeFaultCode = 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand' | 'DataEncodingUnknown';

export type SsoFaultCode = FaultCode | EnvelopeFaultCode;

export class SsoFaultError extends Error {
  /** The sso: code (without prefix), or the SOAP code when the envelope itself was refused. */
  readonly code: SsoFaultCode;
  /** The operation that failed. */
  readonly operation: string;
  /** The HTTP status of the reply (400 for env:Sender, 500 for env:Receiver in SOAP 1.2). */
  readonly status: number;

  constructor(operation: string, code: SsoFaultCode, reason: string, status: number) {
    super(`${operation}: ${code}: ${reason}`);
    this.name = 'SsoFaultError';
    this.operation = operation;
    this.code = code;
    this.status = status;
  }
}

/**
 * `unreachable`: no connection (refused, unknown host, reset); `timeout`: no full answer in time;
 * `tls`: the server's certificate was not trusted or ours was refused at the handshake;
 * `badReply`: an answer that is not a SOAP reply of the operation.
 */
export type TransportErrorKind = 'unreachable' | 'timeout' | 'tls' | 'badReply';

export class SsoTransportError extends Error {
  readonly kind: TransportErrorKind;
  readonly operation: string;

  constructor(operation: string, kind: TransportErrorKind, message: string, options?: { cause?: unknown }) {
    super(`${operation}: ${message}`, options);
    this.name = 'SsoTransportError';
    this.kind = kind;
    this.operation = operation;
  }
}

/** True when `error` is a fault with one of the given codes: `if (isFault(e, 'noSuchSession'))`. */
export function isFault(error: unknown, ...codes: readonly SsoFaultCode[]): error is SsoFaultError {
  return error instanceof SsoFaultError && (codes.length === 0 || codes.includes(error.code));
}
