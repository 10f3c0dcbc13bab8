// The SDK's session variables (docs/groups.md "Session variables") against a real ssod over TLS: the
// typed ssox helpers of SsoClient, isVersionConflict, and SsoApp's option sessionVariables on a real
// node:http server, whose handler reads the variables and sets one under the version rule.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SsoApp, SsoClient, applicationIdOf, isFault, isVersionConflict, splitIdentityPem } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ifAssigned } from '../helpers/defined.js';

async function get(url: string, cookie = ''): Promise<{ status: number; location: string; cookies: string[]; body: string }> {
  const response = await fetch(url, { redirect: 'manual', headers: cookie === '' ? {} : { Cookie: cookie } });
  return {
    status: response.status,
    location: response.headers.get('location') ?? '',
    cookies: response.headers.getSetCookie(),
    body: await response.text(),
  };
}

const pair = (setCookie: string | undefined): string => (setCookie ?? '').split(';')[0] ?? '';

describe('SDK: session variables', () => {
  let ts: TestServer;
  let client: SsoClient;
  let server: http.Server;
  let appUrl: string;
  let appId: string;

  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const guest = new SsoClient({ soapUrl: `https://127.0.0.1:${ts.soapPort}/soap`, ca: ts.caPem });
    const { applicationId, certificate } = await guest.registerApplication({ name: 'app', displayName: 'app', version: '1', url: appUrl });
    guest.close();
    appId = applicationId;
    client = new SsoClient({ soapUrl: guest.soapUrl, ca: ts.caPem, identity: splitIdentityPem(certificate) });
    assert.equal(applicationIdOf(splitIdentityPem(certificate).cert), appId);
    await client.createUser({ login: 'alice', password: 'secret' });
    // A long revalidation, so that the handler's variables can be outdated by a write elsewhere.
    const sso = new SsoApp({ client, appUrl, cookieName: 'app', sessionVariables: true, revalidateMs: 3_600_000 });
    const page = sso.protect(async (req, res, user) => {
      const wanted = new URL(req.url ?? '/', appUrl).searchParams.get('set');
      let outcome = '';
      if (wanted !== null) {
        try {
          outcome = `version ${String(await user.variables?.set('theme', wanted))}`;
        } catch (error) {
          if (!isVersionConflict(error)) throw error;
          outcome = 'conflict';
        }
      }
      res.end(JSON.stringify({ firstVisit: user.firstVisit, theme: user.variables?.get('theme'), outcome }));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      page(req, res).catch(() => res.destroy());
    });
  });

  after(async () => {
    ifAssigned(client)?.close();
    const running = ifAssigned(server);
    running?.closeAllConnections();
    await new Promise<void>((resolve) => (running ? running.close(() => resolve()) : resolve()));
    await ifAssigned(ts)?.close();
  });

  test('SsoClient declares, lists and removes its session variables, typed', async () => {
    await client.declareSessionVariable({ name: 'theme', defaultValue: 'light', maxLength: 16, readable: true, writable: false });
    await client.declareSessionVariable({ name: 'draft', defaultValue: '', maxLength: 4096, readable: false, writable: false });
    assert.deepEqual(await client.listSessionVariableDeclarations(), [
      { name: 'draft', defaultValue: '', maxLength: 4096, readable: false, writable: false },
      { name: 'theme', defaultValue: 'light', maxLength: 16, readable: true, writable: false },
    ]);
    await client.removeSessionVariable('draft');
    await assert.rejects(client.removeSessionVariable('draft'), (error) => isFault(error, 'invalidParameter'));
    await assert.rejects(
      client.declareSessionVariable({ name: 'x', defaultValue: '', maxLength: 5000, readable: false, writable: false }),
      (error) => isFault(error, 'invalidParameter') && /maxLength: 1 to 4096/.test(error.message),
    );
  });

  test('SsoClient reads and writes under the version rule; a lost update is isVersionConflict; ssox:verifySession typed', async () => {
    const { sessionId = '' } = await client.authenticate({ login: 'alice', password: 'secret', baseUrl: appUrl });
    assert.deepEqual(await client.getSessionVariable({ sessionId, name: 'theme' }), { value: 'light', version: 0 });
    assert.equal(await client.setSessionVariable({ sessionId, name: 'theme', value: 'dark', version: 0 }), 1);
    const lost = await client.setSessionVariable({ sessionId, name: 'theme', value: 'blue', version: 0 }).catch((error: unknown) => error);
    assert.ok(isVersionConflict(lost), String(lost));
    assert.ok(
      !isVersionConflict(await client.setSessionVariable({ sessionId, name: 'nothing', value: '', version: 0 }).catch((e: unknown) => e)),
    );
    const verified = await client.verifySessionWithVariables(sessionId);
    assert.equal(verified.firstVisit, true);
    assert.deepEqual(verified.variables, [{ owner: appId, name: 'theme', value: 'dark', version: 1 }]);
    assert.equal((await client.verifySessionWithVariables(sessionId)).firstVisit, false);
    await assert.rejects(client.verifySessionWithVariables(`${appUrl}00`), (error) => isFault(error, 'noSuchSession'));
  });

  test('SsoApp with sessionVariables: the handler gets firstVisit and the variables, and sets one under the version rule', async () => {
    const { sessionId = '' } = await client.authenticate({ login: 'alice', password: 'secret', baseUrl: appUrl });
    // The relay's answer, brought back by the browser that asked for it.
    const start = await get(`${appUrl}page`);
    const state = new URL(new URL(start.location).searchParams.get('url') ?? '').searchParams.get('sso_state') ?? '';
    const back = await get(`${appUrl}page?sso_state=${state}&ssosid=${encodeURIComponent(sessionId)}`, pair(start.cookies[0]));
    assert.equal(back.status, 302, back.body);
    const cookie = pair(back.cookies.find((c) => c.startsWith('app=')));
    const first = JSON.parse((await get(`${appUrl}page`, cookie)).body) as Record<string, unknown>;
    assert.deepEqual(first, { firstVisit: true, theme: { owner: appId, name: 'theme', value: 'light', version: 0 }, outcome: '' });
    // Another writer comes first: the handler's write with the version it held is refused, and it then holds the other's.
    assert.equal(await client.setSessionVariable({ sessionId, name: 'theme', value: 'green', version: 0 }), 1);
    const refused = JSON.parse((await get(`${appUrl}page?set=red`, cookie)).body) as Record<string, unknown>;
    assert.deepEqual(refused, {
      firstVisit: true,
      theme: { owner: appId, name: 'theme', value: 'green', version: 1 },
      outcome: 'conflict',
    });
    const accepted = JSON.parse((await get(`${appUrl}page?set=red`, cookie)).body) as Record<string, unknown>;
    assert.deepEqual(accepted, {
      firstVisit: true,
      theme: { owner: appId, name: 'theme', value: 'red', version: 2 },
      outcome: 'version 2',
    });
    assert.deepEqual(await client.getSessionVariable({ sessionId, name: 'theme' }), { value: 'red', version: 2 });
  });
});
