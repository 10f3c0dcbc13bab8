// Logon tickets at the relay (docs/tickets.md): the way through two receivers after the relay sets
// its cookie, /relay/next and /relay/ticket, and the back-channel logout when the session ends. The
// receivers are HTTPS servers of the test (receivers.ts) that verify what they get with jose. Deleting an
// application group logs each of its sessions out at the receivers (docs/groups.md "Membership changes").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { receiversChanged, ticketIssuer } from '../../../src/core/tickets.js';
import { createGroup, deleteGroup } from '../../../src/core/operator/groups.js';
import { addReceiver } from '../../../src/core/operator/tickets.js';
import { defined } from '../../helpers/defined.js';
import { eventually } from '../../helpers/eventually.js';
import { call, httpsRequest, registerApp, startTestServer, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { openTestCa, type TestCa } from '../../helpers/testCa.js';
import { browse, loopbackLookup, startReceiver, type Browser, type ReceiverServer } from './receivers.js';
import { relayRequest } from './request.js';

const PANEL = 'https://panel.example.com:8443/';

describe('logon tickets at the relay', () => {
  let ts: TestServer;
  let ca: TestCa;
  let de: ReceiverServer;
  let fr: ReceiverServer;
  let browser: Browser;
  let issuer: string;
  let panel: RegisteredApp;

  before(async () => {
    ts = await startTestServer({}, { receiverLookup: loopbackLookup });
    ca = await openTestCa();
    panel = await registerApp(ts, PANEL, 'panel');
    await call(ts, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: panel.credentials });
    const services = ts.server.services;
    issuer = ticketIssuer(services);
    // The key set as a receiver reads it: GET /tickets/keys on the SOAP listener, over HTTPS with ssod's CA.
    const keys = async (): Promise<JSONWebKeySet> =>
      JSON.parse((await httpsRequest(ts, null, { path: '/tickets/keys', method: 'GET' })).body) as JSONWebKeySet;
    de = await startReceiver({ ca, host: 'apps.example.de', domain: 'example.de', issuer, keys });
    fr = await startReceiver({ ca, host: 'example.fr', domain: 'example.fr', issuer, keys });
    // Named so that their order (by name) is not the order they were added in.
    for (const [name, receiver] of [
      ['b-fr', fr],
      ['a-de', de],
    ] as const) {
      await services.store.insertTicketReceiver({
        name,
        domain: receiver.domain,
        url: receiver.url,
        caPem: ca.caPem,
        createdAt: Date.now(),
      });
    }
    receiversChanged(services.store);
    browser = { relayPort: ts.relayPort, relayUrl: issuer, receivers: [de, fr], caPem: ca.caPem };
  });
  after(async () => {
    await ts.close();
    await de.stop();
    await fr.stop();
  });

  const signIn = async () => {
    const reply = await call(ts, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: PANEL });
    return { token: reply.field('relayToken') ?? '', sessionId: reply.field('sessionId') ?? '', userId: reply.field('userId') ?? '' };
  };
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const setCookie = async (url = `${PANEL}home?x=1`) => {
    const { token, sessionId, userId } = await signIn();
    const journey = await browse(browser, `/relay?${q({ token, url })}`);
    return { journey, sessionId, userId };
  };

  test('set-cookie: through every receiver in order of their names, each with a ticket for its domain, then to url', async () => {
    const [deBefore, frBefore] = [de.tickets.length, fr.tickets.length];
    const { journey, userId } = await setCookie();
    const [first, back, second, backAgain, final] = journey.locations;
    assert.ok(first?.startsWith(`${de.url}ticket?ticket=`), first);
    assert.equal(back, `${issuer}/next?${q({ after: 'a-de', url: `${PANEL}home?x=1` })}`);
    assert.ok(second?.startsWith(`${fr.url}ticket?ticket=`), second);
    assert.equal(backAgain, `${issuer}/next?${q({ after: 'b-fr', url: `${PANEL}home?x=1` })}`);
    assert.equal(final, `${PANEL}home?x=1`);
    assert.equal(journey.final, `${PANEL}home?x=1`);
    assert.match(journey.cookie ?? '', /^sid=[A-Za-z0-9_-]{43}$/);
    assert.equal(de.tickets.length, deBefore + 1);
    assert.equal(fr.tickets.length, frBefore + 1);
    const [deTicket, frTicket] = [de.tickets.at(-1), fr.tickets.at(-1)];
    assert.equal(deTicket?.sub, userId);
    assert.equal(frTicket?.sub, userId);
    assert.equal(deTicket['login'], 'alice');
    assert.equal(deTicket.aud, 'example.de');
    assert.equal(frTicket.aud, 'example.fr');
    assert.equal(deTicket['sid'], frTicket['sid'], 'one global session');
    assert.notEqual(deTicket.jti, frTicket.jti);
  });

  test('/relay/next answers with no-store and no-referrer, a log line and a metric per request', async () => {
    const { journey } = await setCookie();
    const reply = await relayRequest(ts.relayPort, {
      path: `/relay/next?${q({ after: 'a-de', url: PANEL })}`,
      cookie: journey.cookie ?? '',
    });
    assert.equal(reply.status, 302);
    assert.ok(reply.headers.location?.startsWith(`${fr.url}ticket?ticket=`));
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    const line = ts.logRecords().findLast((r) => r['msg'] === 'relay' && r['command'] === 'next');
    assert.equal(line?.['outcome'], 'ticket');
    assert.equal(line['receiver'], 'b-fr');
  });

  test('session=1: the ssosid of the application is added last, after the receivers; no local session id passes a receiver', async () => {
    const { journey, userId } = await setCookie();
    // `0` sorts before every receiver's name: the way through all of them again.
    const done = await browse(browser, `/relay/next?${q({ after: '0', url: `${PANEL}page`, session: '1' })}`, journey.cookie);
    for (const location of done.locations.slice(0, -1)) assert.doesNotMatch(location, /ssosid=(?!none)/);
    const ssosid = new URL(done.final).searchParams.get('ssosid') ?? '';
    assert.ok(ssosid.startsWith(PANEL), done.final);
    assert.equal((await call(ts, 'verifySession', { sessionId: ssosid })).field('userId'), userId);
  });

  test('the sign-in page ends through the receivers too (session=1 on the way back), and its form-action allows them', async () => {
    const form = await relayRequest(ts.relayPort, { path: `/login?${q({ url: PANEL })}` });
    const csp = String(form.headers['content-security-policy']);
    assert.match(csp, /form-action 'self' https:\/\/panel\.example\.com:8443 https:\/\/apps\.example\.de:\d+ https:\/\/example\.fr:\d+;/);
    const formCookie = (form.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const posted = await relayRequest(ts.relayPort, {
      method: 'POST',
      path: '/login',
      cookie: formCookie,
      form: { login: 'alice', password: 'wonderland', url: PANEL, csrf },
      headers: { 'Sec-Fetch-Site': 'same-origin' },
    });
    assert.equal(posted.status, 302);
    const next = new URL(posted.headers.location ?? '').searchParams.get('next') ?? '';
    assert.equal(next, `${issuer}/next?${q({ after: 'a-de', url: PANEL, session: '1' })}`);
  });

  test('no live session: /relay/next goes to url at once (ssosid=none with session=1); /relay/ticket gives ticket=none', async () => {
    const plain = await relayRequest(ts.relayPort, { path: `/relay/next?${q({ after: 'a-de', url: PANEL })}` });
    assert.equal(plain.headers.location, PANEL);
    const withSession = await relayRequest(ts.relayPort, { path: `/relay/next?${q({ after: 'a-de', url: PANEL, session: '1' })}` });
    assert.equal(withSession.headers.location, `${PANEL}?ssosid=none`);
    const none = await relayRequest(ts.relayPort, {
      path: `/relay/ticket?${q({ receiver: 'a-de', url: 'https://shop.example.de/cart' })}`,
    });
    assert.equal(none.status, 302);
    assert.equal(none.headers.location, `${de.url}ticket?${q({ ticket: 'none', next: 'https://shop.example.de/cart' })}`);
  });

  test('/relay/ticket: a receiver asks for a ticket of the live session, which goes to its configured URL and then to url', async () => {
    const { journey } = await setCookie();
    const before = de.tickets.length;
    const reply = await relayRequest(ts.relayPort, {
      path: `/relay/ticket?${q({ receiver: 'a-de', url: 'https://example.de/account' })}`,
      cookie: journey.cookie ?? '',
    });
    const location = new URL(reply.headers.location ?? '');
    assert.equal(`${location.origin}${location.pathname}`, `${de.url}ticket`);
    assert.equal(location.searchParams.get('next'), 'https://example.de/account');
    const done = await browse(browser, `/relay/ticket?${q({ receiver: 'a-de', url: 'https://example.de/account' })}`, journey.cookie);
    assert.equal(done.final, 'https://example.de/account');
    assert.equal(de.tickets.length, before + 1);
  });

  test('E35: a ticket only ever goes to the configured receiver URL: a url outside its domain, an unknown receiver, a bad query get a 400 page', async () => {
    const { journey } = await setCookie();
    const cookie = journey.cookie ?? '';
    const refused = [
      [{ receiver: 'a-de', url: 'https://evil.example/steal' }, 'outsideReceiver'],
      [{ receiver: 'a-de', url: 'https://example.de.evil.example/' }, 'outsideReceiver'],
      [{ receiver: 'a-de', url: 'https://notexample.de/' }, 'outsideReceiver'],
      [{ receiver: 'a-de', url: 'http://example.de/' }, 'outsideReceiver'],
      [{ receiver: 'a-de', url: 'https://user@example.de/' }, 'outsideReceiver'],
      [{ receiver: 'a-de', url: 'https://example.fr/' }, 'outsideReceiver'],
      [{ receiver: 'nobody', url: 'https://example.de/' }, 'unknownReceiver'],
      [{ receiver: 'A-DE', url: 'https://example.de/' }, 'unknownReceiver'],
      [{ url: 'https://example.de/' }, 'badQuery'],
    ] as const;
    for (const [params, outcome] of refused) {
      const reply = await relayRequest(ts.relayPort, { path: `/relay/ticket?${q(params)}`, cookie });
      assert.equal(reply.status, 400, JSON.stringify(params));
      assert.equal(reply.headers.location, undefined);
      assert.match(reply.body, /This link does not work/);
      assert.equal(ts.logRecords().findLast((r) => r['command'] === 'ticket')?.['outcome'], outcome);
    }
    const german = await relayRequest(ts.relayPort, {
      path: `/relay/ticket?${q({ receiver: 'nobody', url: 'https://example.de/' })}`,
      headers: { 'Accept-Language': 'de' },
    });
    assert.match(german.body, /Anmeldeticket/);
  });

  test('E35: /relay/next sends nowhere but a registered application (or the pass-through page), and takes only a receiver name in after', async () => {
    const { journey } = await setCookie();
    const refused: Record<string, string>[] = [
      { after: 'a-de', url: 'https://evil.example/' },
      { after: 'a-de', url: 'https://panel.example.com:8444/' },
      { after: 'A DE', url: PANEL },
      { after: 'a-de', url: PANEL, session: 'yes' },
      { url: PANEL },
    ];
    for (const params of refused) {
      const reply = await relayRequest(ts.relayPort, { path: `/relay/next?${q(params)}`, cookie: journey.cookie ?? '' });
      assert.equal(reply.status, 400, JSON.stringify(params));
      assert.equal(reply.headers.location, undefined);
    }
  });

  test('logout: closeSession through SOAP sends each receiver a logout token with the ended session as sid and its domain as aud', async () => {
    const { journey, sessionId, userId } = await setCookie();
    const sid = de.tickets.at(-1)?.['sid'];
    assert.ok(journey.final);
    await call(ts, 'closeSession', { sessionId });
    for (const receiver of [de, fr]) {
      const token = await eventually(() => receiver.logouts.find((claims) => claims['sid'] === sid) ?? null, {
        timeoutMs: 10_000,
        what: `the logout token at ${receiver.domain}`,
      });
      assert.equal(token.sub, userId);
      assert.equal(token.aud, receiver.domain);
      assert.equal(token['domain'], receiver.domain);
    }
  });

  test('logout: a receiver that answers 503 gets the token again; one that stays down does not hold up the other, and is audited', async () => {
    const { sessionId } = await setCookie();
    const sid = de.tickets.at(-1)?.['sid'];
    de.answerLogouts([503]);
    fr.answerLogouts([500, 500, 500]);
    const frPosts = fr.logoutPosts();
    await call(ts, 'closeSession', { sessionId });
    await eventually(() => de.logouts.some((claims) => claims['sid'] === sid), { timeoutMs: 10_000, what: 'the second try at example.de' });
    const failed = await eventually(
      async () =>
        (await ts.server.services.store.queryAudit({ type: 'receiver.logoutFailed', target: 'receiver:b-fr', limit: 10 }))[0] ?? null,
      { timeoutMs: 20_000, what: 'the audit record of the receiver that stayed down' },
    );
    assert.equal(failed.outcome, 'notDelivered');
    assert.equal(failed.detail['sid'], sid);
    assert.equal(failed.detail['tries'], 3);
    assert.equal(failed.detail['reason'], 'HTTP 500');
    assert.equal(fr.logoutPosts(), frPosts + 3);
  });

  test('logout: deleting an application group sends each receiver a logout token for each session of the group, by its sid', async () => {
    const services = ts.server.services;
    await createGroup(services, 'tickets', defined(await services.store.getApplication(panel.id), 'panel'));
    // Two sessions of the group (authenticate by panel, its provider), each through both receivers.
    const sessions: { sid: unknown; userId: string }[] = [];
    for (let i = 0; i < 2; i += 1) {
      const reply = await call(
        ts,
        'authenticate',
        { login: 'alice', password: 'wonderland', baseUrl: PANEL },
        { credentials: panel.credentials },
      );
      assert.equal(reply.fault, undefined, reply.body);
      const journey = await browse(browser, `/relay?${q({ token: reply.field('relayToken') ?? '', url: `${PANEL}home` })}`);
      assert.ok(journey.final.startsWith(PANEL), journey.locations.join(' → '));
      sessions.push({ sid: de.tickets.at(-1)?.['sid'], userId: reply.field('userId') ?? '' });
    }
    assert.notEqual(sessions[0]?.sid, sessions[1]?.sid);

    assert.deepEqual(await deleteGroup(services, 'tickets', false), { deleted: true, sessions: 2, members: 1 });
    for (const receiver of [de, fr])
      for (const { sid, userId } of sessions) {
        const token = await eventually(() => receiver.logouts.find((claims) => claims['sid'] === sid) ?? null, {
          timeoutMs: 10_000,
          what: `the logout token of session ${String(sid)} at ${receiver.domain}`,
        });
        assert.equal(token.sub, userId);
        assert.equal(token.aud, receiver.domain);
      }
  });
});

describe('logon tickets: no receiver configured', () => {
  test('the relay answers as it always did: set-cookie straight to url, and /relay/next goes to url', async () => {
    const ts = await startTestServer();
    try {
      const panel = await registerApp(ts, PANEL, 'panel');
      await call(ts, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: panel.credentials });
      const token = (await call(ts, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: PANEL })).field('relayToken') ?? '';
      const reply = await relayRequest(ts.relayPort, { path: `/relay?${new URLSearchParams({ token, url: `${PANEL}home` }).toString()}` });
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, `${PANEL}home`);
      const cookie = (reply.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
      const next = await relayRequest(ts.relayPort, { path: `/relay/next?after=a&url=${encodeURIComponent(PANEL)}&session=1`, cookie });
      assert.match(next.headers.location ?? '', /^https:\/\/panel\.example\.com:8443\/\?ssosid=https/);
    } finally {
      await ts.close();
    }
  });
});

describe('logon tickets: no key can sign', () => {
  test('every key revoked behind the operator command: the sign-in still lands on url, without a ticket, and the log says what to do', async () => {
    const ts = await startTestServer();
    try {
      const services = ts.server.services;
      await addReceiver(services, { name: 'a-de', domain: 'example.de', url: 'https://apps.example.de/.ssod/' });
      // `ssod tickets revoke` refuses to withdraw the signing key with no successor; the keyring itself does not.
      for (const key of await services.tickets.keys()) await services.tickets.revokeKey(key.kid, services.now());
      const panel = await registerApp(ts, PANEL, 'panel');
      await call(ts, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: panel.credentials });
      const token = (await call(ts, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: PANEL })).field('relayToken') ?? '';
      const reply = await relayRequest(ts.relayPort, { path: `/relay?${new URLSearchParams({ token, url: `${PANEL}home` }).toString()}` });
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, `${PANEL}home`, 'on to url: no receiver gets a ticket');
      const logged = ts.logRecords().find((r) => r['msg'] === 'no logon ticket issued');
      assert.equal(logged?.['receiver'], 'a-de');
      assert.match(String(logged['error']), /ssod tickets rotate --now/);
    } finally {
      await ts.close();
    }
  });
});
