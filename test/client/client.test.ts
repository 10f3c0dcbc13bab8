// The SDK's client against a real ssod over TLS: every operation, typed faults, and the errors
// of a server that cannot be reached or does not answer.
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SsoClient, SsoFaultError, SsoTransportError, isFault, splitIdentityPem, type KeyPair } from '../../src/client/index.js';
import { parseReply } from '../../src/client/envelope.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ifAssigned } from '../helpers/defined.js';

const PANEL_URL = 'https://panel.example.com:8443/';

describe('SsoClient against ssod', () => {
  let ts: TestServer;
  let guest: SsoClient;
  let app: SsoClient;
  let other: SsoClient;
  let appId: string;
  let otherId: string;
  let identity: KeyPair;

  before(async () => {
    ts = await startTestServer();
    guest = new SsoClient({ soapUrl: `https://127.0.0.1:${ts.soapPort}/soap`, ca: ts.caPem });
    const registered = await guest.registerApplication({ name: 'panel', displayName: 'Panel', version: '1.0', url: PANEL_URL });
    appId = registered.applicationId;
    identity = splitIdentityPem(registered.certificate);
    app = guest.withIdentity(identity);
    const second = await guest.registerApplication({
      name: 'billing',
      displayName: 'Billing',
      version: '2.0',
      url: 'https://billing.example.com:443/',
    });
    otherId = second.applicationId;
    other = new SsoClient({ soapUrl: guest.soapUrl, ca: ts.caPem, identity: { pem: second.certificate } });
  });

  after(async () => {
    for (const client of [guest, app, other]) ifAssigned(client)?.close();
    await ifAssigned(ts)?.close();
  });

  test('all 20 operations, with their typed replies', async () => {
    const settings = await guest.getSettings();
    assert.equal(settings.usersSessionsTimeout, '6000');
    assert.match(settings.relayEndpointUrl, /^http:\/\/127\.0\.0\.1:\d+\/relay$/);
    assert.deepEqual([...settings.passwordHash].sort(), ['md5', 'sha1', 'sha256']);

    assert.deepEqual([...(await guest.listApplications()).applicationsList].sort(), [appId, otherId].sort());
    await app.updateApplication({ applicationId: appId, version: '1.1', changePasswordUrl: 'https://panel.example.com:8443/pw?u=$uid' });
    const described = await guest.getApplication({ applicationId: appId });
    assert.equal(described.version, '1.1');
    assert.equal(described.url, PANEL_URL);
    assert.equal(described.restorePasswordUrl, undefined);

    const { userId } = await app.createUser({ login: 'alice@example.com', password: 'p<&>"ss' });
    assert.equal((await app.getUserId({ login: 'ALICE@example.com' })).userId, userId);
    assert.deepEqual(await app.getUser({ userId }), { login: 'alice@example.com', applicationId: appId });
    assert.deepEqual((await app.listUsers()).usersList, [userId]);
    await app.changeLogin({ userId, login: 'alice@example.org' });
    const copy = await app.duplicateUser({ userId, login: 'bob@example.org' });
    await app.changePassword({ userId, oldPassword: 'p<&>"ss', newPassword: 'n3w & improved' });
    assert.match((await app.getChangePasswordUrl({ userId })).url ?? '', new RegExp(userId));
    assert.equal((await app.getRestorePasswordUrl({ userId })).url, undefined);

    const session = await guest.authenticate({ login: 'alice@example.org', password: 'n3w & improved', baseUrl: PANEL_URL });
    assert.equal(session.userId, userId);
    assert.match(session.relayToken ?? '', /^[0-9a-f]{32}$/);
    assert.ok(session.sessionId?.startsWith(PANEL_URL));
    assert.equal((await guest.verifySession({ sessionId: session.sessionId ?? '' })).userId, userId);
    await guest.closeSession({ sessionId: session.sessionId ?? '' });
    await assert.rejects(guest.verifySession({ sessionId: session.sessionId ?? '' }), (error) => isFault(error, 'noSuchSession'));

    await app.transferOwnership({ userId: copy.userId, applicationId: otherId });
    await other.deleteUser({ userId: copy.userId });
    await other.unregisterApplication({ applicationId: otherId });
    assert.deepEqual((await guest.listApplications()).applicationsList, [appId]);
  });

  test('a fault is an SsoFaultError with the sso: code and the HTTP status', async () => {
    const error = await app.getUser({ userId: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
    assert.ok(error instanceof SsoFaultError);
    assert.equal(error.code, 'noSuchUser');
    assert.equal(error.operation, 'getUser');
    assert.equal(error.status, 400);
    await assert.rejects(guest.createUser({ login: 'x', password: 'y' }), (e) => isFault(e, 'permissionDenied'));
    await assert.rejects(guest.authenticate({ login: 'nobody', password: 'wrong' }), (e) => isFault(e, 'invalidCredentials'));
    await assert.rejects(app.getUser({ userId: 'not-a-uuid' }), (e) => isFault(e, 'invalidParameter'));
    await assert.rejects(app.createUser({ login: 'alice@example.org', password: 'x' }), (e) => isFault(e, 'duplicateLogin'));
  });

  test('a fault of the envelope itself carries the SOAP 1.2 code', () => {
    const body = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code><env:Reason><env:Text xml:lang="en">A DOCTYPE is not allowed.</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`;
    assert.deepEqual(parseReply('getSettings', body), { kind: 'fault', code: 'Sender', reason: 'A DOCTYPE is not allowed.' });
  });

  test('a certificate that is not a current one is FailedAuthentication, never a guest', async () => {
    const stranger = new SsoClient({ soapUrl: guest.soapUrl, ca: ts.caPem, identity: { key: identity.key, cert: identity.cert } });
    await stranger.listUsers(); // still current
    const { certificate } = await stranger.updateApplication({ applicationId: appId, certificate: '' });
    const rotated = guest.withIdentity(splitIdentityPem(certificate ?? ''));
    await rotated.listUsers(); // first use of the new one: the old one is refused from now on
    await assert.rejects(stranger.getSettings(), (e) => isFault(e, 'FailedAuthentication'));
    app.useIdentity(rotated.identity);
    await app.listUsers();
    for (const client of [stranger, rotated]) client.close();
  });

  test('an answer that is not SOAP is a badReply transport error', async () => {
    const wrongPath = new SsoClient({ soapUrl: `https://127.0.0.1:${ts.soapPort}/nothing-here`, ca: ts.caPem });
    await assert.rejects(wrongPath.getSettings(), (e) => e instanceof SsoTransportError && e.kind === 'badReply');
    wrongPath.close();
  });

  test('a reply that stops halfway is a timeout, not a broken connection', async () => {
    const stalling = https.createServer(ts.server.services.ca.serverCredentials(), (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      res.write('<env:Envelope'); // and nothing more
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    const client = new SsoClient({
      soapUrl: `https://127.0.0.1:${(stalling.address() as net.AddressInfo).port}/soap`,
      ca: ts.caPem,
      timeoutMs: 200,
    });
    await assert.rejects(client.getSettings(), (e) => e instanceof SsoTransportError && e.kind === 'timeout');
    client.close();
    stalling.closeAllConnections();
    await new Promise<void>((resolve) => stalling.close(() => resolve()));
  });

  test('a server certificate from another CA is a tls transport error', async () => {
    const distrustful = new SsoClient({ soapUrl: guest.soapUrl, ca: identity.cert });
    await assert.rejects(distrustful.getSettings(), (e) => e instanceof SsoTransportError && e.kind === 'tls');
    distrustful.close();
  });
});

describe('SsoClient when the server cannot answer', () => {
  test('nothing listening: an unreachable error naming the server', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new SsoClient({ soapUrl: `https://127.0.0.1:${port}/soap`, ca: 'unused' });
    const error = await client.getSettings().catch((e: unknown) => e);
    assert.ok(error instanceof SsoTransportError);
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, new RegExp(`getSettings: cannot reach the SSO server at 127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    client.close();
  });

  test('a server that never answers: a timeout after the per-call deadline', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket)); // accepts, never speaks TLS
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    // The client's own deadline is far longer than the call's: which one fired shows in the order of
    // magnitude of the wait, not in a threshold that a slow machine could miss.
    const clientDeadline = 120_000;
    const client = new SsoClient({
      soapUrl: `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}/soap`,
      ca: 'unused',
      timeoutMs: clientDeadline,
    });
    const started = performance.now();
    const error = await client.getSettings({ timeoutMs: 150 }).catch((e: unknown) => e);
    const waited = performance.now() - started;
    assert.ok(error instanceof SsoTransportError);
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /within 150 ms/);
    assert.ok(waited >= 150 && waited < clientDeadline / 4, `waited ${Math.round(waited)} ms`);
    client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
