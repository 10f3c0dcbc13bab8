// SAML responses for the tests of ssod's service provider, signed by xml-crypto's SignedXml with a
// test key: a real signer of a well-known library, so that the checks under test meet real
// signatures; the hostile variants are built from them as an attacker would.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SignedXml } from 'xml-crypto';
import type { IdentityProviderSettings } from '../../src/core/store/identityProviders.js';
import { idpSettings } from './identityProviders.js';

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY_MS = 86_400_000;

export interface SigningKey {
  readonly keyPem: string;
  readonly certificatePem: string;
}

/** A new RSA key and its self-signed certificate, as an identity provider has; valid for 30 days from yesterday unless `validity` says otherwise. */
export async function newSigningKey(
  name = 'idp.example.test',
  validity: { readonly notBefore: number; readonly notAfter: number } = {
    notBefore: Date.now() - DAY_MS,
    notAfter: Date.now() + 30 * DAY_MS,
  },
): Promise<SigningKey> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(validity.notBefore),
    notAfter: new Date(validity.notAfter),
    keys,
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { keyPem, certificatePem: certificate.toString('pem') };
}

export interface ResponseFacts {
  readonly issuer: string;
  readonly destination: string;
  readonly recipient: string;
  readonly audience: string;
  readonly inResponseTo: string | null;
  readonly nameId: string;
  readonly assertionId?: string;
  /** When the assertion stops being valid (ms); default five minutes from now. */
  readonly notOnOrAfter?: number;
  readonly attributes?: Readonly<Record<string, string>>;
}

let ids = 0;
const iso = (ms: number): string => new Date(ms).toISOString();

export function assertionXml(facts: ResponseFacts): string {
  const now = Date.now();
  const end = iso(facts.notOnOrAfter ?? now + 300_000);
  const inResponseTo = facts.inResponseTo === null ? '' : ` InResponseTo="${facts.inResponseTo}"`;
  const attributes = Object.entries(facts.attributes ?? {})
    .map(([name, value]) => `<saml:Attribute Name="${name}"><saml:AttributeValue>${value}</saml:AttributeValue></saml:Attribute>`)
    .join('');
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${facts.assertionId ?? `_a${(ids += 1)}${now}`}" Version="2.0" IssueInstant="${iso(now)}"><saml:Issuer>${facts.issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${facts.nameId}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${end}" Recipient="${facts.recipient}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(now - 60_000)}" NotOnOrAfter="${end}"><saml:AudienceRestriction><saml:Audience>${facts.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="_s${ids}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>${attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : ''}</saml:Assertion>`;
}

export function responseXml(facts: ResponseFacts, assertions: string): string {
  const inResponseTo = facts.inResponseTo === null ? '' : ` InResponseTo="${facts.inResponseTo}"`;
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${(ids += 1)}" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="${facts.destination}"${inResponseTo}><saml:Issuer>${facts.issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertions}</samlp:Response>`;
}

export interface SignOptions {
  /** `sha1` for the hostile case; default sha256. */
  readonly hash?: 'sha1' | 'sha256';
  /** Put this certificate in the signature's KeyInfo. */
  readonly keyInfoCertificate?: string;
}

/** Signs the Response's assertion (enveloped, exclusive canonicalization), the signature after its Issuer. */
export function signAssertion(xml: string, key: SigningKey, options: SignOptions = {}): string {
  const sha1 = options.hash === 'sha1';
  const signer = new SignedXml({
    privateKey: key.keyPem,
    signatureAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    ...(options.keyInfoCertificate === undefined ? {} : { publicCert: options.keyInfoCertificate }),
  });
  signer.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    digestAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  signer.computeSignature(xml, {
    location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return signer.getSignedXml();
}

/** A signed response as the form field carries it. */
export function signedResponse(facts: ResponseFacts, key: SigningKey, options: SignOptions = {}): string {
  return encode(signAssertion(responseXml(facts, assertionXml(facts)), key, options));
}

export function encode(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

export function decode(field: string): string {
  return Buffer.from(field, 'base64').toString('utf8');
}

/** The settings of an identity provider of that issuer that signs with `key`. */
export function signingIdpSettings(
  issuer: string,
  key: SigningKey,
  more: Partial<IdentityProviderSettings> = {},
): IdentityProviderSettings {
  return idpSettings({ issuer, signInUrl: `https://${new URL(issuer).host}/sso`, certificates: [key.certificatePem], ...more });
}
