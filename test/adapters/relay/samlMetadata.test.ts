// ssod's SAML service provider metadata signed with the key of the options (samlSigningKeyFile,
// samlSigningCertificateFile): the signature is checked with xml-crypto as an identity provider would
// check it, a changed entity id breaks it, and a key that is not the certificate's stops the start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { newSigningKey, type SigningKey } from '../../helpers/samlResponses.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { relayRequest } from './request.js';

const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** Whether the metadata's enveloped signature holds for this certificate (as an identity provider checks it). */
function signatureHolds(xml: string, certificatePem: string): boolean {
  const signature = new DOMParser().parseFromString(xml, 'text/xml').getElementsByTagNameNS(DSIG_NS, 'Signature')[0];
  assert.ok(signature !== undefined, 'the metadata carries a signature');
  const verifier = new SignedXml({ publicCert: certificatePem });
  verifier.loadSignature(signature);
  try {
    return verifier.checkSignature(xml);
  } catch {
    return false;
  }
}

describe('signed SAML service provider metadata', () => {
  let dir: string;
  let key: SigningKey;
  let files: { key: string; certificate: string; otherCertificate: string };
  let ts: TestServer;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-saml-signing-'));
    key = await newSigningKey('sso.example.test');
    files = {
      key: path.join(dir, 'sp.key'),
      certificate: path.join(dir, 'sp.crt'),
      otherCertificate: path.join(dir, 'other.crt'),
    };
    writeFileSync(files.key, key.keyPem, { mode: 0o600 });
    writeFileSync(files.certificate, key.certificatePem);
    writeFileSync(files.otherCertificate, (await newSigningKey('other.example.test')).certificatePem);
    ts = await startTestServer({ samlSigningKeyFile: files.key, samlSigningCertificateFile: files.certificate, logLevel: 'warn' });
  });
  after(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the metadata names the signing certificate and is signed with its key (RSA-SHA256, the signature first)', async () => {
    const reply = await relayRequest(ts.relayPort, { path: '/saml/metadata' });
    assert.equal(reply.status, 200);
    const base64 = key.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    assert.ok(reply.body.includes(`<md:KeyDescriptor use="signing">`), reply.body);
    assert.ok(reply.body.includes(base64), 'the certificate is published');
    assert.match(reply.body, /<md:EntityDescriptor[^>]*><ds:Signature/);
    assert.match(reply.body, /Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/);
    assert.ok(signatureHolds(reply.body, key.certificatePem));
  });

  test('a metadata whose entity id was changed on the way no longer verifies', async () => {
    const reply = await relayRequest(ts.relayPort, { path: '/saml/metadata' });
    const changed = reply.body.replace(/entityID="[^"]+"/, 'entityID="https://evil.example.test/saml/metadata"');
    assert.notEqual(changed, reply.body);
    assert.equal(signatureHolds(changed, key.certificatePem), false);
  });

  test('without a key the metadata is unsigned; half a configuration or a certificate of another key stops the start', async () => {
    const plain = await startTestServer({ logLevel: 'warn' });
    try {
      const reply = await relayRequest(plain.relayPort, { path: '/saml/metadata' });
      assert.doesNotMatch(reply.body, /Signature|KeyDescriptor/);
    } finally {
      await plain.close();
    }
    await assert.rejects(
      startTestServer({ samlSigningKeyFile: files.key, logLevel: 'warn' }),
      /give both --saml-signing-key-file and --saml-signing-certificate-file/,
    );
    await assert.rejects(
      startTestServer({ samlSigningKeyFile: files.key, samlSigningCertificateFile: files.otherCertificate, logLevel: 'warn' }),
      /is not the certificate of the key/,
    );
  });
});
