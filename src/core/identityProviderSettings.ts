// The settings of a SAML identity provider (core/store/identityProviders.ts), checked once for every
// way they come in: the operator's command, a metadata import, an import of an export, and every read
// from the store (a row edited by hand or written by another version must not reach the service
// provider unchecked). What is refused is said with what to give instead (docs/federation/saml.md,
// "Configuring identity providers").
//
// What depends on the time (a certificate's expiry) or on other records (the application that owns
// created users) is checked when the operator adds or changes the settings (core/operator/identityProviders.ts),
// not at every read: a certificate that expires later makes no stored row unreadable, it only stops
// being used (usableCertificates).
import { X509Certificate } from 'node:crypto';
import type { IdentityProviderSettings } from './store/identityProviders.js';
import { Refusal } from './refusal.js';

const IDP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_ISSUER = 1024;
const MAX_URL = 2048;
const MAX_ATTRIBUTE = 256;
const MAX_DISPLAY_NAME = 100;
/** Several certificates during a rotation; more is a mistake. */
const MAX_CERTIFICATES = 8;
const MIN_RSA_BITS = 2048;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----/g;
/** How long before a certificate's expiry the operator is warned. */
export const EXPIRY_WARNING_MS = 30 * 24 * 60 * 60 * 1000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const SETTING_KEYS = new Set([
  'issuer',
  'signInUrl',
  'userIdType',
  'userIdLocation',
  'userIdAttribute',
  'certificates',
  'allowIdpInitiated',
  'createUsersOwnedBy',
]);

type Json = Readonly<Record<string, unknown>>;

function refuse(message: string): never {
  throw new Refusal(message);
}

// eslint-disable-next-line no-control-regex -- the control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An identity provider's name as the operator gives it: letters, digits, `.`, `_`, `-`, up to 64, starting with a letter or digit. */
export function checkIdentityProviderName(name: string): string {
  if (!IDP_NAME.test(name))
    refuse(
      `the identity provider name ${JSON.stringify(name)} is not allowed: use letters, digits, ".", "_" and "-" (up to 64, starting with a letter or digit), for example corp-idp`,
    );
  return name;
}

const MAX_FEDERATED_ID = 1024;

/** A federated id as the operator gives it: 1 to 1024 characters, no control characters, compared exactly. */
export function checkFederatedId(federatedId: string): string {
  if (federatedId === '' || federatedId.length > MAX_FEDERATED_ID || CONTROL.test(federatedId))
    refuse(
      `the federated id must be 1 to ${MAX_FEDERATED_ID} characters without control characters, exactly as the identity provider sends it`,
    );
  return federatedId;
}

/** The text of the sign-in page's button: 1 to 100 characters, no control characters. */
export function checkDisplayName(displayName: string): string {
  if (displayName.trim() === '' || displayName.length > MAX_DISPLAY_NAME || CONTROL.test(displayName))
    refuse(`the display name must be 1 to ${MAX_DISPLAY_NAME} characters without control characters, such as "Example Corp"`);
  return displayName;
}

function issuer(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_ISSUER || CONTROL.test(value))
    refuse(
      `the issuer must be the identity provider's entity id, 1 to ${MAX_ISSUER} characters without control characters, such as https://idp.example.com/saml2/idp/metadata.php`,
    );
  return value;
}

/**
 * The sign-in URL: https, or http on a loopback host (an identity provider on the same machine, as in
 * tests): a browser carries the request there, and the response back must not be readable on the way.
 */
function signInUrl(value: unknown): string {
  const example = 'https://idp.example.com/saml2/idp/SSOService.php';
  if (typeof value !== 'string' || value.length > MAX_URL)
    refuse(`the sign-in URL must be a text of at most ${MAX_URL} characters, such as ${example}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse(`${JSON.stringify(value)} is not a URL; give the identity provider's single sign-on URL, such as ${example}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
    refuse(`the sign-in URL must start with https:// (http:// only on localhost or 127.0.0.1), such as ${example}`);
  if (url.username !== '' || url.password !== '') refuse('the sign-in URL must not hold a user or a password');
  if (value.includes('#')) refuse('the sign-in URL must not have a fragment (#…)');
  return url.href;
}

/** One PEM certificate whose key may sign responses: X.509, RSA of at least 2048 bits or EC; normalized. */
export function checkSigningCertificate(pem: string, what = 'the certificate'): string {
  const blocks = [...pem.matchAll(PEM_CERTIFICATE)];
  if (blocks.length !== 1 || pem.replace(PEM_CERTIFICATE, '').trim() !== '')
    refuse(`${what} must be exactly one PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----) and nothing else`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate((blocks[0] as RegExpMatchArray)[0]);
  } catch {
    refuse(`${what} is not a valid X.509 certificate`);
  }
  const key = certificate.publicKey;
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) refuse(`${what} has an RSA key of ${bits} bits; signing keys need at least ${MIN_RSA_BITS} bits`);
  } else if (type !== 'ec') {
    refuse(`${what} has a key of type ${type ?? 'unknown'}; signing keys must be RSA (2048 bits or more) or EC`);
  }
  return certificate.toString();
}

function certificates(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0)
    refuse('an identity provider needs at least one signing certificate (--certificate-file, or from its metadata)');
  if (value.length > MAX_CERTIFICATES) refuse(`an identity provider has at most ${MAX_CERTIFICATES} signing certificates`);
  const checked = value.map((pem: unknown, index) => {
    if (typeof pem !== 'string') refuse(`certificate ${index + 1} must be PEM text`);
    return checkSigningCertificate(pem, `certificate ${index + 1}`);
  });
  if (new Set(checked).size !== checked.length) refuse('the same certificate is given twice');
  return checked;
}

function userIdAttribute(value: unknown, location: 'subject' | 'attribute'): string | undefined {
  if (location === 'subject') {
    if (value !== undefined && value !== null) refuse('a user id attribute is only for --user-id-location attribute; leave it out');
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_ATTRIBUTE || CONTROL.test(value))
    refuse(
      `--user-id-location attribute needs --user-id-attribute, the attribute's name (at most ${MAX_ATTRIBUTE} characters), such as urn:oid:0.9.2342.19200300.100.1.1`,
    );
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, what: string): T {
  const given = value ?? fallback;
  if (typeof given !== 'string' || !(allowed as readonly string[]).includes(given))
    refuse(`${what} must be ${allowed.join(' or ')}, got ${JSON.stringify(given)}`);
  return given as T;
}

/** The settings as checked and normalized (defaults filled in); throws a Refusal that says what to give instead. */
export function parseIdentityProviderSettings(value: unknown): IdentityProviderSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('the settings of an identity provider must be an object');
  const record = value as Json;
  const other = Object.keys(record).find((key) => !SETTING_KEYS.has(key));
  if (other !== undefined) refuse(`an identity provider has no setting ${JSON.stringify(other)}`);
  const userIdLocation = oneOf(record.userIdLocation, ['subject', 'attribute'], 'subject', 'the user id location');
  const attribute = userIdAttribute(record.userIdAttribute, userIdLocation);
  const allowIdpInitiated = record.allowIdpInitiated ?? false;
  if (typeof allowIdpInitiated !== 'boolean') refuse('allowIdpInitiated must be true or false');
  const owner = record.createUsersOwnedBy ?? null;
  if (owner !== null && (typeof owner !== 'string' || owner === '' || owner.length > 64 || CONTROL.test(owner)))
    refuse('createUsersOwnedBy must be the id of a registered application, or null');
  return {
    issuer: issuer(record.issuer),
    signInUrl: signInUrl(record.signInUrl),
    userIdType: oneOf(record.userIdType, ['userId', 'federatedId'], 'federatedId', 'the user id type'),
    userIdLocation,
    ...(attribute !== undefined ? { userIdAttribute: attribute } : {}),
    certificates: certificates(record.certificates),
    allowIdpInitiated,
    createUsersOwnedBy: owner,
  };
}

/** What the operator is shown of a certificate, and whether it may still be used at `now`. */
export interface CertificateSummary {
  readonly sha256: string;
  readonly subject: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly expired: boolean;
  /** Valid now, but expires within 30 days. */
  readonly expiresSoon: boolean;
}

export function certificateSummary(pem: string, now: number): CertificateSummary {
  const certificate = new X509Certificate(pem);
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  const expired = now >= notAfter || now < notBefore;
  return {
    sha256: certificate.fingerprint256,
    subject: certificate.subject.replaceAll('\n', ', '),
    notBefore,
    notAfter,
    expired,
    expiresSoon: !expired && notAfter - now <= EXPIRY_WARNING_MS,
  };
}

/** The certificates whose keys may verify a signature at `now`: the valid ones; an expired one is never used. */
export function usableCertificates(settings: IdentityProviderSettings, now: number): string[] {
  return settings.certificates.filter((pem) => !certificateSummary(pem, now).expired);
}

/** Refuses settings whose certificates are expired at `now` (checked when the operator adds or changes them). */
export function checkCertificatesCurrent(settings: IdentityProviderSettings, now: number): CertificateSummary[] {
  const summaries = settings.certificates.map((pem) => certificateSummary(pem, now));
  summaries.forEach((summary, index) => {
    if (summary.expired)
      refuse(
        `certificate ${index + 1} (SHA-256 ${summary.sha256}) is not valid now (valid ${new Date(summary.notBefore).toISOString()} to ${new Date(summary.notAfter).toISOString()}); ask the identity provider for its current signing certificate`,
      );
  });
  return summaries;
}
