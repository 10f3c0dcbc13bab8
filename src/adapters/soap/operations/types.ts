// The shape of one SOAP operation (STYLE: one operation, one file). The dispatcher, the WSDLs and
// the references are all generated from the table of these, so they cannot drift apart. An operation
// is the protocol's (namespace SSO_NS) or one of ssod's extensions (SSOX_NS, docs/EXTENSIONS.md); a
// protocol operation may take extra optional inputs in SSOX_NS, which its protocol WSDL leaves out.
// An operation is declared with `operation()` (or `selfIdentifyingOperation()`), which types its
// handler from the declaration: a required field is a string, an optional one may be undefined,
// and an 'application' operation's caller is never null.
import type { FaultCode, OperationNamespace } from '../faults.js';
import { NAMESPACE_PREFIX, ProtocolFault, SSO_NS } from '../faults.js';
import { identifyCaller, type Caller, type PeerCredential } from '../../../core/callers.js';
import type { Services } from '../../../core/services.js';

/** What a field's text must be; checked before the handler runs (failure: sso:invalidParameter). */
export type FieldType =
  | 'string' // any text within maxLength
  | 'uuid' // an RFC 4122 UUID, case-insensitive on input, lower-cased
  | 'url' // an absolute URL (protocol §5.1 optional urls: changePasswordUrl, restorePasswordUrl)
  | 'baseUrl' // scheme://host:port/ as docs/DECISIONS.md "URLs" says; normalized
  | 'ip' // an IPv4 or IPv6 address as node:net's isIP reads it, without an IPv6 zone
  | 'boolean' // xs:boolean: true, false, 1 or 0; normalized to true or false
  | 'count'; // a non-negative integer (xs:nonNegativeInteger) of at most 15 digits, normalized without leading zeros

export interface FieldSpec {
  readonly name: string;
  /**
   * The element's namespace when it is not its operation's: an ssox input of a protocol operation
   * (docs/EXTENSIONS.md). Its name must still differ from the operation's other fields.
   */
  readonly namespace?: OperationNamespace;
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

/**
 * A reply field: `list` ones are emitted as `<sso:NAME><sso:a>…</sso:a>…</sso:NAME>` (protocol §5.3);
 * `records` (extensions only) as the element repeated, each holding one element per name of `fields`.
 */
export interface OutputSpec {
  readonly name: string;
  readonly optional?: boolean;
  /** Repeated element (getSettings' passwordHash), wrapped list (applicationsList) or repeated record. */
  readonly shape?: 'single' | 'repeated' | 'list' | 'records';
  /** The text fields of each record, in order (shape `records`). */
  readonly fields?: readonly string[];
  readonly doc: string;
}

/** One record of a `records` output: field name to text. */
export type OutputRecord = Readonly<Record<string, string>>;

/**
 * Who may call (protocol §4.2): `guest` means anyone, with or without a certificate;
 * `application` means a caller with a registered certificate. Ownership checks are the core's.
 */
export type Access = 'guest' | 'application';

/** The parsed, validated input: field name to text. Absent optional fields are undefined. */
export type OperationInput = Readonly<Record<string, string | undefined>>;

/** The reply: field name to text, list of texts, or undefined to omit an optional field. */
export type OperationOutput = Readonly<Record<string, string | readonly string[] | readonly OutputRecord[] | undefined>>;

type Optional = { readonly optional: true };

/** The input of a declaration: each field by name, `string | undefined` only when it is optional. */
export type InputOf<I extends readonly FieldSpec[]> = {
  readonly [F in I[number] as F['name']]: F extends Optional ? string | undefined : string;
};

type OutputValue<O extends OutputSpec> = O extends { readonly shape: 'records' }
  ? readonly OutputRecord[]
  : O extends { readonly shape: 'repeated' | 'list' }
    ? readonly string[]
    : string;

/** The reply of a declaration: required fields must be given, optional ones may be left out. */
export type OutputOf<O extends readonly OutputSpec[]> = {
  readonly [F in O[number] as F extends Optional ? never : F['name']]: OutputValue<F>;
} & {
  readonly [F in O[number] as F extends Optional ? F['name'] : never]?: OutputValue<F> | undefined;
};

/** A request as the dispatcher hands it to an operation. */
export interface OperationRequest {
  /** The client certificate of the connection; null when none was presented. */
  readonly peer: PeerCredential | null;
  /** The client's address as seen by the server, for throttling and the audit trail. */
  readonly remoteAddress: string;
  readonly services: Services;
  /** Tells the request log who called, as soon as the core has said. */
  readonly identified: (caller: Caller | null) => void;
}

/** What a handler gets: the caller, never null for an 'application' operation. */
export interface OperationContext<A extends Access = Access> {
  readonly caller: A extends 'application' ? Caller : Caller | null;
  readonly remoteAddress: string;
  readonly services: Services;
}

interface Declaration<I extends readonly FieldSpec[], O extends readonly OutputSpec[], A extends Access> {
  /** The element's namespace: the protocol's when absent, SSOX_NS for an extension of ssod. */
  readonly namespace?: OperationNamespace;
  /** The element name in the SOAP body (protocol §5), and in that namespace. */
  readonly name: string;
  /** The protocol section, for the docs; null for an extension, which is none of the protocol's. */
  readonly section: string | null;
  readonly summary: string;
  readonly access: A;
  readonly input: I;
  readonly output: O;
  /** The faults the protocol lists for this operation (the common ones are added by the generators). */
  readonly faults: readonly FaultCode[];
}

/** An operation of the table, its types erased: what the dispatcher and the generators read. */
export interface Operation extends Declaration<readonly FieldSpec[], readonly OutputSpec[], Access> {
  readonly namespace: OperationNamespace;
  /** Identifies the caller, checks access (protocol §4.2) and runs the handler on validated input. */
  readonly run: (input: OperationInput, request: OperationRequest) => Promise<OperationOutput>;
}

/**
 * An operation whose caller is identified before its handler runs. The validator has checked the
 * input against the declaration, so it has the declared fields (hence the one cast).
 */
export function operation<const I extends readonly FieldSpec[], const O extends readonly OutputSpec[], const A extends Access>(
  declaration: Declaration<I, O, A> & { readonly handle: (input: InputOf<I>, context: OperationContext<A>) => Promise<OutputOf<O>> },
): Operation {
  const { handle, ...rest } = declaration;
  return Object.freeze({
    ...rest,
    namespace: rest.namespace ?? SSO_NS,
    async run(input: OperationInput, { peer, remoteAddress, services, identified }: OperationRequest): Promise<OperationOutput> {
      const caller = await identifyCaller(services, peer);
      identified(caller);
      if (declaration.access === 'application' && caller === null) {
        throw new ProtocolFault(
          'permissionDenied',
          'A guest may not call this operation; present the client certificate of a registered application.',
        );
      }
      return handle(input as InputOf<I>, { caller, remoteAddress, services } as OperationContext<A>);
    },
  });
}

/**
 * An operation that identifies its caller itself, in the same core call that reads what it needs:
 * verifySession and closeSession, where the certificate and the session are one store read (the hot
 * path of every page load, protocol §5.18), and the ssox operations on a session's variables. It
 * must call `identified` with the caller; for an 'application' operation, a guest is refused here.
 */
export function selfIdentifyingOperation<
  const I extends readonly FieldSpec[],
  const O extends readonly OutputSpec[],
  const A extends Access = 'guest',
>(
  declaration: Declaration<I, O, A> & { readonly handle: (input: InputOf<I>, context: OperationRequest) => Promise<OutputOf<O>> },
): Operation {
  const { handle, ...rest } = declaration;
  return Object.freeze({
    ...rest,
    namespace: rest.namespace ?? SSO_NS,
    run:
      declaration.access === 'application'
        ? async (input: OperationInput, request: OperationRequest) => {
            if (request.peer === null) {
              request.identified(null);
              throw new ProtocolFault(
                'permissionDenied',
                'A guest may not call this operation; present the client certificate of a registered application.',
              );
            }
            return handle(input as InputOf<I>, request);
          }
        : (input: OperationInput, request: OperationRequest) => handle(input as InputOf<I>, request),
  });
}

/** The namespace of a field's element: its own, or its operation's. */
export function fieldNamespace(operation: Pick<Operation, 'namespace'>, field: FieldSpec): OperationNamespace {
  return field.namespace ?? operation.namespace;
}

/** The operation element's name as the docs and the fault reasons write it: `sso:authenticate`, `ssox:getSignOnMethod`. */
export function qualifiedName(namespace: OperationNamespace, name: string): string {
  return `${NAMESPACE_PREFIX[namespace]}:${name}`;
}
