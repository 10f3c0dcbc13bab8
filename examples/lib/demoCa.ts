// A throwaway certificate authority for the demonstration's HTTPS servers in other DNS domains (a
// billing system that is its own ticket receiver, `ssod receiver` in front of a help desk): ssod's
// own CA code (src/infra/keys/authority.ts) on a temporary directory, and server certificates it
// signs for any host names. Browsers do not trust it; the demonstration says so (examples/README.md).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from '../../src/infra/keys/authority.js';

/** A server's key and certificate, PEM. */
export interface ServerKeyPair {
  readonly key: string;
  readonly cert: string;
}

export interface DemoCa {
  readonly caPem: string;
  /** ssod's CA's own server certificate of the temporary CA: IP:127.0.0.1 and DNS:localhost. */
  readonly loopback: ServerKeyPair;
  /** A server certificate of this CA naming exactly `dnsNames`. */
  issueServer(dnsNames: readonly string[]): Promise<ServerKeyPair>;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

async function signServerCertificate(caPem: string, caKeyPem: string, dnsNames: readonly string[]): Promise<ServerKeyPair> {
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(caKeyPem).export({ type: 'pkcs8', format: 'der' }),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: webcrypto.getRandomValues(new Uint8Array(8)).reduce((hex, byte) => hex + byte.toString(16).padStart(2, '0'), '7f'),
    subject: [{ CN: [dnsNames[0] ?? 'localhost'] }],
    issuer: new x509.X509Certificate(caPem).subjectName,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert: certificate.toString('pem') + '\n' };
}

/** A new CA (each call another one, so a second CA is one the first does not trust); its key lives in memory only. */
export async function openDemoCa(): Promise<DemoCa> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-demo-ca-'));
  try {
    const ca = await CertificateAuthority.open(dir, '127.0.0.1', Date.now);
    const caKeyPem = readFileSync(path.join(dir, 'ca.key'), 'utf8');
    const { key, cert } = ca.serverCredentials();
    return {
      caPem: ca.certificatePem,
      loopback: { key, cert },
      issueServer: (dnsNames) => signServerCertificate(ca.certificatePem, caKeyPem, dnsNames),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
