// A certificate authority for test servers that ssod reaches over TLS (a delegated source: a web
// service, a directory). It is ssod's own CA code (infra/keys/authority.ts) on a temporary directory,
// so its server certificate names IP:127.0.0.1 and DNS:localhost; `identityFor` signs, with the same
// CA key, a server certificate for another name only, for host name mismatches.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from '../../src/infra/keys/authority.js';

/** What a TLS server presents, and the pin of its key (base64 SHA-256 of the SubjectPublicKeyInfo). */
export interface ServerIdentity {
  readonly key: string;
  readonly cert: string;
  readonly pin: string;
}

export interface TestCa {
  readonly caPem: string;
  /** A server certificate for IP:127.0.0.1 and DNS:localhost. */
  readonly server: ServerIdentity;
  /** A server certificate of this CA that names `dnsName` only. */
  identityFor(dnsName: string): Promise<ServerIdentity>;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Computed here from the certificate's SubjectPublicKeyInfo, not by ssod's spkiPinOf, so a test of the pin checks it. */
export function pinOf(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

async function signServerCertificate(caPem: string, caKeyPem: string, dnsName: string): Promise<ServerIdentity> {
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(caKeyPem).export({ type: 'pkcs8', format: 'der' }),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: [{ CN: [dnsName] }],
    issuer: new x509.X509Certificate(caPem).subjectName,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dnsName }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = certificate.toString('pem') + '\n';
  return { key, cert, pin: pinOf(cert) };
}

/** A new CA (each call another one, so a second CA is a CA the first does not trust). */
export async function openTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-test-ca-'));
  try {
    const ca = await CertificateAuthority.open(dir, '127.0.0.1', Date.now);
    const caKeyPem = readFileSync(path.join(dir, 'ca.key'), 'utf8');
    const { key, cert } = ca.serverCredentials();
    return {
      caPem: ca.certificatePem,
      server: { key, cert, pin: pinOf(cert) },
      identityFor: (dnsName) => signServerCertificate(ca.certificatePem, caKeyPem, dnsName),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
