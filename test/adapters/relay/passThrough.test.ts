// Pass-through authentication (docs/federation/pass-through.md) against a real LJAuthenticate service:
// PHP's SoapServer behind TLS (helpers/ljService.ts), configured as ssod's web service source. The
// browser's POST to the relay listener, in both forms, ends in the relay's cookie and the success
// page, or in the error page with its reason and an audit record of the cause; the service's error
// URL is followed only on an allowed origin. The On Session Start callback of the application behind
// passThroughSuccessUrl is called before the browser goes on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addSource } from '../../../src/core/operator/sources.js';
import { setUserDisabled, turnSingleSignOnOn } from '../../../src/core/operator/users.js';
import { parseSettingChanges } from '../../../src/core/liveSettings.js';
import { changeSettings } from '../../../src/core/settings.js';
import { findUser } from '../../../src/core/users.js';
import { defined } from '../../helpers/defined.js';
import { startLjService, type LjService } from '../../helpers/ljService.js';
import { freePort } from '../../helpers/ports.js';
import { call, registerApp, relayGet, startTestServer, type HttpReply, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { pairOf, relayRequest, setCookieNamed } from './request.js';
import { TOOLS, skipWithout } from '../../helpers/tools.js';
import { addGroupMember, createGroup, deleteGroup } from '../../../src/core/operator/groups.js';
import { sha256Hex } from '../../../src/core/sessions.js';
import { setSessionStartCallback } from '../../../src/core/sessionStart.js';
import { ticketIssuer, ticketKeySet } from '../../../src/core/tickets.js';
import { localTicketKeys, verifySessionStartCallback } from '../../../src/client/index.js';
import { startCallbackEndpoint } from '../../helpers/callbackEndpoint.js';
import { openTestCa } from '../../helpers/testCa.js';

const PATH = '/networking/passThroughAuth';
/** Failures of one login before it is locked: more than any login but eve's has in these tests. */
const LOGIN_FAILURES = 8;
const PANEL = 'https://panel.example.com:8443/';
const PORTAL = 'https://portal.example.test';
/** Where the service sends the browser after NOT_AUTHETICATED: the portal, not a registered application at first. */
const SERVICE_ERROR_URL = `${PORTAL}/sign-in?error=session&from=ssod`;

const SESSIONS = {
  'session-of-alice': 'alice@abc.com',
  'session-of-alice-2': 'alice@abc.com',
  'session-of-alice-3': 'alice@abc.com',
  'session-of-alice-4': 'alice@abc.com',
  'session-of-alice-5': 'alice@abc.com',
  'session-of-bob': 'bob@abc.com',
  'session-of-carol': 'carol@abc.com',
  'session-of-zed': 'zed@abc.com',
  'session-of-eve': 'eve@abc.com',
};

function envelope(fields: Readonly<Record<string, string>>): string {
  const inner = Object.entries(fields)
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('');
  return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><LJAuthenticate xmlns="urn:authentication.soap.ws.longjump.com">${inner}</LJAuthenticate></soapenv:Body></soapenv:Envelope>`;
}

describe('pass-through authentication', { skip: skipWithout([TOOLS.phpSoap]) }, () => {
  let ts: TestServer;
  let service: LjService;
  let panel: RegisteredApp;
  const users: Record<string, string> = {};

  before(async () => {
    service = await startLjService({ users: {}, sessions: SESSIONS, redirectOnErrorURL: SERVICE_ERROR_URL });
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, maxLoginFailures: LOGIN_FAILURES });
    const { services } = ts.server;
    panel = await registerApp(ts, PANEL, 'panel');
    await addSource(services, { name: 'corp', settings: { kind: 'webService', url: service.url, caPem: service.caPem } });
    for (const login of ['alice@abc.com', 'bob@abc.com', 'carol@abc.com', 'eve@abc.com']) {
      const created = await call(ts, 'createUser', { login, password: 'a local password' }, { credentials: panel.credentials });
      users[login] = defined(created.field('userId'), created.body);
      if (login !== 'bob@abc.com') await turnSingleSignOnOn(services, await findUser(services, users[login]), 'corp');
    }
    await setUserDisabled(services, await findUser(services, defined(users['carol@abc.com'], 'carol')), true);
  });
  after(async () => {
    await ts.close();
    await service.stop();
  });

  /** Changes service settings as `ssod settings set` does (checked, then written), and has the server read them now. */
  const settings = async (changes: Record<string, string | null>): Promise<void> => {
    await changeSettings(ts.server.services, parseSettingChanges(changes));
    await ts.server.services.settings.refresh();
  };
  const postForm = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    relayRequest(ts.relayPort, { method: 'POST', path: PATH, form, headers });
  const postRaw = (text: string, contentType: string, headers: Record<string, string> = {}) =>
    relayRequest(ts.relayPort, { method: 'POST', path: PATH, body: { text, contentType }, headers });
  const postSoap = (text: string, headers: Record<string, string> = {}) => postRaw(text, 'text/xml; charset=utf-8', headers);
  /** What the browser gets at the relative Location of ssod's own page. */
  const followed = (reply: HttpReply) => relayRequest(ts.relayPort, { path: defined(reply.headers.location, 'a location') });
  /** The newest audit record of a pass-through sign-in. */
  const lastAudit = async () => {
    const [record] = await ts.server.services.store.queryAudit({ limit: 1 });
    return defined(record, 'an audit record');
  };
  /** The user the relay's cookie belongs to, through the relay's get-session and verifySession, as an application sees it. */
  const userOfCookie = async (cookie: string): Promise<string | undefined> => {
    const relayed = await relayGet(ts, new URLSearchParams({ url: `${PANEL}home` }).toString(), cookie);
    const ssosid = new URL(relayed.headers.location ?? '').searchParams.get('ssosid') ?? 'none';
    return (await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: panel.credentials })).field('userId');
  };

  test('with no passThroughSource, pass-through is off: the address is not found', async () => {
    const reply = await postForm({ sessionID: 'session-of-alice', loginID: 'alice@abc.com' });
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['set-cookie'], undefined);
  });

  test('passThroughSource must name a web service source; the URLs must be absolute http(s) ones', async () => {
    await assert.rejects(settings({ passThroughSource: 'nothing' }), /no source is named "nothing"; the web service sources are: corp/);
    for (const url of [
      '/relative',
      'ftp://portal.example.test/',
      'https://user:pw@portal.example.test/',
      'https://portal.example.test/a b',
      'https://portal.example.test/%0d%0a',
    ]) {
      await assert.rejects(settings({ passThroughSuccessUrl: url }), /passThroughSuccessUrl .*must/, url);
      await assert.rejects(settings({ passThroughErrorUrl: url }), /passThroughErrorUrl .*must/, url);
    }
    await settings({ passThroughSource: 'corp' });
    assert.equal(ts.server.services.settings.current().passThroughSource, 'corp');
  });

  test("success, SOAP form: the relay cookie is set, the browser goes to ssod's own page, and the session verifies", async () => {
    const reply = await postSoap(envelope({ sessionID: 'session-of-alice', loginID: 'alice@abc.com' }), { Origin: `${PORTAL}:8443` });
    assert.equal(reply.status, 302, reply.body);
    assert.equal(reply.headers.location, '/signed-in');
    assert.match((await followed(reply)).body, /You are signed in/);
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    const setCookie = defined(setCookieNamed(reply, 'sid'), 'the relay cookie');
    assert.match(setCookie, /^sid=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.equal(await userOfCookie(pairOf(setCookie)), users['alice@abc.com']);
    assert.deepEqual(await service.lastRequest(), {
      sessionID: 'session-of-alice',
      originatingDomain: 'portal.example.test',
      originatingIp: '127.0.0.1',
      loginID: 'alice@abc.com',
    });
    const audit = await lastAudit();
    assert.equal(audit.type, 'authentication.succeeded');
    assert.equal(audit.target, `user:${users['alice@abc.com'] ?? ''}`);
    assert.equal(audit.detail.method, 'passThrough');
  });

  test("success, HTML form: the originating domain is the Referer's host when there is no Origin; the login compares as logins do", async () => {
    const reply = await postForm(
      { sessionID: 'session-of-alice-2', loginID: 'Alice@ABC.com', submit: 'Sign in' },
      { Referer: 'https://intranet.abc.com/portal/apps' },
    );
    assert.equal(reply.status, 302, reply.body);
    assert.equal(await userOfCookie(pairOf(setCookieNamed(reply, 'sid'))), users['alice@abc.com']);
    assert.equal((await service.lastRequest()).originatingDomain, 'intranet.abc.com');
  });

  test("a success URL on a registered application's origin gets that application's ssosid", async () => {
    await settings({ passThroughSuccessUrl: `${PANEL}welcome?tab=1#top` });
    try {
      const reply = await postForm({ sessionID: 'session-of-alice-3', loginID: 'alice@abc.com' });
      assert.equal(reply.status, 302);
      const location = new URL(defined(reply.headers.location, 'a location'));
      assert.equal(`${location.origin}${location.pathname}`, `${PANEL}welcome`);
      assert.equal(location.searchParams.get('tab'), '1');
      assert.equal(location.hash, '#top');
      const ssosid = defined(location.searchParams.get('ssosid'), 'an ssosid');
      assert.equal(
        (await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: panel.credentials })).field('userId'),
        users['alice@abc.com'],
      );
    } finally {
      await settings({ passThroughSuccessUrl: null });
    }
  });

  test("G51: failure: NOT_AUTHETICATED sends the browser to the error page; the service's error URL outside the allow-list is ignored", async () => {
    const reply = await postForm({ sessionID: 'no-such-session', loginID: 'alice@abc.com' });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, '/sign-in-failed?reason=failed');
    assert.match((await followed(reply)).body, /Sign-in did not succeed/);
    assert.equal(reply.headers['set-cookie'], undefined);
    const audit = await lastAudit();
    assert.equal(audit.type, 'authentication.failed');
    assert.equal(audit.outcome, 'sourceRejected');
    assert.equal(audit.detail.source, 'corp');
    assert.equal(audit.detail.sourceDetail, 'status NOT_AUTHETICATED');
    assert.equal(audit.detail.method, 'passThrough');
  });

  test('G52: a replayed sessionID (used-session, which the service answers NOT_AUTHETICATED) gets no session', async () => {
    const reply = await postSoap(envelope({ sessionID: 'used-session', loginID: 'alice@abc.com' }));
    assert.equal(reply.headers.location, '/sign-in-failed?reason=failed');
    assert.equal(reply.headers['set-cookie'], undefined);
    assert.equal((await service.lastRequest()).sessionID, 'used-session');
  });

  test("G51: the service's error URL is followed on the configured error page's origin or a registered application's", async () => {
    await settings({ passThroughErrorUrl: `${PORTAL}/sso-error?lang=en` });
    try {
      const onErrorOrigin = await postForm({ sessionID: 'no-such-session', loginID: 'alice@abc.com' });
      assert.equal(onErrorOrigin.headers.location, SERVICE_ERROR_URL);
      // An error of ssod's own, with no URL from the service: the configured page with the reason.
      const unknown = await postForm({ sessionID: 'session-of-zed', loginID: 'zed@abc.com' });
      assert.equal(unknown.headers.location, `${PORTAL}/sso-error?lang=en&reason=notAllowed`);
    } finally {
      await settings({ passThroughErrorUrl: null });
    }
    await registerApp(ts, `${PORTAL}:443/`, 'portal');
    const onApplication = await postForm({ sessionID: 'no-such-session', loginID: 'alice@abc.com' });
    assert.equal(onApplication.headers.location, SERVICE_ERROR_URL);
  });

  test('groups: pass-through signs in only a user of the set of the application behind passThroughSuccessUrl, in that set', async () => {
    const { services } = ts.server;
    const shop = await registerApp(ts, 'https://shop.example.com:443/', 'shop');
    const record = async (id: string) => defined(await services.store.getApplication(id), 'the application');
    // alice's owner becomes the provider of a group; shop is ungrouped: alice is not a user of its set.
    await createGroup(services, 'pass-through', await record(panel.id));
    await settings({ passThroughSuccessUrl: `${shop.url}welcome` });
    try {
      const refused = await postForm({ sessionID: 'session-of-alice-4', loginID: 'alice@abc.com' });
      assert.equal(refused.headers.location, '/sign-in-failed?reason=notAllowed');
      assert.equal(refused.headers['set-cookie'], undefined);
      assert.equal((await lastAudit()).outcome, 'unknownUser', 'refused as an unknown user');
      // Once shop joins the group, the same sign-in starts a session of the group, which shop verifies.
      await addGroupMember(services, 'pass-through', await record(shop.id));
      const reply = await postForm({ sessionID: 'session-of-alice-4', loginID: 'alice@abc.com' });
      const ssosid = defined(new URL(defined(reply.headers.location, 'a location')).searchParams.get('ssosid'), 'an ssosid');
      assert.equal(
        (await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: shop.credentials })).field('userId'),
        users['alice@abc.com'],
      );
      assert.equal((await services.store.findSessionByLocalId(sha256Hex(ssosid)))?.global.groupName, 'pass-through');
    } finally {
      await settings({ passThroughSuccessUrl: null });
      await deleteGroup(services, 'pass-through', true);
    }
  });

  test('callbacks: pass-through calls the On Session Start callback of the application behind passThroughSuccessUrl before it answers; under fail a refusal is notAllowed', async () => {
    const { services } = ts.server;
    const ca = await openTestCa();
    const endpoint = await startCallbackEndpoint(ca.server);
    const welcome = await registerApp(ts, 'https://welcome.example.com:443/', 'welcome');
    await setSessionStartCallback(services, welcome.id, { url: endpoint.url('welcome'), policy: 'fail', caPem: ca.caPem }, 'operator');
    await settings({ passThroughSuccessUrl: `${welcome.url}home` });
    try {
      const reply = await postForm({ sessionID: 'session-of-alice-5', loginID: 'alice@abc.com' });
      assert.equal(reply.status, 302, reply.body);
      const ssosid = defined(new URL(defined(reply.headers.location, 'a location')).searchParams.get('ssosid'), 'an ssosid');
      assert.equal(
        (await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: welcome.credentials })).field('userId'),
        users['alice@abc.com'],
      );
      const received = endpoint.receivedOn('welcome');
      assert.equal(received.length, 1, 'called once, before the browser was sent on');
      const start = await verifySessionStartCallback(received[0]?.body ?? '', localTicketKeys(await ticketKeySet(services)), {
        url: endpoint.url('welcome'),
        issuer: ticketIssuer(services),
        applicationId: welcome.id,
      });
      assert.equal(start.order, 'starting');
      assert.equal(start.startedFor, welcome.id);
      assert.equal(start.userId, users['alice@abc.com']);

      endpoint.answer('welcome', { kind: 'status', status: 500 });
      const refused = await postForm({ sessionID: 'session-of-alice-5', loginID: 'alice@abc.com' });
      assert.equal(refused.headers.location, '/sign-in-failed?reason=notAllowed');
      assert.equal(refused.headers['set-cookie'], undefined);
      assert.equal(endpoint.receivedOn('welcome').length, 2);
      const [audited] = await services.store.queryAudit({
        type: 'session.startCallbackFailed',
        target: `application:${welcome.id}`,
        limit: 1,
      });
      assert.equal(audited?.outcome, 'refused');
      const logged = ts
        .logRecords()
        .filter((line) => line.msg === 'relay' && line.command === 'passThrough')
        .at(-1);
      assert.equal(logged?.outcome, 'startCallbackRefused');
    } finally {
      await settings({ passThroughSuccessUrl: null });
      await endpoint.close();
    }
  });

  test('G52: the service vouches for a login ssod does not know: notAllowed (unknownUser)', async () => {
    const reply = await postForm({ sessionID: 'session-of-zed', loginID: 'zed@abc.com' });
    assert.equal(reply.headers.location, '/sign-in-failed?reason=notAllowed');
    assert.equal(reply.headers['set-cookie'], undefined);
    assert.equal((await lastAudit()).outcome, 'unknownUser');
  });

  test('G52: a user without single sign-on (a local password) is not signed in by pass-through: notAllowed (notSingleSignOn)', async () => {
    const reply = await postForm({ sessionID: 'session-of-bob', loginID: 'bob@abc.com' });
    assert.equal(reply.headers.location, '/sign-in-failed?reason=notAllowed');
    assert.equal(reply.headers['set-cookie'], undefined);
    const audit = await lastAudit();
    assert.equal(audit.outcome, 'notSingleSignOn');
    assert.equal(audit.target, `user:${users['bob@abc.com'] ?? ''}`);
  });

  test('G52: a disabled user is not signed in: notAllowed (disabled)', async () => {
    const reply = await postForm({ sessionID: 'session-of-carol', loginID: 'carol@abc.com' });
    assert.equal(reply.headers.location, '/sign-in-failed?reason=notAllowed');
    assert.equal(reply.headers['set-cookie'], undefined);
    assert.equal((await lastAudit()).outcome, 'disabled');
  });

  test("G52: the reply's loginID names the user: a session of another login than the request's is refused (loginMismatch)", async () => {
    const reply = await postForm({ sessionID: 'session-of-alice-4', loginID: 'eve@abc.com' });
    assert.equal(reply.headers.location, '/sign-in-failed?reason=failed');
    assert.equal(reply.headers['set-cookie'], undefined);
    assert.equal((await lastAudit()).outcome, 'loginMismatch');
  });

  test('G53: a login with failures is locked like a sign-in: the service is no longer asked, even for a right session', async () => {
    const lockOf = async (): Promise<number | null> =>
      (await ts.server.services.store.getThrottles(['login:eve@abc.com']))[0]?.lockedUntil ?? null;
    // eve's earlier loginMismatch counts too: failures until the lock, at most the threshold.
    for (let i = 0; (await lockOf()) === null; i += 1) {
      assert.ok(i < LOGIN_FAILURES, 'locked after maxLoginFailures failures');
      const reply = await postForm({ sessionID: `guess-${i}`, loginID: 'eve@abc.com' });
      assert.equal(reply.headers['set-cookie'], undefined);
    }
    const lastAsked = (await service.lastRequest()).sessionID;
    const locked = await postForm({ sessionID: 'session-of-eve', loginID: 'eve@abc.com' });
    assert.equal(locked.headers.location, '/sign-in-failed?reason=failed');
    assert.equal(locked.headers['set-cookie'], undefined);
    assert.equal((await service.lastRequest()).sessionID, lastAsked, 'refused without asking the service');
  });

  test('requests that are not a pass-through request: 400 or 413 pages, nothing asked (F43: a form field that is not UTF-8)', async () => {
    const before = await service.lastRequest();
    const cases: Array<[string, Promise<{ status: number }>, number]> = [
      ['no loginID', postForm({ sessionID: 'session-of-alice' }), 400],
      ['loginID twice', postRaw('loginID=a&loginID=b', 'application/x-www-form-urlencoded'), 400],
      ['not a login', postForm({ sessionID: 's', loginID: 'two words' }), 400],
      // F43: read with replacement characters, %E9 and %E8 would become one session id for the service.
      [
        'a percent-encoded Latin-1 byte',
        postRaw('sessionID=session-of-al%E9ce&loginID=alice@abc.com', 'application/x-www-form-urlencoded'),
        400,
      ],
      ['malformed XML', postSoap('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'), 400],
      ['a DOCTYPE', postSoap(`<!DOCTYPE x [<!ENTITY e "alice@abc.com">]>${envelope({ loginID: '&e;' })}`), 400],
      ['not LJAuthenticate', postSoap(envelope({ loginID: 'alice@abc.com' }).replace(/LJAuthenticate/g, 'Other')), 400],
      ['JSON', postRaw('{"loginID":"alice@abc.com"}', 'application/json'), 400],
      ['over 16 KiB', postForm({ sessionID: 'x'.repeat(17_000), loginID: 'alice@abc.com' }), 413],
    ];
    for (const [what, reply, status] of cases) assert.equal((await reply).status, status, what);
    assert.deepEqual(await service.lastRequest(), before, 'the service was not asked');
  });

  test('E36: the pass-through service cannot be reached: the error page with reason unavailable (sourceUnavailable), no session', async () => {
    await addSource(ts.server.services, {
      name: 'down',
      settings: { kind: 'webService', url: `https://127.0.0.1:${await freePort()}/`, caPem: service.caPem },
    });
    await settings({ passThroughSource: 'down' });
    try {
      const reply = await postForm({ sessionID: 'session-of-alice-5', loginID: 'alice@abc.com' });
      assert.equal(reply.headers.location, '/sign-in-failed?reason=unavailable');
      assert.equal(reply.headers['set-cookie'], undefined);
      const audit = await lastAudit();
      assert.equal(audit.outcome, 'sourceUnavailable');
      assert.equal(audit.detail.source, 'down');
      assert.match(String(audit.detail.sourceDetail), /connection refused/);
    } finally {
      await settings({ passThroughSource: 'corp' });
    }
  });

  test('every request is one relay log line and one count, by outcome', () => {
    const lines = ts.logRecords().filter((line) => line.msg === 'relay' && line.command === 'passThrough');
    const outcomes = new Set(lines.map((line) => line.outcome));
    for (const outcome of [
      'off',
      'ok',
      'sourceRejected',
      'unknownUser',
      'notSingleSignOn',
      'disabled',
      'loginMismatch',
      'locked',
      'noLogin',
      'badXml',
      'badEncoding',
      'tooLarge',
      'sourceUnavailable',
    ]) {
      assert.ok(outcomes.has(outcome), `no log line of outcome ${outcome}`);
    }
  });
});
