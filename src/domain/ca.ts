// ssod's own certificate authority (DESIGN.md "Certificates", 003 §4.2, §5.1): it issues the
// client certificates that identify applications and the server certificate of the SOAP listener.
// Keys are ECDSA P-256 and signatures ECDSA-SHA256: fast enough to sign on the request path.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';

export interface IssuedCertificate {
  /** The application's PEM private key (PKCS#8, "-----BEGIN PRIVATE KEY-----") followed by its PEM certificate: the one string 003 §5.1 returns. */
  readonly pem: string;
  readonly certificatePem: string;
  /** SHA-256 of the DER certificate, lower-case hex without colons. */
  readonly fingerprint: string;
  /** Serial number, lower-case hex. */
  readonly serial: string;
  /** When it was issued, ms since the epoch. */
  readonly issuedAt: number;
  /** The certificate's notAfter, ms since the epoch (whole seconds, as X.509 stores it). */
  readonly notAfter: number;
}

export interface ServerCredentials {
  /** PEM private key of the SOAP listener. */
  readonly key: string;
  /** PEM certificate of the SOAP listener; the chain is the leaf only (clients trust /ca.pem). */
  readonly cert: string;
  /** The host name (or IP literal) the certificate is issued for. */
  readonly hostname: string;
}

const CA_KEY_FILE = 'ca.key';
const CA_CERT_FILE = 'ca.crt';
const SERVER_KEY_FILE = 'server.key';
const SERVER_CERT_FILE = 'server.crt';

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
// Issued certificates start a little in the past so that a peer whose clock is behind accepts them.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const CA_VALIDITY_YEARS = 20;
// 825 days: the longest server certificate lifetime that macOS and iOS still accept.
const SERVER_VALIDITY_DAYS = 825;
const SERVER_RENEW_BEFORE_DAYS = 30;

/** SHA-256 fingerprint (lower-case hex) of a DER certificate (e.g. from tls `getPeerCertificate().raw`). */
export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Host names

interface HostName {
  readonly name: string;
  readonly isIp: boolean;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An IPv4/IPv6 literal (brackets allowed) or a DNS name; DNS names are compared in lower case. */
function parseHostName(hostname: string): HostName {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (isIP(unbracketed) !== 0) return { name: unbracketed, isIp: true };
  const name = hostname.toLowerCase();
  if (name.length > 253 || !name.split('.').every((label) => DNS_LABEL.test(label))) {
    throw new Error(`Invalid host name for the server certificate: ${JSON.stringify(hostname)}`);
  }
  return { name, isIp: false };
}

/** The subject alternative names of the server certificate (clients check these, not the CN). */
function subjectAltNames(host: HostName): x509.JsonGeneralName[] {
  const names: x509.JsonGeneralName[] = [{ type: host.isIp ? 'ip' : 'dns', value: host.name }];
  // A local installation is reached as either name; any other host name gets only its own.
  if (host.name === 'localhost') names.push({ type: 'ip', value: '127.0.0.1' });
  if (host.name === '127.0.0.1') names.push({ type: 'dns', value: 'localhost' });
  return names;
}

function certificateNamesHost(certificate: X509Certificate, host: HostName): boolean {
  const commonNames = certificate.subject.split('\n').filter((field) => field.startsWith('CN='));
  const matchesSan = host.isIp ? certificate.checkIP(host.name) !== undefined : certificate.checkHost(host.name) !== undefined;
  return matchesSan && commonNames.length === 1 && commonNames[0] === `CN=${host.name}`;
}

// ---------------------------------------------------------------------------------------------
// Files

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes a temporary file beside the target and renames it over, so a crash never leaves half a key. */
async function writeFileAtomically(file: string, contents: string, mode: number): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.chmod(mode); // the umask must not loosen or tighten what was asked for
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** DESIGN.md "Certificates": a private key is readable by the owner only. */
async function tightenKeyMode(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) await chmod(file, KEY_MODE);
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

function toNodeCertificate(certificate: x509.X509Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(certificate.rawData));
}

/** The key-usage extensions shared by every leaf ssod issues. */
function leafExtensions(usage: x509.ExtendedKeyUsage, authorityKeyId: string): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    new x509.AuthorityKeyIdentifierExtension(authorityKeyId),
  ];
}

interface Authority {
  readonly signingKey: webcrypto.CryptoKey;
  readonly certificate: x509.X509Certificate;
  readonly keyIdentifier: string;
}

interface LeafRequest {
  readonly subject: x509.JsonName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: x509.Extension[];
}

async function signLeaf(authority: Authority, request: LeafRequest): Promise<{ keys: KeyPair; certificate: X509Certificate }> {
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: request.subject,
    issuer: authority.certificate.subjectName,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: keys.publicKey,
    signingKey: authority.signingKey,
    signingAlgorithm: ALGORITHM,
    extensions: [...request.extensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { keys, certificate: toNodeCertificate(certificate) };
}

async function createAuthority(): Promise<{ keyPem: string; certificatePem: string }> {
  const keys = await generateKeyPair();
  const now = Date.now();
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

async function loadAuthority(dataDir: string): Promise<Authority> {
  const keyFile = path.join(dataDir, CA_KEY_FILE);
  const certificateFile = path.join(dataDir, CA_CERT_FILE);
  let keyPem = await readIfExists(keyFile);
  let certificatePem = await readIfExists(certificateFile);
  if (keyPem === null && certificatePem === null) {
    ({ keyPem, certificatePem } = await createAuthority());
    await writeFileAtomically(keyFile, keyPem, KEY_MODE);
    await writeFileAtomically(certificateFile, certificatePem, CERT_MODE);
  }
  // One without the other is never re-created: a new CA would orphan every issued certificate.
  if (keyPem === null) throw new Error(`${keyFile}: missing, while ${certificateFile} exists`);
  if (certificatePem === null) throw new Error(`${certificateFile}: missing, while ${keyFile} exists`);
  await tightenKeyMode(keyFile);
  return authorityFrom(certificateFile, certificatePem, keyFile, keyPem);
}

async function authorityFrom(certificateFile: string, certificatePem: string, keyFile: string, keyPem: string): Promise<Authority> {
  const key = parsePrivateKey(keyFile, keyPem);
  const nodeCertificate = parseCertificate(certificateFile, certificatePem);
  requireMatchingKey(certificateFile, nodeCertificate, keyFile, key);
  if (!nodeCertificate.ca) throw new Error(`${certificateFile}: not a CA certificate`);
  const certificate = new x509.X509Certificate(nodeCertificate.raw);
  const subjectKeyId = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyIdentifier = subjectKeyId?.keyId ?? (await x509.SubjectKeyIdentifierExtension.create(certificate.publicKey)).keyId;
  return { signingKey: await toSigningKey(key), certificate, keyIdentifier };
}

// ---------------------------------------------------------------------------------------------
// Server certificate

async function issueServerCredentials(authority: Authority, host: HostName): Promise<ServerCredentials> {
  const now = Date.now();
  const { keys, certificate } = await signLeaf(authority, {
    subject: [{ CN: [host.name] }],
    notBefore: wholeSeconds(now - CLOCK_SKEW_MS),
    notAfter: wholeSeconds(now + SERVER_VALIDITY_DAYS * DAY_MS),
    extensions: [
      ...leafExtensions(x509.ExtendedKeyUsage.serverAuth, authority.keyIdentifier),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(host)),
    ],
  });
  return { key: keys.privateKeyPem, cert: certificate.toString(), hostname: host.name };
}

async function writeServerCredentials(dataDir: string, credentials: ServerCredentials): Promise<void> {
  await writeFileAtomically(path.join(dataDir, SERVER_KEY_FILE), credentials.key, KEY_MODE);
  await writeFileAtomically(path.join(dataDir, SERVER_CERT_FILE), credentials.cert, CERT_MODE);
}

/** The stored server credentials when they still fit: this host, this CA, not about to expire. */
async function storedServerCredentials(dataDir: string, authority: Authority, host: HostName): Promise<ServerCredentials | null> {
  const keyFile = path.join(dataDir, SERVER_KEY_FILE);
  const certificateFile = path.join(dataDir, SERVER_CERT_FILE);
  const keyPem = await readIfExists(keyFile);
  const certificatePem = await readIfExists(certificateFile);
  if (keyPem === null || certificatePem === null) return null;
  const key = parsePrivateKey(keyFile, keyPem);
  const certificate = parseCertificate(certificateFile, certificatePem);
  requireMatchingKey(certificateFile, certificate, keyFile, key);
  await tightenKeyMode(keyFile);
  const renewAfter = Date.parse(certificate.validTo) - SERVER_RENEW_BEFORE_DAYS * DAY_MS;
  const caPublicKey = toNodeCertificate(authority.certificate).publicKey;
  const fits = certificateNamesHost(certificate, host) && Date.now() < renewAfter && certificate.verify(caPublicKey);
  return fits ? { key: keyPem, cert: certificatePem, hostname: host.name } : null;
}

// ---------------------------------------------------------------------------------------------

export class CertificateAuthority {
  /** The CA certificate (GET /ca.pem serves it). */
  readonly certificatePem: string;
  readonly #dataDir: string;
  readonly #authority: Authority;
  #server: ServerCredentials;
  // Re-issues are chained so that two concurrent ones never leave a key and a certificate that differ.
  #serverUpdate: Promise<unknown> = Promise.resolve();

  private constructor(dataDir: string, authority: Authority, server: ServerCredentials) {
    this.#dataDir = dataDir;
    this.#authority = authority;
    this.#server = server;
    this.certificatePem = toNodeCertificate(authority.certificate).toString();
  }

  /**
   * Loads the CA from dataDir (ca.key, ca.crt), creating it on first start, and loads or
   * re-issues the server certificate (server.key, server.crt) for `hostname`.
   */
  static async open(dataDir: string, hostname: string): Promise<CertificateAuthority> {
    const host = parseHostName(hostname);
    await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
    const authority = await loadAuthority(dataDir);
    let server = await storedServerCredentials(dataDir, authority, host);
    if (server === null) {
      server = await issueServerCredentials(authority, host);
      await writeServerCredentials(dataDir, server);
    }
    return new CertificateAuthority(dataDir, authority, server);
  }

  serverCredentials(): ServerCredentials {
    return this.#server;
  }

  /** Re-issues the server certificate for a new host name (operator command `ssod hostname`); writes the files. */
  async setHostname(hostname: string): Promise<ServerCredentials> {
    const host = parseHostName(hostname);
    const update = this.#serverUpdate.then(async () => {
      const server = await issueServerCredentials(this.#authority, host);
      await writeServerCredentials(this.#dataDir, server);
      this.#server = server;
      return server;
    });
    this.#serverUpdate = update.catch(() => undefined);
    return await update;
  }

  /** 003 §5.1: a client certificate for an application, valid from now (less clock skew) for validityDays. */
  async issueClientCertificate(applicationId: string, validityDays: number): Promise<IssuedCertificate> {
    if (!Number.isFinite(validityDays) || validityDays <= 0) throw new RangeError('validityDays must be a positive number');
    const now = Date.now();
    return await this.issueClientCertificateWithValidity(applicationId, new Date(now - CLOCK_SKEW_MS), new Date(now + validityDays * DAY_MS));
  }

  /**
   * A client certificate with an explicit validity window (tests, operator tools): subject
   * CN=applicationId, O=ssod application; EKU clientAuth; random 16-byte positive serial.
   */
  async issueClientCertificateWithValidity(applicationId: string, notBefore: Date, notAfter: Date): Promise<IssuedCertificate> {
    if (applicationId === '') throw new RangeError('applicationId must not be empty');
    if (!(notBefore.getTime() < notAfter.getTime())) throw new RangeError('notBefore must precede notAfter');
    const issuedAt = Date.now();
    const { keys, certificate } = await signLeaf(this.#authority, {
      subject: [{ CN: [applicationId] }, { O: ['ssod application'] }],
      notBefore: wholeSeconds(notBefore.getTime()),
      notAfter: wholeSeconds(notAfter.getTime()),
      extensions: leafExtensions(x509.ExtendedKeyUsage.clientAuth, this.#authority.keyIdentifier),
    });
    const certificatePem = certificate.toString();
    return {
      // 003 §5.1's example: the key, then the certificate, ending at "-----END CERTIFICATE-----".
      pem: keys.privateKeyPem + certificatePem.trimEnd(),
      certificatePem,
      fingerprint: fingerprintOf(certificate.raw),
      serial: certificate.serialNumber.toLowerCase(),
      issuedAt,
      notAfter: Date.parse(certificate.validTo),
    };
  }
}
