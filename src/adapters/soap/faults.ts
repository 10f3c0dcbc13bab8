// Every protocol fault, defined once (protocol §6.2, authoritative over §4.3's spelling "InternalError").
// A handler throws `new ProtocolFault('noSuchUser')`; the SOAP serializers turn it into a
// SOAP 1.1 or 1.2 fault. Anything else thrown becomes `internalError` with no detail.

export const SSO_NS = 'http://swsoft.com/schemas/sso/1';

export type FaultCode =
  | 'FailedAuthentication'
  | 'permissionDenied'
  | 'noSuchApplication'
  | 'noSuchUser'
  | 'noSuchSession'
  | 'invalidCredentials'
  | 'duplicateLogin'
  | 'invalidParameter'
  | 'internalError';

export interface FaultDefinition {
  /** SOAP 1.2 env:Code/env:Value (the sso: code is the env:Subcode). */
  readonly soap12Code: 'Sender' | 'Receiver';
  /** The description in the protocol fault table, used as the default reason text. */
  readonly description: string;
}

export const FAULTS: Readonly<Record<FaultCode, FaultDefinition>> = Object.freeze({
  FailedAuthentication: { soap12Code: 'Sender', description: 'SSL certificate does not match any registered application.' },
  permissionDenied: { soap12Code: 'Sender', description: 'Application does not have permission to execute the requested action.' },
  noSuchApplication: { soap12Code: 'Sender', description: 'Passed applicationId is not registered.' },
  noSuchUser: { soap12Code: 'Sender', description: 'Passed userId is not registered.' },
  noSuchSession: { soap12Code: 'Sender', description: 'Passed sessionId is invalid (session does not exist, or has expired).' },
  invalidCredentials: { soap12Code: 'Sender', description: 'Provided userId and user password do not match any registered user.' },
  duplicateLogin: { soap12Code: 'Sender', description: 'Provided user login name is already registered.' },
  invalidParameter: { soap12Code: 'Sender', description: 'Ill-formed parameter passed.' },
  internalError: { soap12Code: 'Receiver', description: 'Internal error occured in the SSO engine.' },
});

export const FAULT_CODES = Object.freeze(Object.keys(FAULTS) as FaultCode[]);

/** A fault of the protocol. `reason` is shown to the caller, so it never holds a path, stack or database text. */
export class ProtocolFault extends Error {
  readonly code: FaultCode;
  constructor(code: FaultCode, reason?: string) {
    super(reason ?? FAULTS[code].description);
    this.name = 'ProtocolFault';
    this.code = code;
  }
}

/**
 * A fault of the SOAP envelope itself (not of an sso operation): a malformed or hostile document,
 * a wrong envelope namespace, a header we must understand but do not.
 */
export type EnvelopeFaultKind = 'Sender' | 'VersionMismatch' | 'MustUnderstand';

export class EnvelopeFault extends Error {
  readonly kind: EnvelopeFaultKind;
  constructor(kind: EnvelopeFaultKind, reason: string) {
    super(reason);
    this.name = 'EnvelopeFault';
    this.kind = kind;
  }
}
