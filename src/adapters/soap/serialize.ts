// SOAP replies: an operation's response element, and faults exactly as docs/DECISIONS.md "Faults" says
// (protocol §6.2 is authoritative). The reply uses the SOAP version of the request. An extension's
// reply is in its own namespace (ssox, declared on the response element); faults are always sso's.
import { EnvelopeFault, FAULTS, NAMESPACE_PREFIX, ProtocolFault, SSO_NS, type FaultCode } from './faults.js';
import type { Operation, OperationOutput, OutputRecord, OutputSpec } from './operations/types.js';
import { MustUnderstandFault, SOAP11_NS, SOAP12_NS, type SoapVersion } from './envelope.js';
import { escapeXmlAttribute, escapeXmlText } from '../../infra/xml.js';

const ENVELOPE_NS: Readonly<Record<SoapVersion, string>> = { '1.1': SOAP11_NS, '1.2': SOAP12_NS };

/** The Content-Type of a reply (SOAP 1.1 §6.1.1; SOAP 1.2 Part 2 §7.1.4). */
export function contentTypeOf(version: SoapVersion): string {
  return version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function prefixedText(prefix: string, name: string, text: string): string {
  return element(`${prefix}:${name}`, escapeXmlText(text));
}

function ssoText(name: string, text: string): string {
  return prefixedText('sso', name, text);
}

/** `header` is the serialized content of env:Header, or '' for none. */
function envelope(version: SoapVersion, header: string, body: string): string {
  const headerElement = header === '' ? '' : element('env:Header', header);
  return `<env:Envelope xmlns:env="${ENVELOPE_NS[version]}" xmlns:sso="${SSO_NS}">${headerElement}${element('env:Body', body)}</env:Envelope>`;
}

/** One reply field by its shape, in the operation's namespace; a value of the wrong kind is a bug of the operation, so an Error (internalError). */
function outputField(prefix: string, spec: OutputSpec, value: string | readonly string[] | readonly OutputRecord[] | undefined): string {
  if (value === undefined) {
    if (spec.optional === true || spec.shape === 'repeated' || spec.shape === 'records') return '';
    throw new Error(`operation output ${spec.name} is missing`);
  }
  const shape = spec.shape ?? 'single';
  if (shape === 'records') return records(prefix, spec, value);
  if (shape === 'single') {
    if (typeof value !== 'string') throw new Error(`operation output ${spec.name} must be a string`);
    return prefixedText(prefix, spec.name, value);
  }
  if (typeof value === 'string' || value.some((item) => typeof item !== 'string'))
    throw new Error(`operation output ${spec.name} must be a list`);
  const items = value as readonly string[];
  if (shape === 'repeated') return items.map((item) => prefixedText(prefix, spec.name, item)).join('');
  // protocol §5.3, §5.10: a list is wrapped, one sso:a per item.
  return element(`${prefix}:${spec.name}`, items.map((item) => prefixedText(prefix, 'a', item)).join(''));
}

/** A `records` output: the element once per record, its fields in declared order (a loop: it may hold dozens of records on a hot path). */
function records(prefix: string, spec: OutputSpec, value: string | readonly (string | OutputRecord)[]): string {
  if (typeof value === 'string') throw new Error(`operation output ${spec.name} must be a list of records`);
  const fields = spec.fields ?? [];
  const open = `<${prefix}:${spec.name}>`;
  const close = `</${prefix}:${spec.name}>`;
  let xml = '';
  for (const record of value) {
    if (typeof record === 'string') throw new Error(`operation output ${spec.name} must be a list of records`);
    xml += open;
    for (const field of fields) {
      const text = record[field];
      if (text === undefined) throw new Error(`operation output ${spec.name}.${field} is missing`);
      xml += `<${prefix}:${field}>${escapeXmlText(text)}</${prefix}:${field}>`;
    }
    xml += close;
  }
  return xml;
}

/**
 * The reply of a successful operation: `<sso:NAMEResponse>` holding its outputs in declared order;
 * an extension's is `<ssox:NAMEResponse xmlns:ssox="…">`, so the envelope stays the protocol's.
 */
export function serializeResponse(version: SoapVersion, operation: Operation, output: OperationOutput): string {
  const prefix = NAMESPACE_PREFIX[operation.namespace];
  const fields = operation.output.map((spec) =>
    outputField(prefix, spec, Object.hasOwn(output, spec.name) ? output[spec.name] : undefined),
  );
  const declaration = operation.namespace === SSO_NS ? '' : ` xmlns:${prefix}="${operation.namespace}"`;
  const response = `${prefix}:${operation.name}Response`;
  return envelope(version, '', `<${response}${declaration}>${fields.join('')}</${response}>`);
}

export interface SerializedFault {
  readonly status: number;
  readonly body: string;
}

/** SOAP 1.2 Part 1 §5.4.6 codes of the envelope itself; the HTTP binding (Part 2 §7.5.2) answers 400 for env:Sender only. */
const SOAP12_ENVELOPE_CODES: Readonly<Record<EnvelopeFault['kind'], { value: string; status: number }>> = {
  Sender: { value: 'env:Sender', status: 400 },
  VersionMismatch: { value: 'env:VersionMismatch', status: 500 },
  MustUnderstand: { value: 'env:MustUnderstand', status: 500 },
};

/** SOAP 1.1 §4.4.1; every SOAP 1.1 fault is HTTP 500 (§6.2). */
const SOAP11_ENVELOPE_CODES: Readonly<Record<EnvelopeFault['kind'], string>> = {
  Sender: 'env:Client',
  VersionMismatch: 'env:VersionMismatch',
  MustUnderstand: 'env:MustUnderstand',
};

function soap12Fault(code: string, subcode: string | null, reason: string, detail: string): string {
  const subcodeElement = subcode === null ? '' : element('env:Subcode', element('env:Value', subcode));
  return element(
    'env:Fault',
    element('env:Code', element('env:Value', code) + subcodeElement) +
      element('env:Reason', `<env:Text xml:lang="en">${escapeXmlText(reason)}</env:Text>`) +
      (detail === '' ? '' : element('env:Detail', detail)),
  );
}

function soap11Fault(code: string, reason: string, detail: string): string {
  return element(
    'env:Fault',
    element('faultcode', code) + element('faultstring', escapeXmlText(reason)) + (detail === '' ? '' : element('detail', detail)),
  );
}

/** SOAP 1.2 Part 1 §5.4.7: the envelopes we do support, for a VersionMismatch. */
const UPGRADE_HEADER = element(
  'env:Upgrade',
  `<env:SupportedEnvelope qname="v12:Envelope" xmlns:v12="${SOAP12_NS}"/><env:SupportedEnvelope qname="v11:Envelope" xmlns:v11="${SOAP11_NS}"/>`,
);

/** SOAP 1.2 Part 1 §5.4.8: which header block was not understood. */
function notUnderstoodHeader(fault: MustUnderstandFault): string {
  const { ns, local } = fault.header;
  return ns === ''
    ? `<env:NotUnderstood qname="${escapeXmlAttribute(local)}"/>`
    : `<env:NotUnderstood qname="h:${escapeXmlAttribute(local)}" xmlns:h="${escapeXmlAttribute(ns)}"/>`;
}

function soap12EnvelopeHeader(fault: EnvelopeFault): string {
  if (fault.kind === 'VersionMismatch') return UPGRADE_HEADER;
  if (fault instanceof MustUnderstandFault) return notUnderstoodHeader(fault);
  return '';
}

function serializeEnvelopeFault(version: SoapVersion, fault: EnvelopeFault): SerializedFault {
  if (version === '1.1')
    return { status: 500, body: envelope('1.1', '', soap11Fault(SOAP11_ENVELOPE_CODES[fault.kind], fault.message, '')) };
  const { value, status } = SOAP12_ENVELOPE_CODES[fault.kind];
  return { status, body: envelope('1.2', soap12EnvelopeHeader(fault), soap12Fault(value, null, fault.message, '')) };
}

function serializeProtocolFault(version: SoapVersion, code: FaultCode, reason: string): SerializedFault {
  const detail = ssoText(code, reason);
  if (version === '1.1') return { status: 500, body: envelope('1.1', '', soap11Fault(`sso:${code}`, reason, detail)) };
  // protocol §6.2: env:Code is Sender or Receiver, the sso: code is the env:Subcode.
  const soap12Code = FAULTS[code].soap12Code;
  const status = soap12Code === 'Sender' ? 400 : 500;
  return { status, body: envelope('1.2', '', soap12Fault(`env:${soap12Code}`, `sso:${code}`, reason, detail)) };
}

/**
 * A fault reply. `null` stands for an unexpected error: it becomes sso:internalError with the
 * table's description only, so no stack, path or database text reaches the caller.
 */
export function serializeFault(version: SoapVersion, fault: ProtocolFault | EnvelopeFault | null): SerializedFault {
  if (fault instanceof EnvelopeFault) return serializeEnvelopeFault(version, fault);
  if (fault instanceof ProtocolFault) return serializeProtocolFault(version, fault.code, fault.message);
  return serializeProtocolFault(version, 'internalError', FAULTS.internalError.description);
}
