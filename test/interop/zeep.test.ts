// Interoperability: python3-zeep (Debian) builds its client from the served WSDL and calls ssod
// over TLS with the client certificate that registerApplication issued (SOAP 1.1 and 1.2); and a
// second client from the extensions WSDL (docs/EXTENSIONS.md) calls ssod's own operations.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defined } from '../helpers/defined.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../test/interop/zeep_client.py', import.meta.url));
// Debian's python3 has python3-zeep; a python3 earlier on PATH (pyenv) may not.
const PYTHON = '/usr/bin/python3';

interface ZeepResult {
  ports: string[];
  applicationId: string;
  userId: string;
  userIdByLogin: string;
  usersList: string[];
  sessionId: string;
  relayToken: string;
  verified: string;
  settings: { timeout: number | string; relay: string; hashes: string[] };
  application: { name: string };
  fault12: { code: string; subcodes: string[]; message: string } | null;
  fault11: { code: string; subcodes: string[]; message: string } | null;
  guestDenied: { code: string; subcodes: string[]; message: string } | null;
  nilUpdate: { certificate: string | null; name: string; displayName: string; url: string };
  nilRequired: { code: string; subcodes: string[]; message: string } | null;
}

type Fault = { code: string; subcodes: string[]; message: string } | null;

interface ZeepExtensionResult {
  userId: string;
  extPorts: string[];
  method: Record<'1.1' | '1.2', string>;
  authenticated: { userId: string; sessionId: string; relayToken: string };
  verified: string;
  authenticated11: string;
  badIp: Fault;
  noSuchUser: Fault;
  guestDenied: Fault;
  forgedTicket: Fault;
  applicationId: string;
  variables: {
    declarations: [string, string, number, boolean, boolean][];
    initial: [string, string];
    set: string;
    lost: Fault;
    overLength: Fault;
    verified: { userId: string; firstVisit: string; variables: string[][] };
    again: string;
    removed: Fault;
  };
}

describe('python3-zeep interoperability', () => {
  let ts: TestServer;
  let work: string;
  before(async () => {
    ts = await startTestServer();
    work = mkdtempSync(path.join(os.tmpdir(), 'ssod-zeep-'));
  });
  after(async () => {
    await ts.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a zeep client generated from /soap?wsdl runs the protocol with a client certificate', async () => {
    const caFile = path.join(work, 'ca.pem');
    writeFileSync(caFile, ts.caPem);
    const { stdout } = await run(PYTHON, [SCRIPT, `https://127.0.0.1:${ts.soapPort}/soap?wsdl`, caFile, work], { timeout: 60_000 });
    const result = JSON.parse(stdout) as ZeepResult;
    assert.deepEqual(result.ports, ['1.1', '1.2']);
    assert.match(result.applicationId, /^[0-9a-f-]{36}$/);
    assert.equal(result.userIdByLogin, result.userId);
    assert.deepEqual(result.usersList, [result.userId]);
    assert.ok(result.sessionId.startsWith('https://zeep.example.com:8443/'));
    assert.equal(result.verified, result.userId);
    assert.equal(String(result.settings.timeout), '6000');
    assert.equal(result.settings.relay, `http://127.0.0.1:${ts.relayPort}/relay`);
    assert.deepEqual(result.settings.hashes, ['sha1', 'md5', 'sha256']);
    assert.equal(result.application.name, 'zeep');
    // Optional fields sent as xsi:nil are absent: unchanged, and no new certificate.
    assert.deepEqual(result.nilUpdate, {
      certificate: null,
      name: 'zeep',
      displayName: 'zeep renamed',
      url: 'https://zeep.example.com:8443/',
    });
    assert.ok(
      result.nilRequired && result.nilRequired.subcodes.some((c) => c.endsWith('invalidParameter')),
      JSON.stringify(result.nilRequired),
    );
    assert.match(result.nilRequired.message, /login is required and cannot be nil/);
    assert.ok(result.fault12 && result.fault12.subcodes.some((c) => c.endsWith('noSuchSession')), JSON.stringify(result.fault12));
    assert.ok(result.fault11 && result.fault11.code.endsWith('noSuchSession'), JSON.stringify(result.fault11));
    assert.ok(result.guestDenied && JSON.stringify(result.guestDenied).includes('permissionDenied'));
  });

  /** One run of the script's extensions part (it registers its application once), shared by the tests that read it. */
  let extension: Promise<ZeepExtensionResult> | undefined;
  const extensionRun = (): Promise<ZeepExtensionResult> => {
    extension ??= (async () => {
      const caFile = path.join(work, 'ca.pem');
      writeFileSync(caFile, ts.caPem);
      const base = `https://127.0.0.1:${ts.soapPort}/soap`;
      const { stdout } = await run(PYTHON, [SCRIPT, `${base}?wsdl`, caFile, work, `${base}?wsdl=ext`], { timeout: 60_000 });
      return JSON.parse(stdout) as ZeepExtensionResult;
    })();
    return extension;
  };

  test('a zeep client generated from /soap?wsdl=ext calls getSignOnMethod and authenticate with ssox:originatingIp', async () => {
    const result = await extensionRun();
    assert.deepEqual(result.extPorts, ['1.1', '1.2']);
    assert.deepEqual(result.method, { '1.1': 'local', '1.2': 'local' });
    assert.equal(result.authenticated.userId, result.userId);
    assert.ok(result.authenticated.sessionId.startsWith('https://zeepext.example.com:8443/'));
    assert.equal(result.verified, result.userId);
    assert.equal(result.authenticated11, result.userId);
    const badIp = defined(result.badIp, 'the fault of a bad originatingIp');
    assert.ok(badIp.subcodes.includes('invalidParameter'), JSON.stringify(badIp));
    assert.match(badIp.message, /originatingIp must be an IPv4 or IPv6 address/);
    assert.ok(result.noSuchUser?.subcodes.includes('noSuchUser'), JSON.stringify(result.noSuchUser));
    assert.ok(result.guestDenied?.code.endsWith('permissionDenied'), JSON.stringify(result.guestDenied));
    assert.ok(result.forgedTicket?.subcodes.includes('invalidParameter'), JSON.stringify(result.forgedTicket));
  });

  test('variables: a zeep client of /soap?wsdl=ext declares, reads and writes session variables and calls ssox:verifySession', async () => {
    const { variables, applicationId, userId } = await extensionRun();
    // xs:nonNegativeInteger and xs:boolean inputs went out from Python ints and bools.
    assert.deepEqual(variables.declarations, [
      ['cart', '[]', '4096', 'false', 'false'],
      ['theme', 'light', '16', 'true', 'false'],
    ]);
    assert.deepEqual(variables.initial, ['light', '0']);
    assert.equal(variables.set, '1');
    assert.ok(variables.lost?.subcodes.includes('invalidParameter'), JSON.stringify(variables.lost));
    assert.match(variables.lost?.message ?? '', /version: theme is at version 1, not 0/);
    assert.match(variables.overLength?.message ?? '', /maxLength of theme, 16 characters/);
    assert.deepEqual(variables.verified, {
      userId,
      firstVisit: 'true',
      variables: [
        [applicationId, 'cart', '[]', '0'],
        [applicationId, 'theme', 'dark', '1'],
      ],
    });
    assert.equal(variables.again, 'false');
    assert.ok(variables.removed?.subcodes.includes('invalidParameter'), JSON.stringify(variables.removed));
  });
});
