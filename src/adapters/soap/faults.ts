// Every protocol fault, defined once (protocol §6.2, authoritative over §4.3's spelling "InternalError"),
// with the core refusal each one answers. The core throws SsoError; faultOf turns it into the fault
// of this table, which the SOAP serializers write as a SOAP 1.1 or 1.2 fault. Anything else thrown
// becomes `internalError` with no detail.
import type { SsoError, SsoErrorCode } from '../../core/errors.js';

export const SSO_NS = 'http://swsoft.com/schemas/sso/1';
/**
 * ssod's extensions beside the protocol (docs/EXTENSIONS.md): its own operations, and optional extra
 * inputs of protocol operations. Their faults are the protocol's, in SSO_NS.
 */
export const SSOX_NS = 'urn:ssod:ext:1';

/** The namespace of an operation element or of one of its fields. */
export type OperationNamespace = typeof SSO_NS | typeof SSOX_NS;

/** The prefix the replies, the WSDLs and the docs give each namespace. */
export const NAMESPACE_PREFIX: Readonly<Record<OperationNamespace, string>> = Object.freeze({ [SSO_NS]: 'sso', [SSOX_NS]: 'ssox' });

export interface FaultDefinition {
  /** SOAP 1.2 env:Code/env:Value (the sso: code is the env:Subcode). */
  readonly soap12Code: 'Sender' | 'Receiver';
  /** The description in the protocol fault table, used as the default reason text. */
  readonly description: string;
}

/** The fault table in the protocol's order; `answers` is the core refusal that gets this fault (null: none). */
const TABLE = {
  FailedAuthentication: {
    answers: 'unknownCaller',
    soap12Code: 'Sender',
    description: 'SSL certificate does not match any registered application.',
  },
  permissionDenied: {
    answers: 'permissionDenied',
    soap12Code: 'Sender',
    description: 'Application does not have permission to execute the requested action.',
  },
  noSuchApplication: { answers: 'noSuchApplication', soap12Code: 'Sender', description: 'Passed applicationId is not registered.' },
  noSuchUser: { answers: 'noSuchUser', soap12Code: 'Sender', description: 'Passed userId is not registered.' },
  noSuchSession: {
    answers: 'noSuchSession',
    soap12Code: 'Sender',
    description: 'Passed sessionId is invalid (session does not exist, or has expired).',
  },
  invalidCredentials: {
    answers: 'invalidCredentials',
    soap12Code: 'Sender',
    description: 'Provided userId and user password do not match any registered user.',
  },
  duplicateLogin: { answers: 'duplicateLogin', soap12Code: 'Sender', description: 'Provided user login name is already registered.' },
  invalidParameter: { answers: 'invalidParameter', soap12Code: 'Sender', description: 'Ill-formed parameter passed.' },
  internalError: { answers: null, soap12Code: 'Receiver', description: 'Internal error occured in the SSO engine.' },
} as const satisfies Record<string, FaultDefinition & { readonly answers: SsoErrorCode | null }>;

export type FaultCode = keyof typeof TABLE;

export const FAULTS: Readonly<Record<FaultCode, FaultDefinition>> = Object.freeze(TABLE);

export const FAULT_CODES = Object.freeze(Object.keys(TABLE) as FaultCode[]);

type Answered = NonNullable<(typeof TABLE)[FaultCode]['answers']>;
// Keyed by every core code only while the table answers each one: a code missing from the table
// makes the key type `never`, and faultOf below stops compiling.
const FAULT_ANSWERING: ReadonlyMap<SsoErrorCode extends Answered ? SsoErrorCode : never, FaultCode> = new Map(
  FAULT_CODES.flatMap((code) => {
    const answers = TABLE[code].answers;
    return answers === null ? [] : [[answers, code] as const];
  }),
);

/** A fault of the protocol. `reason` is shown to the caller, so it never holds a path, stack or database text. */
export class ProtocolFault extends Error {
  readonly code: FaultCode;
  constructor(code: FaultCode, reason?: string) {
    super(reason ?? FAULTS[code].description);
    this.name = 'ProtocolFault';
    this.code = code;
  }
}

/** The fault that answers a core refusal: its own message when it has one, else the protocol's description. */
export function faultOf(error: SsoError): ProtocolFault {
  const code = FAULT_ANSWERING.get(error.code);
  return code === undefined ? new ProtocolFault('internalError') : new ProtocolFault(code, error.specific ? error.message : undefined);
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
