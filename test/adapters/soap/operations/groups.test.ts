// Application groups (docs/groups.md "The rules on users and sessions") through the real TLS API and
// the relay: users and sessions stay within their set, only the provider creates users in a group,
// and the operator's membership changes end the sessions that would span two sets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addGroupMember, createGroup, deleteGroup, removeGroupMember } from '../../../../src/core/operator/groups.js';
import type { ApplicationRecord } from '../../../../src/core/store/index.js';
import { defined } from '../../../helpers/defined.js';
import { call, registerApp, relayGet, startTestServer, type RegisteredApp, type TestServer } from '../../../helpers/server.js';
import { pairOf, relayRequest, setCookieNamed } from '../../relay/request.js';

const PASSWORD = 'wonderland';
const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
const cookieOf = (setCookie: string[] | undefined) => (setCookie?.[0] ?? '').split(';', 1)[0] ?? '';
const ssosidOf = (location: string | undefined) => new URL(location ?? '').searchParams.get('ssosid') ?? '';

describe('application groups', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 });
  });
  after(() => ts.close());

  const services = () => ts.server.services;
  const record = async (app: RegisteredApp): Promise<ApplicationRecord> =>
    defined(await services().store.getApplication(app.id), 'the application');
  const app = (name: string) => registerApp(ts, `https://${name}.example.com:443/`, name);
  const createUser = async (owner: RegisteredApp, login: string) =>
    (await call(ts, 'createUser', { login, password: PASSWORD }, { credentials: owner.credentials })).field('userId') ?? '';
  /** A session started by `caller` for itself, bound to a browser cookie through the relay. */
  const signIn = async (caller: RegisteredApp, login: string) => {
    const reply = await call(ts, 'authenticate', { login, password: PASSWORD, baseUrl: caller.url }, { credentials: caller.credentials });
    const token = defined(reply.field('relayToken'), `a relay token: ${reply.body}`);
    const cookie = cookieOf((await relayGet(ts, q({ token, url: caller.url }))).headers['set-cookie']);
    return { sessionId: reply.field('sessionId') ?? '', cookie };
  };
  const relayFor = async (target: RegisteredApp, cookie: string) =>
    ssosidOf((await relayGet(ts, q({ url: target.url }), cookie)).headers.location);
  const verify = (sessionId: string, by?: RegisteredApp) =>
    call(ts, 'verifySession', { sessionId }, by === undefined ? {} : { credentials: by.credentials });

  /** A group `name` with a provider (owning one user) and one subscriber, and an ungrouped application with a user. */
  const seedGroup = async (name: string) => {
    const provider = await app(`${name}-accounts`);
    const subscriber = await app(`${name}-shop`);
    const outsider = await app(`${name}-blog`);
    const member = `${name}-alice@example.com`;
    const stranger = `${name}-bob@example.com`;
    const memberId = await createUser(provider, member);
    const strangerId = await createUser(outsider, stranger);
    await createGroup(services(), name, await record(provider));
    await addGroupMember(services(), name, await record(subscriber));
    return { provider, subscriber, outsider, member, memberId, stranger, strangerId };
  };

  test('groups: sessions do not cross groups', async () => {
    const g = await seedGroup('sessions');
    const inGroup = await signIn(g.provider, g.member);
    assert.equal((await verify(inGroup.sessionId, g.provider)).field('userId'), g.memberId);
    // The subscriber reaches the group's session through the relay, and verifies it.
    const forShop = await relayFor(g.subscriber, inGroup.cookie);
    assert.ok(forShop.startsWith(g.subscriber.url), forShop);
    assert.equal((await verify(forShop, g.subscriber)).field('userId'), g.memberId);
    // Outside the group: the relay gives none, and neither an ungrouped application nor a guest sees it.
    assert.equal(await relayFor(g.outsider, inGroup.cookie), 'none');
    assert.equal((await verify(forShop)).fault, 'noSuchSession');
    // closeSession answers alike whether there was a session (protocol §5.19): what counts is that none ended.
    await call(ts, 'closeSession', { sessionId: forShop });
    await call(ts, 'closeSession', { sessionId: forShop }, { credentials: g.outsider.credentials });
    assert.equal((await verify(forShop, g.subscriber)).field('userId'), g.memberId, 'a close from outside the set ends nothing');

    // An ungrouped session is not the group's either way.
    const outside = await signIn(g.outsider, g.stranger);
    assert.equal(await relayFor(g.subscriber, outside.cookie), 'none');
    assert.equal(await relayFor(g.provider, outside.cookie), 'none');
    assert.equal((await verify(outside.sessionId)).field('userId'), g.strangerId, 'a guest still verifies an ungrouped session');

    // A user of the group cannot sign in through an application of another set, as if unknown.
    const foreign = await call(ts, 'authenticate', { login: g.member, password: PASSWORD }, { credentials: g.outsider.credentials });
    const unknown = await call(
      ts,
      'authenticate',
      { login: 'nobody@example.com', password: PASSWORD },
      { credentials: g.outsider.credentials },
    );
    assert.equal(foreign.fault, unknown.fault);
    assert.equal(foreign.fault, 'invalidCredentials');
    assert.equal(
      (await call(ts, 'authenticate', { login: g.stranger, password: PASSWORD }, { credentials: g.subscriber.credentials })).fault,
      'invalidCredentials',
    );
    // The session records the set it started in.
    const started = defined(
      await services().store.findSessionByLocalId((await import('../../../../src/core/sessions.js')).sha256Hex(inGroup.sessionId)),
      'the session',
    );
    assert.equal(started.global.groupName, 'sessions');
  });

  test("groups: a subscriber cannot create or change the provider's users, and users are seen (and listed) only within their set", async () => {
    const g = await seedGroup('users');
    const as = (who: RegisteredApp) => ({ credentials: who.credentials });
    assert.equal(
      (await call(ts, 'createUser', { login: 'users-carol@example.com', password: PASSWORD }, as(g.subscriber))).fault,
      'permissionDenied',
    );
    assert.equal(
      (await call(ts, 'changeLogin', { userId: g.memberId, login: 'users-mallory@example.com' }, as(g.subscriber))).fault,
      'permissionDenied',
    );
    assert.equal((await call(ts, 'deleteUser', { userId: g.memberId }, as(g.subscriber))).fault, 'permissionDenied');
    assert.equal(
      (await call(ts, 'changePassword', { userId: g.memberId, newPassword: 'mallory-was-here' }, as(g.subscriber))).fault,
      'permissionDenied',
    );
    assert.equal(
      (await call(ts, 'duplicateUser', { userId: g.memberId, login: 'users-copy@example.com' }, as(g.subscriber))).fault,
      'permissionDenied',
    );
    // The provider still creates users; a subscriber sees them, an outsider does not.
    const daveId = await createUser(g.provider, 'users-dave@example.com');
    assert.notEqual(daveId, '');
    assert.equal((await call(ts, 'getUser', { userId: g.memberId }, as(g.subscriber))).field('login'), g.member);
    assert.equal((await call(ts, 'getUserId', { login: g.member }, as(g.subscriber))).field('userId'), g.memberId);
    assert.equal((await call(ts, 'getUser', { userId: g.memberId }, as(g.outsider))).fault, 'noSuchUser');
    assert.equal((await call(ts, 'getUserId', { login: g.member }, as(g.outsider))).fault, 'noSuchUser');
    assert.equal((await call(ts, 'getChangePasswordUrl', { userId: g.memberId }, as(g.outsider))).fault, 'noSuchUser');
    assert.equal((await call(ts, 'getRestorePasswordUrl', { login: g.member }, as(g.outsider))).fault, 'noSuchUser');
    assert.equal((await call(ts, 'getUser', { userId: g.strangerId }, as(g.provider))).fault, 'noSuchUser');
    assert.equal((await call(ts, 'getUserId', { login: g.stranger }, as(g.subscriber))).fault, 'noSuchUser');
    // No user passes into the group but from its provider, and none to a subscriber.
    assert.equal(
      (await call(ts, 'transferOwnership', { userId: g.strangerId, applicationId: g.provider.id }, as(g.outsider))).fault,
      'permissionDenied',
    );
    assert.equal(
      (await call(ts, 'transferOwnership', { userId: g.strangerId, applicationId: g.subscriber.id }, as(g.outsider))).fault,
      'permissionDenied',
    );
    assert.equal(
      (await call(ts, 'transferOwnership', { userId: g.memberId, applicationId: g.subscriber.id }, as(g.provider))).fault,
      'permissionDenied',
    );
    // listUsers: a subscriber, which owns no users, lists those of its group (its provider's); an outsider only its own.
    const listed = async (who: RegisteredApp) => (await call(ts, 'listUsers', {}, as(who))).all('a').sort();
    const groupUsers = [g.memberId, daveId].sort();
    assert.deepEqual(await listed(g.provider), groupUsers);
    assert.deepEqual(await listed(g.subscriber), groupUsers);
    assert.deepEqual(await listed(g.outsider), [g.strangerId]);
    // A provider is not unregistered while its group exists.
    assert.equal((await call(ts, 'unregisterApplication', { applicationId: g.provider.id }, as(g.provider))).fault, 'permissionDenied');
  });

  test('groups: the sign-in page starts a session in the set of the application behind the url, only for a user of it', async () => {
    const g = await seedGroup('page');
    const request = (r: Parameters<typeof relayRequest>[1]) => relayRequest(ts.relayPort, r);
    const signInAt = async (target: RegisteredApp, login: string) => {
      const url = `${target.url}home`;
      const page = await request({ path: `/login?${q({ url })}` });
      const form = pairOf(setCookieNamed(page, 'ssod-login'));
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      return request({
        method: 'POST',
        path: '/login',
        cookie: form,
        form: { login, password: PASSWORD, url, csrf },
        headers: { 'Sec-Fetch-Site': 'same-origin', Origin: 'null' },
      });
    };
    const signedIn = await signInAt(g.subscriber, g.member);
    assert.equal(signedIn.status, 302, signedIn.body);
    const sessionId = ssosidOf(signedIn.headers.location);
    assert.ok(sessionId.startsWith(g.subscriber.url), sessionId);
    assert.equal((await verify(sessionId, g.subscriber)).field('userId'), g.memberId);
    const cookie = pairOf(setCookieNamed(signedIn, 'sid'));
    assert.equal(await relayFor(g.outsider, cookie), 'none');
    // A user of another set fails as an unknown one: the form again.
    for (const [target, login] of [
      [g.subscriber, g.stranger],
      [g.outsider, g.member],
    ] as const) {
      const refused = await signInAt(target, login);
      assert.equal(refused.status, 200, `${login} at ${target.url}`);
      assert.equal(setCookieNamed(refused, 'sid'), undefined);
    }
    const ungrouped = await signInAt(g.outsider, g.stranger);
    assert.equal(ungrouped.status, 302);
    assert.equal((await verify(ssosidOf(ungrouped.headers.location), g.outsider)).field('userId'), g.strangerId);
  });

  test('groups: membership changes end the right sessions, and a joining subscriber hands its users to the provider', async () => {
    const g = await seedGroup('changes');
    const forum = await app('changes-forum');
    const carolId = await createUser(forum, 'changes-carol@example.com');
    // Before it joins: forum has a local session in an ungrouped session, beside the outsider's.
    const ungrouped = await signIn(g.outsider, g.stranger);
    const forumLocal = await relayFor(forum, ungrouped.cookie);
    assert.equal((await verify(forumLocal, forum)).field('userId'), g.strangerId);

    assert.equal(await addGroupMember(services(), 'changes', await record(forum)), 1);
    assert.equal((await services().store.getUser(carolId))?.ownerId, g.provider.id, 'carol passed to the provider');
    assert.equal((await verify(forumLocal, forum)).fault, 'noSuchSession', "forum's local session in the default set ended");
    assert.equal((await verify(ungrouped.sessionId, g.outsider)).field('userId'), g.strangerId, 'the rest of that session lives on');
    assert.equal(await relayFor(forum, ungrouped.cookie), 'none');

    // In the group: forum joins the group's session; leaving ends its local session there only.
    const grouped = await signIn(g.provider, g.member);
    const forumInGroup = await relayFor(forum, grouped.cookie);
    const shopInGroup = await relayFor(g.subscriber, grouped.cookie);
    assert.equal((await verify(forumInGroup, forum)).field('userId'), g.memberId);
    await removeGroupMember(services(), 'changes', await record(forum));
    assert.equal((await verify(forumInGroup, forum)).fault, 'noSuchSession');
    assert.equal((await verify(shopInGroup, g.subscriber)).field('userId'), g.memberId);
    assert.equal(await relayFor(forum, grouped.cookie), 'none');
    await assert.rejects(removeGroupMember(services(), 'changes', await record(g.provider)), /cannot leave/);

    // Deleting: refused with subscribers unless forced; then every session of the group ends, with its event.
    assert.deepEqual(await deleteGroup(services(), 'changes', false), { deleted: false, subscribers: 1 });
    const done = await deleteGroup(services(), 'changes', true);
    assert.deepEqual(done, { deleted: true, sessions: 1, members: 2 });
    assert.equal((await verify(shopInGroup, g.subscriber)).fault, 'noSuchSession');
    assert.equal((await verify(grouped.sessionId, g.provider)).fault, 'noSuchSession');
    assert.equal((await verify(ungrouped.sessionId, g.outsider)).field('userId'), g.strangerId, 'an ungrouped session is untouched');
    const ended = await services().store.queryAudit({ type: 'session.ended', target: `user:${g.memberId}`, limit: 10 });
    assert.ok(
      ended.some((event) => event.detail.reason === 'groupDeleted'),
      JSON.stringify(ended),
    );
    const trail = await services().store.queryAudit({ target: 'group:changes', limit: 10 });
    assert.deepEqual(trail.map((event) => event.type).sort(), [
      'group.created',
      'group.deleted',
      'group.memberAdded',
      'group.memberAdded',
      'group.memberRemoved',
    ]);
    // Ungrouped again: the provider's users sign in anywhere of the default set.
    assert.equal((await call(ts, 'getUser', { userId: g.memberId }, { credentials: g.outsider.credentials })).field('login'), g.member);
  });
});
