// What the core refuses, named for the rule that refuses it. Every adapter turns these into its own
// answers (the SOAP adapter into the faults of protocol §6.2, in src/adapters/soap/faults.ts); the
// core never speaks a wire format. Anything else a core function throws is unexpected.

export type SsoErrorCode =
  /** A certificate was presented that is not a current certificate of a registered application. */
  | 'unknownCaller'
  /** The caller may not do this (not the owner, not itself, not allowed without a password). */
  | 'permissionDenied'
  | 'noSuchApplication'
  | 'noSuchUser'
  | 'noSuchSession'
  /** A sign-in or a password check failed, for whichever reason (never told apart). */
  | 'invalidCredentials'
  | 'duplicateLogin'
  /** A value breaks a rule of its own (a login, a name, a password, a pair of fields). */
  | 'invalidParameter';

/** The core's general words for each code, for an error thrown without a message of its own. */
const GENERAL: Readonly<Record<SsoErrorCode, string>> = {
  unknownCaller: 'The certificate is not a current certificate of a registered application.',
  permissionDenied: 'The caller may not do this.',
  noSuchApplication: 'No such application.',
  noSuchUser: 'No such user.',
  noSuchSession: 'No such session.',
  invalidCredentials: 'The credentials do not match.',
  duplicateLogin: 'The login is taken.',
  invalidParameter: 'A value is not valid.',
};

/** A refusal by the core. Its message is safe to show to the caller: never a path, a stack or database text. */
export class SsoError extends Error {
  readonly code: SsoErrorCode;
  /** The message was written for this case; otherwise it is the code's general one, which an adapter may word its own way. */
  readonly specific: boolean;
  constructor(code: SsoErrorCode, message?: string) {
    super(message ?? GENERAL[code]);
    this.name = 'SsoError';
    this.code = code;
    this.specific = message !== undefined;
  }
}
