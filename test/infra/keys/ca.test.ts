// docs/DECISIONS.md "Certificates", protocol §4.2 and §5.1, B11–B13: the certificate authority,
// proven over real TLS connections and, when it is installed, by openssl.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { fingerprintOf } from '../../../src/core/fingerprint.js';
import type { IssuedCertificate } from '../../../src/core/ports/certificates.js';
import { CertificateAuthority } from '../../../src/infra/keys/authority.js';
import { TOOLS, skipWithout } from '../../helpers/tools.js';

const HOST = '127.0.0.1';
const DAY_MS = 24 * 60 * 60 * 1000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

const temporaryDirs: string[] = [];
function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssod-ca-'));
  temporaryDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

interface KeyAndCert {
  readonly key: string;
  readonly cert: string;
}

/** Splits protocol §5.1's single string into the key and certificate halves a TLS client needs. */
function splitPem(pem: string): KeyAndCert {
  const end = '-----END PRIVATE KEY-----\n';
  const cut = pem.indexOf(end) + end.length;
  return { key: pem.slice(0, cut), cert: pem.slice(cut) };
}

// --- A forger, for certificates ssod would never issue ---------------------------------------

function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  const pkcs8 = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign']);
}

interface Forgery {
  readonly subject: x509.JsonName;
  readonly issuer: x509.Name;
  readonly signingKeyPem: string;
  readonly serial?: string;
  readonly notAfter?: Date;
  readonly extensions?: x509.Extension[];
}

async function forge(forgery: Forgery): Promise<KeyAndCert> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: forgery.serial ?? '01',
    subject: forgery.subject,
    issuer: forgery.issuer,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: forgery.notAfter ?? new Date(Date.now() + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(forgery.signingKeyPem),
    signingAlgorithm: ALGORITHM,
    extensions: forgery.extensions ?? [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert: certificate.toString('pem') + '\n' };
}

function nameOf(certificatePem: string): x509.Name {
  return new x509.X509Certificate(certificatePem).subjectName;
}

// --- What a TLS server sees -------------------------------------------------------------------

interface Seen {
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  readonly fingerprint: string | null;
}

/** Node reports the verification failure as an OpenSSL code string, though typed as an Error. */
function reasonOf(error: unknown): string | null {
  if (typeof error === 'string') return error;
  return error instanceof Error ? error.message : null;
}

/** Connects to a TLS server holding ssod's server credentials and reports how it saw the client. */
async function presentCertificate(ca: CertificateAuthority, client: KeyAndCert): Promise<Seen> {
  const { key, cert } = ca.serverCredentials();
  const server = tls.createServer({ key, cert, requestCert: true, rejectUnauthorized: false, ca: [ca.certificatePem] });
  const seen = new Promise<Seen>((resolve, reject) => {
    server.once('tlsClientError', reject);
    server.once('secureConnection', (socket: tls.TLSSocket) => {
      const peer = socket.getPeerX509Certificate();
      resolve({
        authorized: socket.authorized,
        authorizationError: reasonOf(socket.authorizationError),
        fingerprint: peer === undefined ? null : fingerprintOf(peer.raw),
      });
      socket.end();
    });
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  // The client trusts only ssod's CA and checks the server certificate names HOST (its IP SAN).
  const socket = tls.connect({ host: HOST, port: (server.address() as AddressInfo).port, ca: [ca.certificatePem], ...client });
  try {
    await once(socket, 'secureConnect');
    return await seen;
  } finally {
    socket.destroy();
    server.close();
  }
}

// --- Fixtures ---------------------------------------------------------------------------------

let dataDir: string;
let ca: CertificateAuthority;
let issued: IssuedCertificate;
let otherDir: string;
let otherCa: CertificateAuthority;

before(async () => {
  dataDir = path.join(temporaryDir(), 'data');
  ca = await CertificateAuthority.open(dataDir, HOST, Date.now);
  issued = await ca.issueClientCertificate('b0c1127f-bea4-4327-a032-3e8a79afcc6a', 365);
  otherDir = temporaryDir();
  otherCa = await CertificateAuthority.open(otherDir, HOST, Date.now);
});

// --- Files ------------------------------------------------------------------------------------

test('the first start creates the CA and server files, the keys readable by the owner only', () => {
  assert.equal(modeOf(dataDir), 0o700);
  assert.equal(modeOf(path.join(dataDir, 'ca.key')), 0o600);
  assert.equal(modeOf(path.join(dataDir, 'server.key')), 0o600);
  assert.equal(modeOf(path.join(dataDir, 'ca.crt')), 0o644);
  assert.equal(modeOf(path.join(dataDir, 'server.crt')), 0o644);
  assert.deepEqual(fs.readdirSync(dataDir).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key'], 'no temporary files are left behind');
});

test('reopening the data directory keeps the same CA and server certificate', async () => {
  const reopened = await CertificateAuthority.open(dataDir, HOST, Date.now);
  assert.equal(reopened.certificatePem, ca.certificatePem);
  assert.deepEqual(reopened.serverCredentials(), ca.serverCredentials());
});

test('a CA key readable by others is tightened to 0600 on open', async () => {
  const dir = copyOf(dataDir);
  fs.chmodSync(path.join(dir, 'ca.key'), 0o644);
  await CertificateAuthority.open(dir, HOST, Date.now);
  assert.equal(modeOf(path.join(dir, 'ca.key')), 0o600);
});

function copyOf(source: string): string {
  const dir = path.join(temporaryDir(), 'copy');
  fs.cpSync(source, dir, { recursive: true });
  return dir;
}

test('a corrupt or mismatched CA file is refused with an error naming the file, never the key', async () => {
  const corrupt = copyOf(dataDir);
  fs.writeFileSync(path.join(corrupt, 'ca.crt'), 'not a certificate');
  await assert.rejects(CertificateAuthority.open(corrupt, HOST, Date.now), /ca\.crt: not a readable PEM certificate/);

  const foreignKey = fs.readFileSync(path.join(otherDir, 'ca.key'), 'utf8');
  const mismatched = copyOf(dataDir);
  fs.writeFileSync(path.join(mismatched, 'ca.key'), foreignKey);
  await assert.rejects(CertificateAuthority.open(mismatched, HOST, Date.now), (error: Error) => {
    assert.match(error.message, /ca\.crt: the certificate does not belong to the private key in .*ca\.key/);
    assert.ok(!error.message.includes('PRIVATE KEY') && !error.message.includes(foreignKey.split('\n')[1] ?? ''));
    return true;
  });

  const halfMissing = copyOf(dataDir);
  fs.rmSync(path.join(halfMissing, 'ca.crt'));
  await assert.rejects(CertificateAuthority.open(halfMissing, HOST, Date.now), /ca\.crt: missing/);
});

test('a server key that does not match its certificate is refused with an error naming the file', async () => {
  const dir = copyOf(dataDir);
  fs.copyFileSync(path.join(otherDir, 'server.key'), path.join(dir, 'server.key'));
  await assert.rejects(CertificateAuthority.open(dir, HOST, Date.now), /server\.crt: the certificate does not belong/);
});

// --- The certificates -------------------------------------------------------------------------

test('the CA certificate: a random name, CA:true pathLen 0, keyCertSign+cRLSign, 20 years', () => {
  const certificate = new x509.X509Certificate(ca.certificatePem);
  assert.match(certificate.subject, /^CN=ssod certificate authority [0-9a-f]{8}, O=ssod$/);
  assert.notEqual(certificate.subject, new x509.X509Certificate(otherCa.certificatePem).subject);
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  assert.deepEqual([constraints?.ca, constraints?.pathLength, constraints?.critical], [true, 0, true]);
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  assert.equal(usage.critical, true);
  assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension));
  const years = (certificate.notAfter.getTime() - Date.now()) / (365.25 * DAY_MS);
  assert.ok(years > 19.9 && years < 20.1, `CA validity ${years} years`);
});

test('protocol §5.1: the returned string is the PKCS#8 key followed by the certificate', () => {
  assert.ok(issued.pem.startsWith('-----BEGIN PRIVATE KEY-----\n'));
  assert.match(issued.pem, /-----END CERTIFICATE-----\n?$/);
  const { key, cert } = splitPem(issued.pem);
  assert.equal(createPrivateKey(key).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)));
  assert.equal(new X509Certificate(cert).raw.toString('hex'), new X509Certificate(issued.certificatePem).raw.toString('hex'));
});

test('a client certificate: CN=applicationId, clientAuth, CA:false, AKI, random positive serial', async () => {
  const certificate = new x509.X509Certificate(issued.certificatePem);
  const node = new X509Certificate(issued.certificatePem);
  assert.equal(certificate.subject, 'CN=b0c1127f-bea4-4327-a032-3e8a79afcc6a, O=ssod application');
  assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  assert.equal(certificate.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
  assert.deepEqual([...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.clientAuth]);
  const caKeyId = new x509.X509Certificate(ca.certificatePem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  assert.equal(certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
  assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension));
  assert.ok(node.verify(new X509Certificate(ca.certificatePem).publicKey));

  assert.equal(issued.fingerprint, node.fingerprint256.replaceAll(':', '').toLowerCase());
  assert.match(issued.serial, /^[4-7][0-9a-f]{31}$/);
  assert.equal(issued.serial, certificate.serialNumber.toLowerCase());
  const second = await ca.issueClientCertificate('b0c1127f-bea4-4327-a032-3e8a79afcc6a', 365);
  assert.notEqual(second.serial, issued.serial);
  assert.notEqual(second.fingerprint, issued.fingerprint);

  assert.equal(issued.notAfter, certificate.notAfter.getTime());
  assert.ok(Math.abs(issued.notAfter - (issued.issuedAt + 365 * DAY_MS)) < 2000);
  assert.ok(Math.abs(certificate.notBefore.getTime() - (issued.issuedAt - 5 * 60 * 1000)) < 2000, 'notBefore allows 5 min of clock skew');
});

test('an application id is one name field, whatever characters it holds', async () => {
  const tricky = await ca.issueClientCertificate('a, O=ssod, CN=admin', 1);
  const fields = new x509.X509Certificate(tricky.certificatePem).subjectName.toJSON();
  assert.deepEqual(fields, [{ CN: ['a, O=ssod, CN=admin'] }, { O: ['ssod application'] }]);
});

test('invalid validity is refused', async () => {
  await assert.rejects(ca.issueClientCertificate('app', 0), RangeError);
  await assert.rejects(ca.issueClientCertificateWithValidity('app', new Date(), new Date(Date.now() - 1)), RangeError);
});

// --- Server certificate -----------------------------------------------------------------------

function subjectAltNameOf(certificatePem: string): string | undefined {
  return new X509Certificate(certificatePem).subjectAltName;
}

test('the server certificate names its host, IP or DNS, and always 127.0.0.1 and localhost (single-panel mode)', async () => {
  const server = new x509.X509Certificate(ca.serverCredentials().cert);
  assert.equal(server.subject, 'CN=127.0.0.1');
  assert.equal(subjectAltNameOf(ca.serverCredentials().cert), 'IP Address:127.0.0.1, DNS:localhost');
  assert.deepEqual([...(server.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth]);
  assert.equal(server.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
  const days = (server.notAfter.getTime() - Date.now()) / DAY_MS;
  assert.ok(days > 824 && days <= 825, `server validity ${days} days`);

  const dir = copyOf(dataDir);
  const ipv6 = await CertificateAuthority.open(dir, '::1', Date.now);
  assert.equal(subjectAltNameOf(ipv6.serverCredentials().cert), 'IP Address:0:0:0:0:0:0:0:1, IP Address:127.0.0.1, DNS:localhost');
  const named = await CertificateAuthority.open(dir, 'SSO.Example.com', Date.now);
  assert.equal(named.serverCredentials().hostname, 'sso.example.com');
  assert.equal(subjectAltNameOf(named.serverCredentials().cert), 'DNS:sso.example.com, IP Address:127.0.0.1, DNS:localhost');
  const local = await CertificateAuthority.open(dir, 'localhost', Date.now);
  assert.equal(subjectAltNameOf(local.serverCredentials().cert), 'DNS:localhost, IP Address:127.0.0.1');
  await assert.rejects(CertificateAuthority.open(dir, 'bad host/name', Date.now), /Invalid host name/);
});

test('setHostname re-issues the server certificate and writes it; reopening keeps it', async () => {
  const dir = copyOf(dataDir);
  const opened = await CertificateAuthority.open(dir, HOST, Date.now);
  const credentials = await opened.setHostname('sso.example.com');
  assert.equal(subjectAltNameOf(credentials.cert), 'DNS:sso.example.com, IP Address:127.0.0.1, DNS:localhost');
  assert.deepEqual(opened.serverCredentials(), credentials);
  assert.equal(fs.readFileSync(path.join(dir, 'server.crt'), 'utf8'), credentials.cert);
  assert.equal(fs.readFileSync(path.join(dir, 'server.key'), 'utf8'), credentials.key);
  assert.equal(modeOf(path.join(dir, 'server.key')), 0o600);
  assert.deepEqual((await CertificateAuthority.open(dir, 'sso.example.com', Date.now)).serverCredentials(), credentials);
});

test('setHostname loads the certificate another process stored for the name; issues one only when none fits', async () => {
  const dir = copyOf(dataDir);
  const running = await CertificateAuthority.open(dir, HOST, Date.now);
  const operator = await CertificateAuthority.open(dir, HOST, Date.now);
  const stored = await operator.setHostname('sso.example.com'); // what `ssod hostname` writes
  assert.deepEqual(await running.setHostname('sso.example.com'), stored);
  assert.deepEqual(running.serverCredentials(), stored);

  const fresh = await running.setHostname('other.example.com');
  assert.notEqual(fresh.cert, stored.cert);
  assert.equal(subjectAltNameOf(fresh.cert), 'DNS:other.example.com, IP Address:127.0.0.1, DNS:localhost');
  assert.equal(fs.readFileSync(path.join(dir, 'server.crt'), 'utf8'), fresh.cert);
});

test('a server certificate without the loopback names (an older ssod) is re-issued on open', async () => {
  const dir = copyOf(dataDir);
  const old = await forge({
    subject: [{ CN: ['sso.example.com'] }],
    issuer: nameOf(ca.certificatePem),
    signingKeyPem: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8'),
    notAfter: new Date(Date.now() + 400 * DAY_MS),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'sso.example.com' }])],
  });
  fs.writeFileSync(path.join(dir, 'server.key'), old.key);
  fs.writeFileSync(path.join(dir, 'server.crt'), old.cert);
  const reopened = await CertificateAuthority.open(dir, 'sso.example.com', Date.now);
  assert.notEqual(reopened.serverCredentials().cert, old.cert);
  assert.equal(subjectAltNameOf(reopened.serverCredentials().cert), 'DNS:sso.example.com, IP Address:127.0.0.1, DNS:localhost');
});

test('a server certificate that expires within 30 days, or is from another CA, is re-issued on open', async () => {
  const dir = copyOf(dataDir);
  const expiring = await forge({
    subject: [{ CN: [HOST] }],
    issuer: nameOf(ca.certificatePem),
    signingKeyPem: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8'),
    notAfter: new Date(Date.now() + 10 * DAY_MS),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: HOST }])],
  });
  fs.writeFileSync(path.join(dir, 'server.key'), expiring.key);
  fs.writeFileSync(path.join(dir, 'server.crt'), expiring.cert);
  const renewed = (await CertificateAuthority.open(dir, HOST, Date.now)).serverCredentials();
  assert.ok(new x509.X509Certificate(renewed.cert).notAfter.getTime() > Date.now() + 800 * DAY_MS);

  fs.copyFileSync(path.join(otherDir, 'server.key'), path.join(dir, 'server.key'));
  fs.copyFileSync(path.join(otherDir, 'server.crt'), path.join(dir, 'server.crt'));
  const reissued = await CertificateAuthority.open(dir, HOST, Date.now);
  assert.notEqual(reissued.serverCredentials().cert, otherCa.serverCredentials().cert);
  assert.ok(new X509Certificate(reissued.serverCredentials().cert).checkIssued(new X509Certificate(ca.certificatePem)));
});

test('the CA keeps the time of the clock it is given: issuing, and renewing the server certificate', async () => {
  const dir = copyOf(dataDir);
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clocked = await CertificateAuthority.open(dir, HOST, () => now);
  const certificate = await clocked.issueClientCertificate('clocked', 10);
  assert.equal(certificate.issuedAt, now);
  assert.equal(new x509.X509Certificate(certificate.certificatePem).notBefore.getTime(), now - 5 * 60_000);
  assert.equal(certificate.notAfter, now + 10 * DAY_MS);
  // The server certificate on the disk was issued now, in real time: by the clock it is about to expire.
  assert.notEqual(clocked.serverCredentials().cert, ca.serverCredentials().cert);
  assert.equal(new x509.X509Certificate(clocked.serverCredentials().cert).notBefore.getTime(), now - 5 * 60_000);
  now += 800 * DAY_MS;
  const reopened = await CertificateAuthority.open(dir, HOST, () => now);
  assert.notEqual(reopened.serverCredentials().cert, clocked.serverCredentials().cert, 'within 30 days of its end by the clock: re-issued');
});

// --- Real TLS (protocol §4.2, B11–B13) -----------------------------------------------------

test('an issued certificate authenticates over TLS and the server sees its fingerprint', async () => {
  const seen = await presentCertificate(ca, splitPem(issued.pem));
  assert.deepEqual(seen, { authorized: true, authorizationError: null, fingerprint: issued.fingerprint });
});

test('B11: a certificate from another CA with the same subject is not authorized', async () => {
  const impostor = await otherCa.issueClientCertificate('b0c1127f-bea4-4327-a032-3e8a79afcc6a', 365);
  const seen = await presentCertificate(ca, splitPem(impostor.pem));
  assert.equal(seen.authorized, false);
  assert.notEqual(seen.fingerprint, issued.fingerprint);
});

test('B11: copying subject, serial, issuer name and key id, but signed by another key, is not authorized', async () => {
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const victim = new x509.X509Certificate(issued.certificatePem);
  const caKeyId = caCertificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const forged = await forge({
      subject: victim.subjectName.toJSON(),
      issuer: caCertificate.subjectName,
      serial: victim.serialNumber,
      signingKeyPem: fs.readFileSync(path.join(otherDir, 'ca.key'), 'utf8'),
      extensions: [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.AuthorityKeyIdentifierExtension(caKeyId),
      ],
    });
    const seen = await presentCertificate(ca, forged);
    assert.equal(seen.authorized, false);
    assert.notEqual(seen.fingerprint, issued.fingerprint);
  }
});

test("B12: an expired certificate of ssod's own CA is not authorized (CERT_HAS_EXPIRED)", async () => {
  const now = Date.now();
  const expired = await ca.issueClientCertificateWithValidity('app', new Date(now - 2 * DAY_MS), new Date(now - DAY_MS));
  const seen = await presentCertificate(ca, splitPem(expired.pem));
  assert.deepEqual(seen, { authorized: false, authorizationError: 'CERT_HAS_EXPIRED', fingerprint: expired.fingerprint });
});

test("B13: a leaf signed with another leaf's key is not authorized, even with the chain sent", async () => {
  const { key: leafKey, cert: leafCert } = splitPem(issued.pem);
  const forged = await forge({ subject: [{ CN: ['escalated'] }], issuer: nameOf(leafCert), signingKeyPem: leafKey });
  const withChain = await presentCertificate(ca, { key: forged.key, cert: forged.cert + leafCert });
  assert.equal(withChain.authorized, false);
  const alone = await presentCertificate(ca, forged);
  assert.equal(alone.authorized, false);
});

test('B13: the CA certificate presented as a client certificate is refused and is no issued certificate', async () => {
  const caKey = fs.readFileSync(path.join(dataDir, 'ca.key'), 'utf8');
  const seen = await presentCertificate(ca, { key: caKey, cert: ca.certificatePem });
  // Its key usage is keyCertSign+cRLSign only, so OpenSSL refuses it for TLS client authentication.
  assert.deepEqual([seen.authorized, seen.authorizationError], [false, 'INVALID_PURPOSE']);
  assert.equal(seen.fingerprint, fingerprintOf(new X509Certificate(ca.certificatePem).raw));
  assert.notEqual(seen.fingerprint, issued.fingerprint);
  assert.notEqual(seen.fingerprint, fingerprintOf(new X509Certificate(ca.serverCredentials().cert).raw));
});

// --- openssl agrees ---------------------------------------------------------------------------

test('openssl verifies issued client and server certificates against ca.crt', { skip: skipWithout([TOOLS.openssl]) }, () => {
  const dir = temporaryDir();
  const leaf = path.join(dir, 'leaf.pem');
  fs.writeFileSync(leaf, issued.certificatePem);
  const caFile = path.join(dataDir, 'ca.crt');
  const client = spawnSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', caFile, leaf], { encoding: 'utf8' });
  assert.equal(client.stdout.trim(), `${leaf}: OK`, client.stderr);
  const server = spawnSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', caFile, path.join(dataDir, 'server.crt')], {
    encoding: 'utf8',
  });
  assert.match(server.stdout, /server\.crt: OK/, server.stderr);
});
