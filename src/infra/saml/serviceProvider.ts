// The SAML 2.0 service provider's library (core/ports/saml.ts) on @node-saml/node-saml, whose XML
// signatures xml-crypto checks with the configured certificates only. Before the library sees a
// response, ssod's hardened XML reader reads it (no DOCTYPE, no entities, no processing
// instructions, limits) and ssod refuses what the library would let through: comments (E31), more
// than one assertion anywhere (E30), an unsigned assertion or a SHA-1 signature (E32). After it,
// the identity is read from the XML that the signature covers only, and ssod checks Destination,
// Recipient and Issuer itself (docs/federation/saml.md).
import { randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SAML, ValidateInResponseTo, type Profile, type SamlConfig } from '@node-saml/node-saml';
import { SignedXml } from 'xml-crypto';
import { Refusal } from '../../core/refusal.js';
import {
  SamlRefusal,
  type AuthnRequestOrder,
  type SamlIdentity,
  type SamlLibrary,
  type SamlResponseCheck,
  type ServiceProviderNames,
} from '../../core/ports/saml.js';
import { escapeXmlAttribute, parseXml, XmlRefusal, type XmlElement } from '../xml.js';
import { checkInThread, warmCheckThreads } from './checkPool.js';

/** The largest SAMLResponse field accepted, in base64 characters. */
export const MAX_SAML_RESPONSE_CHARACTERS = 256 * 1024;
/** The clock skew allowed on NotBefore and NotOnOrAfter. */
export const ACCEPTED_CLOCK_SKEW_MS = 120_000;

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** RSA with SHA-256 or stronger, or ECDSA: never SHA-1 (docs/SECURITY.md case E32). */
const SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);
const DIGEST_ALGORITHMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** A response is larger than a SOAP envelope: more elements, the same other limits. */
const RESPONSE_XML_LIMITS = { maxElements: 10_000 };

// node-saml's own refusals, by what they are about: a signature that covers another node than the
// one read (E30), or no signature by a configured key (E32); the rest are conditions (E33).
const WRAPPING_ERRORS = [
  /multiple assertions/i,
  /more than one element/i,
  /does not refer to it'?s parent/i,
  /too many/i,
  /only 1 signed/i,
];
const SIGNATURE_ERRORS = [/invalid signature/i, /invalid document signature/i, /cannot obtain assertion/i];

function children(parent: XmlElement, ns: string, local: string): readonly XmlElement[] {
  return parent.children.filter((child) => child.ns === ns && child.local === local);
}

function child(parent: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return parent === undefined ? undefined : children(parent, ns, local)[0];
}

function countDeep(element: XmlElement, ns: string, local: string): number {
  const own = element.ns === ns && element.local === local ? 1 : 0;
  return element.children.reduce((sum, inner) => sum + countDeep(inner, ns, local), own);
}

function everyDeep(element: XmlElement, ns: string, local: string): XmlElement[] {
  const own = element.ns === ns && element.local === local ? [element] : [];
  return element.children.reduce<XmlElement[]>((found, inner) => [...found, ...everyDeep(inner, ns, local)], own);
}

/** The decoded response, read by the hardened reader; refused when too large, not base64, or not plain XML. */
function readResponse(samlResponse: string): { xml: string; root: XmlElement } {
  if (samlResponse.length > MAX_SAML_RESPONSE_CHARACTERS) {
    throw new SamlRefusal('malformed', `the response is larger than ${MAX_SAML_RESPONSE_CHARACTERS} base64 characters`);
  }
  const compact = samlResponse.replace(/[\r\n\t ]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) throw new SamlRefusal('malformed', 'the response is not base64');
  const xml = Buffer.from(compact, 'base64').toString('utf8');
  let root: XmlElement;
  try {
    root = parseXml(xml, RESPONSE_XML_LIMITS);
  } catch (error) {
    if (error instanceof XmlRefusal) throw new SamlRefusal('malformed', `the response is not plain XML: ${error.message}`);
    throw error;
  }
  if (root.ns !== PROTOCOL_NS || root.local !== 'Response') throw new SamlRefusal('malformed', 'the document is not a SAML Response');
  return { xml, root };
}

/** The reader drops comments; canonicalization drops them too, so a comment can split a NameID unnoticed (E31). */
function refuseComments(xml: string): void {
  if (xml.includes('<!--')) throw new SamlRefusal('E31', 'the response holds an XML comment');
}

/** One assertion, in its place, signed by a signature of its own (E30, E32). */
function refuseShape(root: XmlElement): XmlElement {
  if (countDeep(root, ASSERTION_NS, 'EncryptedAssertion') > 0) throw new SamlRefusal('malformed', 'encrypted assertions are not accepted');
  const assertions = countDeep(root, ASSERTION_NS, 'Assertion');
  const placed = children(root, ASSERTION_NS, 'Assertion');
  if (assertions > 1) throw new SamlRefusal('E30', `the response holds ${assertions} assertions`);
  const [assertion] = placed;
  if (assertion === undefined) {
    throw new SamlRefusal(
      assertions === 0 ? 'malformed' : 'E30',
      assertions === 0 ? 'the response holds no assertion' : 'the assertion is not a child of the Response',
    );
  }
  if (children(assertion, DSIG_NS, 'Signature').length !== 1) throw new SamlRefusal('E32', 'the assertion is not signed');
  return assertion;
}

/** Every signature in the response uses allowed algorithms, read before any is accepted (E32). */
function refuseWeakAlgorithms(root: XmlElement): void {
  for (const signature of everyDeep(root, DSIG_NS, 'Signature')) {
    const signedInfo = child(signature, DSIG_NS, 'SignedInfo');
    const method = child(signedInfo, DSIG_NS, 'SignatureMethod')?.attributes.get('Algorithm') ?? '';
    if (!SIGNATURE_ALGORITHMS.has(method)) throw new SamlRefusal('E32', `signature algorithm not accepted: ${method || 'none'}`);
    for (const reference of signedInfo === undefined ? [] : children(signedInfo, DSIG_NS, 'Reference')) {
      const digest = child(reference, DSIG_NS, 'DigestMethod')?.attributes.get('Algorithm') ?? '';
      if (!DIGEST_ALGORITHMS.has(digest)) throw new SamlRefusal('E32', `digest algorithm not accepted: ${digest || 'none'}`);
    }
  }
}

function libraryFor(idp: SamlResponseCheck['idp'], sp: ServiceProviderNames, requestId?: string): SAML {
  const config: SamlConfig = {
    idpCert: [...idp.certificates],
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    audience: sp.entityId,
    entryPoint: idp.signInUrl,
    idpIssuer: idp.issuer,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: ACCEPTED_CLOCK_SKEW_MS,
    // InResponseTo is checked against the store, once, cluster-wide (core/saml.ts).
    validateInResponseTo: ValidateInResponseTo.never,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    ...(requestId === undefined ? {} : { generateUniqueId: () => requestId }),
  };
  return new SAML(config);
}

function refusalOfLibrary(error: unknown): SamlRefusal {
  const message = error instanceof Error ? error.message : String(error);
  const reason = `the SAML library refused the response: ${message.slice(0, 200)}`;
  if (WRAPPING_ERRORS.some((pattern) => pattern.test(message))) return new SamlRefusal('E30', reason);
  if (SIGNATURE_ERRORS.some((pattern) => pattern.test(message))) return new SamlRefusal('E32', reason);
  return new SamlRefusal('E33', reason);
}

function timeOf(text: string | undefined, what: string): number | null {
  if (text === undefined) return null;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new SamlRefusal('malformed', `${what} is not a time`);
  return time;
}

/** The bearer confirmation of the signed assertion, for this assertion consumer service. */
function confirmationOf(assertion: XmlElement, check: SamlResponseCheck): { inResponseTo: string | null; notOnOrAfter: number | null } {
  const subject = child(assertion, ASSERTION_NS, 'Subject');
  const confirmations = subject === undefined ? [] : children(subject, ASSERTION_NS, 'SubjectConfirmation');
  const data = confirmations
    .filter((c) => c.attributes.get('Method') === BEARER)
    .map((c) => child(c, ASSERTION_NS, 'SubjectConfirmationData'));
  const [first] = data;
  if (data.length !== 1 || first === undefined) throw new SamlRefusal('E33', 'the assertion has no single bearer SubjectConfirmationData');
  const recipient = first.attributes.get('Recipient');
  if (recipient !== check.sp.acsUrl)
    throw new SamlRefusal('E33', `Recipient is not this assertion consumer service: ${recipient ?? 'none'}`);
  const notOnOrAfter = timeOf(first.attributes.get('NotOnOrAfter'), 'NotOnOrAfter');
  if (notOnOrAfter === null) throw new SamlRefusal('E33', 'the SubjectConfirmationData has no NotOnOrAfter');
  if (check.now - ACCEPTED_CLOCK_SKEW_MS >= notOnOrAfter) throw new SamlRefusal('E33', 'the assertion is stale (NotOnOrAfter has passed)');
  return { inResponseTo: first.attributes.get('InResponseTo') ?? null, notOnOrAfter };
}

function attributesOf(profile: Profile): Record<string, string[]> {
  const attributes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const raw = (profile.attributes ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(raw)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    attributes[name] = values;
  }
  return attributes;
}

/** The identity, from the XML the signature covers (the library hands it back), checked against ssod's own rules. */
function identityOf(profile: Profile, root: XmlElement, check: SamlResponseCheck): SamlIdentity {
  const signed = parseXml(profile.getAssertionXml?.() ?? '', RESPONSE_XML_LIMITS);
  if (signed.ns !== ASSERTION_NS || signed.local !== 'Assertion') throw new SamlRefusal('E30', 'the signature does not cover an assertion');
  const issuer = child(signed, ASSERTION_NS, 'Issuer')?.text.trim() ?? '';
  if (issuer !== check.idp.issuer)
    throw new SamlRefusal('E33', `the assertion's Issuer is not the identity provider's: ${issuer || 'none'}`);
  const responseIssuer = child(root, ASSERTION_NS, 'Issuer')?.text.trim();
  if (responseIssuer !== undefined && responseIssuer !== issuer)
    throw new SamlRefusal('E33', "the Response's Issuer differs from the assertion's");
  const destination = root.attributes.get('Destination');
  if (destination !== check.sp.acsUrl)
    throw new SamlRefusal('E33', `Destination is not this assertion consumer service: ${destination ?? 'none'}`);
  const assertionId = signed.attributes.get('ID') ?? '';
  if (assertionId === '') throw new SamlRefusal('malformed', 'the assertion has no ID');
  const confirmation = confirmationOf(signed, check);
  const responseInResponseTo = root.attributes.get('InResponseTo') ?? null;
  if (responseInResponseTo !== confirmation.inResponseTo) {
    throw new SamlRefusal('E33', "the Response's InResponseTo differs from the signed SubjectConfirmationData's");
  }
  const conditionsEnd = timeOf(child(signed, ASSERTION_NS, 'Conditions')?.attributes.get('NotOnOrAfter'), 'NotOnOrAfter');
  return {
    issuer,
    assertionId,
    nameId: profile.nameID,
    attributes: attributesOf(profile),
    inResponseTo: confirmation.inResponseTo,
    notOnOrAfter: Math.max(confirmation.notOnOrAfter ?? 0, conditionsEnd ?? 0),
  };
}

/** The key and certificate with which ssod signs its metadata (options samlSigningKeyFile and samlSigningCertificateFile). */
export interface SamlSigning {
  readonly keyPem: string;
  readonly certificatePem: string;
}

/**
 * The signing key of the options, or null when none is configured. Refused when only one of the two
 * files is given, when one cannot be read, or when the certificate is not the key's.
 */
export function samlSigningOf(options: {
  readonly samlSigningKeyFile: string;
  readonly samlSigningCertificateFile: string;
}): SamlSigning | null {
  const { samlSigningKeyFile: keyFile, samlSigningCertificateFile: certificateFile } = options;
  if (keyFile === '' && certificateFile === '') return null;
  if (keyFile === '' || certificateFile === '')
    throw new Refusal('give both --saml-signing-key-file and --saml-signing-certificate-file to sign the SAML metadata, or neither');
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new Refusal(
        `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}): the SAML signing key and certificate must be readable PEM files`,
      );
    }
  };
  const signing = { keyPem: read(keyFile), certificatePem: read(certificateFile) };
  let matches: boolean;
  try {
    matches = new X509Certificate(signing.certificatePem).checkPrivateKey(createPrivateKey(signing.keyPem));
  } catch {
    throw new Refusal(`${keyFile} and ${certificateFile} must be a PEM private key and a PEM certificate`);
  }
  if (!matches) throw new Refusal(`${certificateFile} is not the certificate of the key in ${keyFile}`);
  return signing;
}

/** The certificate's DER in base64, as an X509Certificate element holds it. */
function certificateBase64(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

/** Signs the EntityDescriptor (enveloped, exclusive canonicalization, SHA-256), the signature its first child as the schema wants. */
function signMetadata(xml: string, signing: SamlSigning): string {
  const ec = createPrivateKey(signing.keyPem).asymmetricKeyType === 'ec';
  const signer = new SignedXml({
    privateKey: signing.keyPem,
    publicCert: signing.certificatePem,
    signatureAlgorithm: ec ? 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const root = "/*[local-name(.)='EntityDescriptor']";
  signer.addReference({
    xpath: root,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  signer.computeSignature(xml, { prefix: 'ds', location: { reference: root, action: 'prepend' } });
  return signer.getSignedXml();
}

function metadataOf(sp: ServiceProviderNames, signing: SamlSigning | null): string {
  const entityId = escapeXmlAttribute(sp.entityId);
  const acs = escapeXmlAttribute(sp.acsUrl);
  const keyDescriptor =
    signing === null
      ? ''
      : `
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="${DSIG_NS}"><ds:X509Data><ds:X509Certificate>${certificateBase64(signing.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const id = signing === null ? '' : ` ID="_${randomBytes(16).toString('hex')}"`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"${id} entityID="${entityId}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="${PROTOCOL_NS}">${keyDescriptor}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
  return signing === null ? xml : signMetadata(xml, signing);
}

/**
 * Every check of a posted response that needs no store, in the order of docs/federation/saml.md: the
 * hardened reader, ssod's refusals, the library's signature and conditions, and the identity read
 * from the signed XML only; throws SamlRefusal. Pure and CPU-bound: the service provider runs it on
 * a thread of its own (checkPool.ts), this function is what that thread runs.
 */
export async function checkSamlResponse(check: SamlResponseCheck): Promise<SamlIdentity> {
  const { xml, root } = readResponse(check.samlResponse);
  refuseComments(xml);
  refuseShape(root);
  refuseWeakAlgorithms(root);
  let profile: Profile | null;
  try {
    ({ profile } = await libraryFor(check.idp, check.sp).validatePostResponseAsync({ SAMLResponse: check.samlResponse }));
  } catch (error) {
    throw refusalOfLibrary(error);
  }
  if (profile === null) throw new SamlRefusal('malformed', 'the response carries no assertion');
  return identityOf(profile, root, check);
}

/** The SAML library; with `signing`, the metadata is signed and names the signing certificate. */
export function nodeSamlLibrary(signing: SamlSigning | null = null): SamlLibrary {
  return {
    async authnRequestUrl(order: AuthnRequestOrder): Promise<string> {
      warmCheckThreads();
      return libraryFor(order.idp, order.sp, order.id).getAuthorizeUrlAsync(order.relayState, undefined, {});
    },
    issuerOf(samlResponse: string): string | null {
      const { root } = readResponse(samlResponse);
      const issuer = child(root, ASSERTION_NS, 'Issuer') ?? child(child(root, ASSERTION_NS, 'Assertion'), ASSERTION_NS, 'Issuer');
      return issuer === undefined ? null : issuer.text.trim();
    },
    validateResponse: checkInThread,
    metadata: (sp) => metadataOf(sp, signing),
  };
}
