// The shape of one SOAP operation (STYLE: one operation, one file). The dispatcher, the WSDL and
// the protocol reference are all generated from the table of these, so they cannot drift apart.
import type { FaultCode } from '../faults.js';
import type { Services } from '../../../core/services.js';
import type { SessionView } from '../../../core/store/index.js';

/** What a field's text must be; checked before the handler runs (failure: sso:invalidParameter). */
export type FieldType =
  | 'string' // any text within maxLength
  | 'uuid' // an RFC 4122 UUID, case-insensitive on input, lower-cased
  | 'url' // an absolute URL (protocol §5.1 optional urls: changePasswordUrl, restorePasswordUrl)
  | 'baseUrl'; // scheme://host:port/ as docs/DECISIONS.md "URLs" says; normalized

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Absent from the request is allowed. */
  readonly optional?: boolean;
  /** An empty element (`<sso:x/>`) is allowed; otherwise an empty required field is invalidParameter. */
  readonly allowEmpty?: boolean;
  /** Maximum length in characters (strings) after which the field is invalidParameter. */
  readonly maxLength?: number;
  /** One line for the WSDL documentation and the protocol reference. */
  readonly doc: string;
}

/** A reply field: `list` ones are emitted as `<sso:NAME><sso:a>…</sso:a>…</sso:NAME>` (protocol §5.3). */
export interface OutputSpec {
  readonly name: string;
  readonly optional?: boolean;
  /** Repeated element (getSettings' passwordHash) or wrapped list (applicationsList). */
  readonly shape?: 'single' | 'repeated' | 'list';
  readonly doc: string;
}

/**
 * Who may call (protocol §4.2): `guest` means anyone, with or without a certificate;
 * `application` means a caller with a registered certificate. Ownership checks are the handler's.
 */
export type Access = 'guest' | 'application';

/** The caller as authenticated by its TLS client certificate; `null` for a guest. */
export interface Caller {
  readonly applicationId: string;
}

/** The parsed, validated input: field name to text. Absent optional fields are undefined. */
export type OperationInput = Readonly<Record<string, string | undefined>>;

/** The reply: field name to text, list of texts, or undefined to omit an optional field. */
export type OperationOutput = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface OperationContext {
  readonly caller: Caller | null;
  /** The client's address as seen by the server, for throttling and the audit trail. */
  readonly remoteAddress: string;
  readonly services: Services;
  /**
   * The local session named by the operation's `sessionField`, when the dispatcher read it
   * together with the caller's certificate (null: no such session); undefined when it did not.
   */
  readonly session?: SessionView | null;
}

export interface Operation {
  /** The element name in the SOAP body (protocol §5). */
  readonly name: string;
  /** The protocol section, for the docs. */
  readonly section: string;
  readonly summary: string;
  readonly access: Access;
  readonly input: readonly FieldSpec[];
  readonly output: readonly OutputSpec[];
  /** The faults the protocol lists for this operation (the common ones are added by the generators). */
  readonly faults: readonly FaultCode[];
  /**
   * The input field holding a local session id that the handler looks up first (verifySession,
   * closeSession). For an application caller the dispatcher then reads that session and the
   * caller's certificate in one store read, and hands the session over in the context: the hot
   * path of every page load (protocol §5.18) pays for one read, not two.
   */
  readonly sessionField?: string;
  readonly handle: (input: OperationInput, context: OperationContext) => Promise<OperationOutput>;
}
