// On Session Start callbacks (docs/groups.md "On Session Start callbacks"), end to end over real TLS:
// a running ssod, real HTTPS callback endpoints (a test CA's certificate), sign-ins through
// authenticate and the relay. The order, exactly once per (session, application), the signature
// checked by the SDK with the published key set, and every way an endpoint can fail (the connect
// timeout included) under both policies.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { localTicketKeys, sessionStartAnswer, verifySessionStartCallback, type SessionStartRequest } from '../../src/client/index.js';
import { declareSessionVariable } from '../../src/core/sessionVariables.js';
import { ticketIssuer } from '../../src/core/tickets.js';
import { startCallbackEndpoint, type Behaviour, type CallbackEndpoint } from '../helpers/callbackEndpoint.js';
import { call, registerApp, relayGet, SSOX_NS, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { openTestCa } from '../helpers/testCa.js';
import { pairOf, relayRequest, setCookieNamed } from '../adapters/relay/request.js';

let ts: TestServer;
let endpoint: CallbackEndpoint;

/** The paths the callback endpoint received since it had received `before` requests, in order. */
const pathsSince = (before: number): string[] =>
  endpoint
    .received()
    .slice(before)
    .map((received) => received.path);
let appCount = 0;

before(async () => {
  const ca = await openTestCa();
  ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 }, { sessionStartCaPem: ca.caPem });
  endpoint = await startCallbackEndpoint(ca.server);
});

after(async () => {
  await endpoint.close();
  await ts.close();
});

/** A new application at its own url, with its callback at `endpoint.url(name)` answering as told. */
async function appWithCallback(
  name: string,
  policy: 'continue' | 'fail' | null,
  behaviour: Behaviour = { kind: 'ok' },
): Promise<RegisteredApp> {
  appCount += 1;
  const app = await registerApp(ts, `https://${name}-${appCount}.example.com/`, `${name}-${appCount}`);
  if (policy !== null) {
    endpoint.answer(`${name}-${appCount}`, behaviour);
    const set = await call(
      ts,
      'setSessionStartCallback',
      { url: endpoint.url(`${name}-${appCount}`), policy },
      {
        credentials: app.credentials,
        namespace: SSOX_NS,
      },
    );
    assert.equal(set.fault, undefined, set.body);
  }
  return app;
}

const pathOf = (app: RegisteredApp): string => new URL(app.url).hostname.split('.')[0] ?? '';

async function userOf(owner: RegisteredApp, login: string): Promise<void> {
  const created = await call(ts, 'createUser', { login, password: 'secret-pw' }, { credentials: owner.credentials });
  assert.equal(created.fault, undefined, created.body);
}

/** authenticate with the app's baseUrl, then the relay's set-cookie: the browser's cookie, or the fault. */
async function signIn(app: RegisteredApp, login: string): Promise<{ readonly cookie: string } | { readonly fault: string }> {
  const reply = await call(ts, 'authenticate', { login, password: 'secret-pw', baseUrl: app.url }, { credentials: app.credentials });
  if (reply.fault !== undefined) return { fault: reply.fault };
  const token = reply.field('relayToken') ?? '';
  const set = await relayGet(ts, `token=${token}&url=${encodeURIComponent(app.url)}`);
  const cookie = (set.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
  assert.ok(cookie.startsWith('sid='), `a relay cookie: ${JSON.stringify(set.headers)}`);
  return { cookie };
}

/** The relay's get-session for the app: its ssosid, or `none`. */
async function visit(app: RegisteredApp, cookie: string): Promise<string> {
  const reply = await relayGet(ts, `url=${encodeURIComponent(app.url)}`, cookie);
  assert.equal(reply.status, 302);
  return new URL(reply.headers.location ?? '').searchParams.get('ssosid') ?? '';
}

function keySet(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: ts.relayPort, path: '/tickets/keys', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      })
      .on('error', reject);
  });
}

/** The request the app's endpoint received, verified by the SDK with the published keys. */
async function verified(app: RegisteredApp, index = 0): Promise<SessionStartRequest> {
  const received = endpoint.receivedOn(pathOf(app))[index];
  assert.ok(received !== undefined, `the callback of ${pathOf(app)} was called`);
  assert.equal(received.contentType, 'application/jwt');
  return verifySessionStartCallback(received.body, localTicketKeys(await keySet()), {
    url: endpoint.url(pathOf(app)),
    issuer: ticketIssuer(ts.server.services),
    applicationId: app.id,
  });
}

async function auditOf(type: string, app: RegisteredApp): Promise<{ outcome: string; detail: Record<string, unknown> }[]> {
  const records = await ts.server.services.store.queryAudit({ type, target: `application:${app.id}`, limit: 50 });
  return records.map((record) => ({ outcome: record.outcome, detail: record.detail }));
}

describe('On Session Start callbacks', () => {
  test('callbacks: order with three members (provider, starting application, subscriber at its first visit)', async () => {
    const provider = await appWithCallback('provider', 'fail');
    const starting = await appWithCallback('subscriber', 'fail');
    const member = await appWithCallback('visitor', 'fail');
    await userOf(provider, 'group-user');
    const now = Date.now();
    const name = `group-${appCount}`;
    const store = ts.server.services.store;
    assert.ok(await store.apply([{ write: 'insertGroup', group: { name, providerId: provider.id, createdAt: now }, required: true }]));
    for (const app of [starting, member]) {
      const joined = { applicationId: app.id, groupName: name, role: 'subscriber' as const, joinedAt: now };
      assert.ok(await store.apply([{ write: 'insertGroupMember', member: joined, required: true }]));
    }
    const before = endpoint.received().length;
    const signedIn = await signIn(starting, 'group-user');
    assert.ok('cookie' in signedIn);
    assert.deepEqual(
      pathsSince(before),
      [pathOf(provider), pathOf(starting)],
      "the provider's callback, then the starting application's, before authenticate answered",
    );
    assert.notEqual(await visit(member, signedIn.cookie), 'none');
    assert.notEqual(await visit(provider, signedIn.cookie), 'none');
    assert.deepEqual(
      pathsSince(before),
      [pathOf(provider), pathOf(starting), pathOf(member)],
      "the subscriber at its first visit; the provider's first visit calls it no more",
    );
    const [first, second, third] = [await verified(provider), await verified(starting), await verified(member)];
    assert.deepEqual([first.order, second.order, third.order], ['provider', 'starting', 'firstVisit']);
    for (const request of [first, second, third]) {
      assert.equal(request.group, name);
      assert.equal(request.startedFor, starting.id);
      assert.equal(request.sessionHandle, first.sessionHandle);
    }
  });

  test('callbacks: an ungrouped session: the starting application, then each member at its first visit, signed with the published keys; H55: another aud is refused', async () => {
    const starting = await appWithCallback('start', 'continue');
    const member = await appWithCallback('member', 'fail');
    const third = await appWithCallback('third', 'continue');
    await userOf(starting, 'order-user');
    const before = endpoint.received().length;

    const signedIn = await signIn(starting, 'order-user');
    assert.ok('cookie' in signedIn);
    assert.deepEqual(pathsSince(before), [pathOf(starting)], 'only the starting application, before authenticate answered');
    assert.notEqual(await visit(third, signedIn.cookie), 'none');
    assert.notEqual(await visit(member, signedIn.cookie), 'none');
    assert.deepEqual(
      pathsSince(before),
      [pathOf(starting), pathOf(third), pathOf(member)],
      'each member before the relay answered its first visit',
    );

    const first = await verified(starting);
    assert.equal(first.order, 'starting');
    assert.equal(first.startedFor, starting.id);
    assert.equal(first.login, 'order-user');
    assert.equal(first.group, null);
    const visitor = await verified(member);
    assert.equal(visitor.order, 'firstVisit');
    assert.equal(visitor.startedFor, starting.id);
    assert.equal(visitor.sessionHandle, first.sessionHandle, 'one global session');
    assert.equal(visitor.userId, first.userId);
    assert.notEqual(visitor.requestId, first.requestId);
    assert.equal((await verified(third)).order, 'firstVisit');

    // The signature is bound to the callback URL: another URL (aud) is refused.
    const received = endpoint.receivedOn(pathOf(member))[0];
    await assert.rejects(
      verifySessionStartCallback(received?.body ?? '', localTicketKeys(await keySet()), { url: endpoint.url(pathOf(third)) }),
      (error: Error & { code?: string }) => error.code === 'domain',
    );
  });

  test('callbacks: exactly once on repeated visits; a new session calls again', async () => {
    const starting = await appWithCallback('again', 'continue');
    const member = await appWithCallback('againmember', 'continue');
    await userOf(starting, 'again-user');
    const signedIn = await signIn(starting, 'again-user');
    assert.ok('cookie' in signedIn);
    const ssosid = await visit(member, signedIn.cookie);
    assert.equal(await visit(member, signedIn.cookie), ssosid, 'the same local session');
    assert.equal(await visit(starting, signedIn.cookie), await visit(starting, signedIn.cookie));
    assert.equal(endpoint.receivedOn(pathOf(starting)).length, 1);
    assert.equal(endpoint.receivedOn(pathOf(member)).length, 1);

    const second = await signIn(starting, 'again-user');
    assert.ok('cookie' in second);
    await visit(member, second.cookie);
    assert.equal(endpoint.receivedOn(pathOf(starting)).length, 2);
    assert.equal(endpoint.receivedOn(pathOf(member)).length, 2);
    assert.notEqual((await verified(member, 1)).sessionHandle, (await verified(member, 0)).sessionHandle);
  });

  test("callbacks: ssod's sign-in page calls the application behind the return url before it answers; under fail a refusal shows the sign-in error", async () => {
    const sameOrigin = { 'Sec-Fetch-Site': 'same-origin', Origin: 'null' };
    const signInOnPage = async (app: RegisteredApp, login: string) => {
      const url = `${app.url}home`;
      const page = await relayRequest(ts.relayPort, { path: `/login?${new URLSearchParams({ url }).toString()}` });
      const csrf = /name="csrf" value="([^"]*)"/.exec(page.body)?.[1] ?? '';
      const cookie = pairOf(setCookieNamed(page, 'ssod-login'));
      return relayRequest(ts.relayPort, {
        method: 'POST',
        path: '/login',
        cookie,
        form: { login, password: 'secret-pw', url, csrf },
        headers: sameOrigin,
      });
    };
    const welcoming = await appWithCallback('page', 'fail');
    await userOf(welcoming, 'page-user');
    const signedIn = await signInOnPage(welcoming, 'page-user');
    assert.equal(signedIn.status, 302);
    assert.notEqual(new URL(signedIn.headers.location ?? '').searchParams.get('ssosid'), 'none');
    assert.equal(endpoint.receivedOn(pathOf(welcoming)).length, 1, 'called once: at the start, not again for its ssosid');
    assert.equal((await verified(welcoming)).order, 'starting');

    const refusing = await appWithCallback('pagefail', 'fail', { kind: 'status', status: 500 });
    const refused = await signInOnPage(refusing, 'page-user');
    assert.equal(refused.status, 200, 'the form again, with the sign-in error');
    assert.equal(setCookieNamed(refused, 'sid'), undefined, 'no session cookie');
    assert.equal((await auditOf('session.startCallbackFailed', refusing))[0]?.outcome, 'refused');
  });

  test("callbacks: the reply's variables are set as the called application's initial values; an unknown or too long one is a failure", async () => {
    const starting = await appWithCallback('vars', 'continue', { kind: 'ok', variables: { plan: 'gold' } });
    const member = await appWithCallback('varsmember', 'continue', { kind: 'ok', variables: { plan: 'platinum' } });
    const unknown = await appWithCallback('varsunknown', 'continue', { kind: 'ok', variables: { nothing: 'x' } });
    for (const app of [starting, member, unknown]) {
      await declareSessionVariable(ts.server.services, app.id, {
        name: 'plan',
        defaultValue: 'free',
        maxLength: 6,
        readable: true,
        writable: false,
      });
    }
    await userOf(starting, 'vars-user');
    const signedIn = await signIn(starting, 'vars-user');
    assert.ok('cookie' in signedIn);
    await visit(member, signedIn.cookie);
    await visit(unknown, signedIn.cookie);
    const sid = (await verified(starting)).sessionHandle;
    const store = ts.server.services.store;
    assert.deepEqual(await store.getSessionVariableValue(sid, starting.id, 'plan'), {
      owner: starting.id,
      name: 'plan',
      value: 'gold',
      version: 1,
    });
    assert.equal(await store.getSessionVariableValue(sid, member.id, 'plan'), null, 'platinum is longer than maxLength 6: nothing set');
    assert.match(String((await auditOf('session.startCallbackFailed', member))[0]?.detail.reason), /maxLength|longer|6/);
    assert.match(String((await auditOf('session.startCallbackFailed', unknown))[0]?.detail.reason), /nothing is not a declared/);
  });

  test('callbacks: the reply built by sessionStartAnswer is accepted; a registration is read back and removed', async () => {
    const app = await appWithCallback('answer', 'fail');
    const read = await call(ts, 'getSessionStartCallback', {}, { credentials: app.credentials, namespace: SSOX_NS });
    assert.equal(read.field('url'), endpoint.url(pathOf(app)));
    assert.equal(read.field('policy'), 'fail');
    const answer = sessionStartAnswer();
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { variables: {} });
    await userOf(app, 'answer-user');
    assert.ok('cookie' in (await signIn(app, 'answer-user')), 'an endpoint that answers {"variables":{}} lets the sign-in complete');

    const removed = await call(ts, 'setSessionStartCallback', { url: '' }, { credentials: app.credentials, namespace: SSOX_NS });
    assert.equal(removed.fault, undefined);
    const after = await call(ts, 'getSessionStartCallback', {}, { credentials: app.credentials, namespace: SSOX_NS });
    assert.equal(after.field('url'), '');
    assert.ok('cookie' in (await signIn(app, 'answer-user')));
    assert.equal(endpoint.receivedOn(pathOf(app)).length, 1, 'no call once removed');
  });

  test('callbacks: a registration that is not an https URL or a policy is invalidParameter', async () => {
    const app = await appWithCallback('invalid', null);
    for (const [url, policy] of [
      ['http://127.0.0.1/cb', 'continue'],
      ['not a url', 'continue'],
      ['https://user:pw@127.0.0.1/cb', 'continue'],
      ['https://127.0.0.1/cb#part', 'continue'],
      ['https://127.0.0.1/cb', 'sometimes'],
    ] as const) {
      const reply = await call(ts, 'setSessionStartCallback', { url, policy }, { credentials: app.credentials, namespace: SSOX_NS });
      assert.equal(reply.fault, 'invalidParameter', `${url} ${policy}`);
    }
    const guest = await call(ts, 'setSessionStartCallback', { url: 'https://127.0.0.1/cb', policy: 'continue' }, { namespace: SSOX_NS });
    assert.notEqual(guest.fault, undefined, 'a guest registers nothing');
  });

  const failures: readonly { name: string; behaviour: Behaviour; reason: RegExp }[] = [
    { name: 'a failing endpoint (500)', behaviour: { kind: 'status', status: 500 }, reason: /HTTP 500/ },
    { name: 'a slow endpoint (timeout)', behaviour: { kind: 'hold' }, reason: /no complete reply within 5000 ms/ },
    { name: 'a hostile endpoint (huge reply)', behaviour: { kind: 'huge', bytes: 20_000 }, reason: /over 16384 bytes/ },
    { name: 'a hostile endpoint (redirect)', behaviour: { kind: 'redirect' }, reason: /redirect refused \(HTTP 302\)/ },
    { name: 'a hostile endpoint (invalid JSON)', behaviour: { kind: 'invalidJson' }, reason: /not valid JSON/ },
  ];

  for (const failure of failures) {
    test(`H55: callbacks: ${failure.name} under the policy continue: the session goes on, the failure is audited`, async () => {
      const starting = await appWithCallback('cont', 'continue', failure.behaviour);
      const member = await appWithCallback('contmember', 'continue', failure.behaviour);
      await userOf(starting, `cont-${appCount}`);
      const signedIn = await signIn(starting, `cont-${appCount}`);
      assert.ok('cookie' in signedIn, 'the sign-in completes');
      assert.notEqual(await visit(member, signedIn.cookie), 'none', 'the member is in the session');
      for (const app of [starting, member]) {
        const [audited] = await auditOf('session.startCallbackFailed', app);
        assert.equal(audited?.outcome, 'failed');
        assert.match(String(audited.detail.reason), failure.reason);
        assert.equal(audited.detail.policy, 'continue');
      }
      endpoint.release();
    });

    test(`H55: callbacks: ${failure.name} under the policy fail: the sign-in fails, a first-visit member stays out`, async () => {
      const starting = await appWithCallback('failstart', 'fail', failure.behaviour);
      await userOf(starting, `fail-${appCount}`);
      const refused = await signIn(starting, `fail-${appCount}`);
      assert.deepEqual(refused, { fault: 'permissionDenied' });
      const [ended] = await ts.server.services.store.queryAudit({ type: 'session.ended', limit: 1 });
      assert.equal((ended?.detail as Record<string, unknown> | undefined)?.reason, 'startCallbackFailed');
      const [audited] = await auditOf('session.startCallbackFailed', starting);
      assert.equal(audited?.outcome, 'refused');
      assert.match(String(audited.detail.reason), failure.reason);
      endpoint.release();

      const host = await appWithCallback('failhost', 'continue');
      const member = await appWithCallback('failmember', 'fail', failure.behaviour);
      const other = await appWithCallback('failother', null);
      await userOf(host, `failhost-${appCount}`);
      const signedIn = await signIn(host, `failhost-${appCount}`);
      assert.ok('cookie' in signedIn);
      assert.equal(await visit(member, signedIn.cookie), 'none', 'kept out at its first visit');
      endpoint.release();
      assert.equal(await visit(member, signedIn.cookie), 'none', 'and at every later one, without a new call');
      assert.equal(endpoint.receivedOn(pathOf(member)).length, 1);
      assert.notEqual(await visit(other, signedIn.cookie), 'none', 'the others go on');
      assert.notEqual(await visit(host, signedIn.cookie), 'none');
    });
  }
  test('H55: callbacks: an endpoint that never completes the TLS handshake fails at the connect timeout, under continue and under fail', async () => {
    // A network that accepts the connection and passes nothing on: TCP connects, TLS never does.
    const stalled = await startTcpProxy('127.0.0.1', endpoint.port);
    stalled.pause();
    try {
      const register = async (name: string, policy: 'continue' | 'fail'): Promise<RegisteredApp> => {
        appCount += 1;
        const app = await registerApp(ts, `https://${name}-${appCount}.example.com/`, `${name}-${appCount}`);
        const url = `https://127.0.0.1:${stalled.port}/${name}-${appCount}`;
        const set = await call(ts, 'setSessionStartCallback', { url, policy }, { credentials: app.credentials, namespace: SSOX_NS });
        assert.equal(set.fault, undefined, set.body);
        return app;
      };
      const going = await register('stallcont', 'continue');
      await userOf(going, `stallcont-${appCount}`);
      assert.ok('cookie' in (await signIn(going, `stallcont-${appCount}`)), 'continue: the sign-in completes');
      const [failed] = await auditOf('session.startCallbackFailed', going);
      assert.equal(failed?.outcome, 'failed');
      assert.match(String(failed.detail.reason), /no TLS connection within 3000 ms/);

      const refusing = await register('stallfail', 'fail');
      await userOf(refusing, `stallfail-${appCount}`);
      assert.deepEqual(await signIn(refusing, `stallfail-${appCount}`), { fault: 'permissionDenied' }, 'fail: the sign-in fails');
      const [refused] = await auditOf('session.startCallbackFailed', refusing);
      assert.equal(refused?.outcome, 'refused');
      assert.match(String(refused.detail.reason), /no TLS connection within 3000 ms/);
    } finally {
      await stalled.close();
    }
  });
});
