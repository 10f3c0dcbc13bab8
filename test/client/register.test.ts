// register() and rotateCertificate() against a real ssod (protocol §5.1, §5.2, §4.2).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SsoClient, isFault, register, rotateCertificate, splitIdentityPem } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ifAssigned } from '../helpers/defined.js';

const APPLICATION = { name: 'panel', displayName: 'Panel', version: '1.0', url: 'https://panel.example.com:8443/' };

describe('register and rotateCertificate', () => {
  let ts: TestServer;
  let dir: string;
  let soapUrl: string;

  before(async () => {
    ts = await startTestServer();
    soapUrl = `https://127.0.0.1:${ts.soapPort}/soap`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-client-'));
  });

  after(async () => {
    await ifAssigned(ts)?.close();
    const made = ifAssigned(dir);
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
  });

  test('register() registers once and keeps the key+certificate owner-only', async () => {
    const file = path.join(dir, 'once.pem');
    const first = await register({ soapUrl, ca: ts.caPem, file, application: APPLICATION });
    assert.equal(first.created, true);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /BEGIN PRIVATE KEY[\s\S]+BEGIN CERTIFICATE/);
    const again = await register({ soapUrl, ca: ts.caPem, file, application: APPLICATION });
    assert.equal(again.created, false);
    assert.equal(again.applicationId, first.applicationId);
    const client = new SsoClient({ soapUrl, ca: ts.caPem, identity: { pemFile: file } });
    assert.deepEqual((await client.listUsers()).usersList, []);
    client.close();
    const guest = new SsoClient({ soapUrl, ca: ts.caPem });
    assert.deepEqual((await guest.listApplications()).applicationsList, [first.applicationId]);
    guest.close();
  });

  test('rotateCertificate() switches to the new certificate, confirms it and replaces the file', async () => {
    const file = path.join(dir, 'rotate.pem');
    const { applicationId, identity: old } = await register({
      soapUrl,
      ca: ts.caPem,
      file,
      application: { ...APPLICATION, name: 'rotating', url: 'https://rotating.example.com:443/' },
    });
    const client = new SsoClient({ soapUrl, ca: ts.caPem, identity: { pemFile: file } });
    await client.listUsers(); // a kept-alive connection with the old certificate

    const next = await rotateCertificate(client, { file });
    assert.notEqual(next.cert, old.cert);
    assert.equal(client.identity?.cert, next.cert);
    assert.deepEqual(splitIdentityPem(readFileSync(file, 'utf8')), next);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(existsSync(`${file}.new`), false);
    // protocol §4.2: the new certificate has been used, so the old one is refused.
    const withOld = new SsoClient({ soapUrl, ca: ts.caPem, identity: old });
    await assert.rejects(withOld.listUsers(), (e) => isFault(e, 'FailedAuthentication'));
    withOld.close();
    assert.deepEqual((await client.listUsers()).usersList, []);
    assert.equal((await client.getApplication({ applicationId })).name, 'rotating');
    client.close();
  });

  test('rotateCertificate() refuses a guest client', async () => {
    const guest = new SsoClient({ soapUrl, ca: ts.caPem });
    await assert.rejects(rotateCertificate(guest), /guest/);
    guest.close();
  });
});
