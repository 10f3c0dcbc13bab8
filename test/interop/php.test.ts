// Interoperability: PHP's SoapClient (php-soap) builds its client from the extensions WSDL
// (/soap?wsdl=ext, docs/EXTENSIONS.md) and calls ssod over TLS: ssox:getSignOnMethod with the client
// certificate that registerApplication issued, and authenticate with ssox:originatingIp as a guest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defined } from '../helpers/defined.js';
import { call, registerApp, startTestServer, type TestServer } from '../helpers/server.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../test/interop/php_client.php', import.meta.url));

interface PhpResult {
  functions: string[];
  method: string;
  authenticated: string;
  authenticateRequest: string;
  badIp: { code: string; message: string } | null;
}

describe('PHP SoapClient interoperability', { skip: skipWithout([TOOLS.phpSoap]) }, () => {
  let ts: TestServer;
  let work: string;
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    work = mkdtempSync(path.join(os.tmpdir(), 'ssod-php-'));
  });
  after(async () => {
    await ts.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a SoapClient from /soap?wsdl=ext calls ssox:getSignOnMethod, and authenticate with ssox:originatingIp', async () => {
    const app = await registerApp(ts, 'https://php.example.com:8443/', 'php');
    const created = await call(
      ts,
      'createUser',
      { login: 'php-user@example.com', password: 'php-secret' },
      { credentials: app.credentials },
    );
    const userId = defined(created.field('userId'), created.body);
    const caFile = path.join(work, 'ca.pem');
    const pemFile = path.join(work, 'app.pem');
    writeFileSync(caFile, ts.caPem);
    writeFileSync(pemFile, app.credentials.key + app.credentials.cert, { mode: 0o600 });
    const wsdl = `https://127.0.0.1:${ts.soapPort}/soap?wsdl=ext`;
    const { stdout } = await run('php', [SCRIPT, wsdl, caFile, pemFile, userId, 'php-user@example.com', 'php-secret'], {
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as PhpResult;
    assert.ok(result.functions.some((signature) => signature.startsWith('getSignOnMethodResponse getSignOnMethod(')));
    assert.equal(result.method, 'local');
    assert.equal(result.authenticated, userId);
    // SoapClient wrote the extension input in its own namespace, as the WSDL's reference says.
    assert.match(result.authenticateRequest, /<(\w+):originatingIp>203\.0\.113\.7<\/\1:originatingIp>/);
    assert.match(result.authenticateRequest, /xmlns:\w+="urn:ssod:ext:1"/);
    assert.ok(result.badIp !== null && /invalidParameter/.test(result.badIp.code), JSON.stringify(result.badIp));
  });
});
