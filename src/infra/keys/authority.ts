// ssod's own certificate authority (docs/DECISIONS.md "Certificates", protocol §4.2, §5.1), the core's
// CertificateAuthority port: it issues the client certificates that identify applications and the
// server certificate of the SOAP listener.
// Keys are ECDSA P-256 and signatures ECDSA-SHA256: fast enough to sign on the request path.
import type * as X509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { fingerprintOf } from '../../core/fingerprint.js';
import { serverHostName, type HostName } from '../../core/hosts.js';
import type { Clock } from '../../core/ports/clock.js';
import type {
  CertificateAuthority as CertificateAuthorityPort,
  IssuedCertificate,
  ServerCredentials,
} from '../../core/ports/certificates.js';
import { dataDirPlace, type KeyAndCertificate, type KeyMaterialPlace } from './material.js';

export { fingerprintOf };
export type { IssuedCertificate, ServerCredentials };

// @peculiar/x509 with its reflect-metadata polyfill was the largest part of ssod's start-up (about
// 0.15 s of 0.5 s to a ready /healthz, measured by the bench). Only issuing a certificate needs it,
// so it is loaded on the first issue instead of at every start; checking the stored CA and server
// certificate at start uses node:crypto alone.
let x509Module: Promise<typeof X509> | null = null;

function loadX509(): Promise<typeof X509> {
  x509Module ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return x509Module;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
// Issued certificates start a little in the past so that a peer whose clock is behind accepts them.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const CA_VALIDITY_YEARS = 20;
// 825 days: the longest server certificate lifetime that macOS and iOS still accept.
const SERVER_VALIDITY_DAYS = 825;
const SERVER_RENEW_BEFORE_DAYS = 30;

// ---------------------------------------------------------------------------------------------
// Host names (parsed by core/hosts.ts)

/**
 * The subject alternative names of the server certificate (clients check these, not the CN): the
 * host name, and always 127.0.0.1 and localhost, because applications on this machine reach the
 * service over loopback in single-panel mode and keep doing so after a switch to multiple-panels.
 */
function subjectAltNames(host: HostName): X509.JsonGeneralName[] {
  const names: X509.JsonGeneralName[] = [{ type: host.isIp ? 'ip' : 'dns', value: host.name }];
  if (host.name !== '127.0.0.1') names.push({ type: 'ip', value: '127.0.0.1' });
  if (host.name !== 'localhost') names.push({ type: 'dns', value: 'localhost' });
  return names;
}

function certificateNamesHost(certificate: X509Certificate, host: HostName): boolean {
  const commonNames = certificate.subject.split('\n').filter((field) => field.startsWith('CN='));
  const matchesSan = host.isIp ? certificate.checkIP(host.name) !== undefined : certificate.checkHost(host.name) !== undefined;
  const namesLoopback = certificate.checkIP('127.0.0.1') !== undefined && certificate.checkHost('localhost') !== undefined;
  return matchesSan && namesLoopback && commonNames.length === 1 && commonNames[0] === `CN=${host.name}`;
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates

interface KeyPair {
  readonly signingKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
  readonly privateKeyPem: string;
}

async function generateKeyPair(): Promise<KeyPair> {
  const pair = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  const privateKeyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { signingKey: pair.privateKey, publicKey: pair.publicKey, privateKeyPem };
}

/** Parses a stored key; the message names the file, never the key's contents. */
function parsePrivateKey(file: string, pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`${file}: not a readable PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${file}: not an ECDSA P-256 private key`);
  }
  return key;
}

function parseCertificate(file: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${file}: not a readable PEM certificate`);
  }
}

function requireMatchingKey(certificateFile: string, certificate: X509Certificate, keyFile: string, key: KeyObject): void {
  if (!certificate.checkPrivateKey(key)) {
    throw new Error(`${certificateFile}: the certificate does not belong to the private key in ${keyFile}`);
  }
}

function toSigningKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign']);
}

/** 16 random bytes, kept positive and of fixed length so the hex is exactly the DER serial. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function toNodeCertificate(certificate: X509.X509Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(certificate.rawData));
}

/** The key-usage extensions shared by every leaf ssod issues. */
function leafExtensions(x509: typeof X509, usage: X509.ExtendedKeyUsage, authorityKeyId: string): X509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    new x509.AuthorityKeyIdentifierExtension(authorityKeyId),
  ];
}

interface Authority {
  readonly signingKey: webcrypto.CryptoKey;
  readonly certificate: X509Certificate;
  /** What issuing needs of the CA certificate, read with @peculiar/x509 on first use. */
  issuer(): Promise<Issuer>;
}

interface Issuer {
  readonly x509: typeof X509;
  readonly certificate: X509.X509Certificate;
  readonly keyIdentifier: string;
}

interface LeafRequest {
  readonly subject: X509.JsonName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: X509.Extension[];
}

async function signLeaf(authority: Authority, request: LeafRequest): Promise<{ keys: KeyPair; certificate: X509Certificate }> {
  const { x509, certificate: issuer } = await authority.issuer();
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: request.subject,
    issuer: issuer.subjectName,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: keys.publicKey,
    signingKey: authority.signingKey,
    signingAlgorithm: ALGORITHM,
    extensions: [...request.extensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { keys, certificate: toNodeCertificate(certificate) };
}

async function createAuthority(clock: Clock): Promise<{ keyPem: string; certificatePem: string }> {
  const x509 = await loadX509();
  const keys = await generateKeyPair();
  const now = clock();
  const notAfter = wholeSeconds(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    // A random suffix, so that two installations' CAs never share a name.
    name: [{ CN: [`ssod certificate authority ${randomBytes(4).toString('hex')}`] }, { O: ['ssod'] }],
    notBefore: wholeSeconds(now - CLOCK_SKEW_MS),
    notAfter,
    keys: { privateKey: keys.signingKey, publicKey: keys.publicKey },
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: keys.privateKeyPem, certificatePem: toNodeCertificate(certificate).toString() };
}

/** `clock`: create the CA when the place holds none, valid from then; null: refuse instead. */
async function loadAuthority(place: KeyMaterialPlace, clock: Clock | null): Promise<Authority> {
  let { keyPem, certificatePem } = await place.read('ca');
  if (keyPem === null && certificatePem === null) {
    if (clock === null)
      throw new Error(`no certificate authority: ${place.label('ca', 'key')} and ${place.label('ca', 'certificate')} are missing`);
    // Several nodes may get here at once on an empty store: the first save wins, the others get it back.
    ({ keyPem, certificatePem } = await place.save('ca', await createAuthority(clock), null));
  }
  const keyLabel = place.label('ca', 'key');
  const certificateLabel = place.label('ca', 'certificate');
  // One without the other is never re-created: a new CA would orphan every issued certificate.
  if (keyPem === null) throw new Error(`${keyLabel}: missing, while ${certificateLabel} exists`);
  if (certificatePem === null) throw new Error(`${certificateLabel}: missing, while ${keyLabel} exists`);
  return authorityFrom(certificateLabel, certificatePem, keyLabel, keyPem);
}

async function authorityFrom(certificateFile: string, certificatePem: string, keyFile: string, keyPem: string): Promise<Authority> {
  const key = parsePrivateKey(keyFile, keyPem);
  const nodeCertificate = parseCertificate(certificateFile, certificatePem);
  requireMatchingKey(certificateFile, nodeCertificate, keyFile, key);
  if (!nodeCertificate.ca) throw new Error(`${certificateFile}: not a CA certificate`);
  let issuer: Promise<Issuer> | null = null;
  const readIssuer = async (): Promise<Issuer> => {
    const x509 = await loadX509();
    const certificate = new x509.X509Certificate(nodeCertificate.raw);
    const subjectKeyId = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    const keyIdentifier = subjectKeyId?.keyId ?? (await x509.SubjectKeyIdentifierExtension.create(certificate.publicKey)).keyId;
    return { x509, certificate, keyIdentifier };
  };
  return {
    signingKey: await toSigningKey(key),
    certificate: nodeCertificate,
    issuer: () => (issuer ??= readIssuer()),
  };
}

// ---------------------------------------------------------------------------------------------
// Server certificate

async function issueServerCredentials(authority: Authority, host: HostName, clock: Clock): Promise<ServerCredentials> {
  const { x509, keyIdentifier } = await authority.issuer();
  const now = clock();
  const { keys, certificate } = await signLeaf(authority, {
    subject: [{ CN: [host.name] }],
    notBefore: wholeSeconds(now - CLOCK_SKEW_MS),
    notAfter: wholeSeconds(now + SERVER_VALIDITY_DAYS * DAY_MS),
    extensions: [
      ...leafExtensions(x509, x509.ExtendedKeyUsage.serverAuth, keyIdentifier),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(host)),
    ],
  });
  return { key: keys.privateKeyPem, cert: certificate.toString(), hostname: host.name };
}

function materialOf(credentials: ServerCredentials): KeyAndCertificate {
  return { keyPem: credentials.key, certificatePem: credentials.cert };
}

/** Where a server certificate is kept and checked: its place, its CA, the clock. */
interface ServerContext {
  readonly place: KeyMaterialPlace;
  readonly authority: Authority;
  readonly clock: Clock;
}

/** The server credentials in `material` when they still fit: this host, this CA, not about to expire. */
function fittingServerCredentials(
  { place, authority, clock }: ServerContext,
  material: KeyAndCertificate,
  host: HostName,
): ServerCredentials | null {
  const keyLabel = place.label('server', 'key');
  const certificateLabel = place.label('server', 'certificate');
  const key = parsePrivateKey(keyLabel, material.keyPem);
  const certificate = parseCertificate(certificateLabel, material.certificatePem);
  requireMatchingKey(certificateLabel, certificate, keyLabel, key);
  const renewAfter = Date.parse(certificate.validTo) - SERVER_RENEW_BEFORE_DAYS * DAY_MS;
  const caPublicKey = authority.certificate.publicKey;
  const fits = certificateNamesHost(certificate, host) && clock() < renewAfter && certificate.verify(caPublicKey);
  return fits ? { key: material.keyPem, cert: material.certificatePem, hostname: host.name } : null;
}

/**
 * The stored server credentials when they fit; else new ones, saved. When another node saved
 * others meanwhile, theirs are taken if they fit this host, so the nodes converge on one certificate.
 */
async function serverCredentialsFor(context: ServerContext, host: HostName, current: string | null): Promise<ServerCredentials> {
  const stored = await context.place.read('server');
  if (stored.keyPem !== null && stored.certificatePem !== null && stored.certificatePem !== current) {
    const fitting = fittingServerCredentials(context, { keyPem: stored.keyPem, certificatePem: stored.certificatePem }, host);
    if (fitting !== null) return fitting;
  }
  const issued = await issueServerCredentials(context.authority, host, context.clock);
  const saved = await context.place.save('server', materialOf(issued), stored.certificatePem);
  if (saved.certificatePem === issued.cert) return issued;
  return fittingServerCredentials(context, saved, host) ?? issued;
}

/**
 * Checks the CA that `place` holds without creating or changing anything (migrate-store), with the
 * same checks as open: a readable P-256 key, a CA certificate that belongs to it. Returns the certificate.
 */
export async function checkAuthority(place: KeyMaterialPlace): Promise<string> {
  return (await loadAuthority(place, null)).certificate.toString();
}

// ---------------------------------------------------------------------------------------------

export class CertificateAuthority implements CertificateAuthorityPort {
  /** The CA certificate (GET /ca.pem serves it). */
  readonly certificatePem: string;
  readonly #context: ServerContext;
  #server: ServerCredentials;
  // Re-issues are chained so that two concurrent ones never leave a key and a certificate that differ.
  #serverUpdate: Promise<unknown> = Promise.resolve();

  private constructor(context: ServerContext, server: ServerCredentials) {
    this.#context = context;
    this.#server = server;
    this.certificatePem = context.authority.certificate.toString();
  }

  /**
   * Loads the CA from dataDir (ca.key, ca.crt), creating it on first start, and loads or
   * re-issues the server certificate (server.key, server.crt) for `hostname`.
   */
  static open(dataDir: string, hostname: string, clock: Clock): Promise<CertificateAuthority> {
    return CertificateAuthority.openIn(dataDirPlace(dataDir), hostname, clock);
  }

  /** The same from any place: the data directory, or the store shared by every node (infra/keys/material.ts). */
  static async openIn(place: KeyMaterialPlace, hostname: string, clock: Clock): Promise<CertificateAuthority> {
    const host = serverHostName(hostname);
    const context = { place, authority: await loadAuthority(place, clock), clock };
    return new CertificateAuthority(context, await serverCredentialsFor(context, host, null));
  }

  serverCredentials(): ServerCredentials {
    return this.#server;
  }

  /**
   * Serves the server certificate for a new host name: the stored one when another process
   * already issued it for that name (`ssod hostname` before it changes the setting, or another
   * node), else a new one, saved. A running server calls it when the host name setting changes.
   */
  async setHostname(hostname: string): Promise<ServerCredentials> {
    const host = serverHostName(hostname);
    const update = this.#serverUpdate.then(async () => {
      const server = await serverCredentialsFor(this.#context, host, this.#server.cert);
      this.#server = server;
      return server;
    });
    this.#serverUpdate = update.catch(() => undefined);
    return await update;
  }

  /** protocol §5.1: a client certificate for an application, valid from now (less clock skew) for validityDays. */
  async issueClientCertificate(applicationId: string, validityDays: number): Promise<IssuedCertificate> {
    if (!Number.isFinite(validityDays) || validityDays <= 0) throw new RangeError('validityDays must be a positive number');
    const now = this.#context.clock();
    return await this.issueClientCertificateWithValidity(
      applicationId,
      new Date(now - CLOCK_SKEW_MS),
      new Date(now + validityDays * DAY_MS),
    );
  }

  /**
   * A client certificate with an explicit validity window (tests, operator tools): subject
   * CN=applicationId, O=ssod application; EKU clientAuth; random 16-byte positive serial.
   */
  async issueClientCertificateWithValidity(applicationId: string, notBefore: Date, notAfter: Date): Promise<IssuedCertificate> {
    if (applicationId === '') throw new RangeError('applicationId must not be empty');
    if (!(notBefore.getTime() < notAfter.getTime())) throw new RangeError('notBefore must precede notAfter');
    const issuedAt = this.#context.clock();
    const { x509, keyIdentifier } = await this.#context.authority.issuer();
    const { keys, certificate } = await signLeaf(this.#context.authority, {
      subject: [{ CN: [applicationId] }, { O: ['ssod application'] }],
      notBefore: wholeSeconds(notBefore.getTime()),
      notAfter: wholeSeconds(notAfter.getTime()),
      extensions: leafExtensions(x509, x509.ExtendedKeyUsage.clientAuth, keyIdentifier),
    });
    const certificatePem = certificate.toString();
    return {
      // protocol §5.1's example: the key, then the certificate, ending at "-----END CERTIFICATE-----".
      pem: keys.privateKeyPem + certificatePem.trimEnd(),
      certificatePem,
      fingerprint: fingerprintOf(certificate.raw),
      serial: certificate.serialNumber.toLowerCase(),
      issuedAt,
      notAfter: Date.parse(certificate.validTo),
    };
  }
}
