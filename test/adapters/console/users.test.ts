// The console's users pages over HTTP (docs/admin-console.md "Users"): a change without the CSRF token
// is refused and changes nothing, a destructive change answers with its confirmation until it is
// confirmed, the audit trail names the administrator, a user that is not there is a 404, and an
// outsized search is answered without an error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NO_PASSWORD } from '../../../src/core/localAuthenticator.js';
import { queryAuditTrail } from '../../../src/core/operator/audit.js';
import { addSource } from '../../../src/core/operator/sources.js';
import { createUser } from '../../../src/core/users.js';
import { addTestAdmin, consoleRequest, signInOverHttp, startConsoleServer } from '../../helpers/adminConsole.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';

describe('the users pages over HTTP', () => {
  let ts: TestServer & { adminPort: number };
  let app: RegisteredApp;
  let session: { readonly cookie: string; readonly csrf: string; readonly headers: Readonly<Record<string, string>> };

  before(async () => {
    ts = await startConsoleServer();
    const { secret } = await addTestAdmin(ts, 'root');
    session = await signInOverHttp(ts, 'root', secret);
    app = await registerApp(ts);
  });
  after(() => ts.close());

  async function newUser(login: string): Promise<string> {
    const reply = await call(ts, 'createUser', { login, password: 'pa55word' }, { credentials: app.credentials });
    const id = reply.field('userId');
    assert.ok(id !== undefined, reply.body);
    return id;
  }

  function post(path: string, form: Record<string, string>) {
    return consoleRequest(ts, path, { cookie: session.cookie, headers: session.headers, form });
  }

  test('a change without the CSRF token is 403 and changes nothing', async () => {
    const id = await newUser('csrf@example.com');
    for (const action of ['disable', 'delete', 'end-sessions']) {
      const answer = await post(`/users/${id}/${action}`, { confirm: 'yes' });
      assert.equal(answer.status, 403, action);
    }
    const user = await ts.server.services.store.getUser(id);
    assert.equal(user?.disabledAt, null);
  });

  test('disable and delete answer with their confirmation until confirmed; then the audit trail names admin:root', async () => {
    const id = await newUser('audited@example.com');
    const asked = await post(`/users/${id}/disable`, { csrf: session.csrf });
    assert.equal(asked.status, 200);
    assert.match(asked.body, /Disable user audited@example\.com\?/);
    assert.equal((await ts.server.services.store.getUser(id))?.disabledAt, null, 'not yet disabled');
    const done = await post(`/users/${id}/disable`, { csrf: session.csrf, confirm: 'yes' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, `/users/${id}?done=disabled`);
    assert.notEqual((await ts.server.services.store.getUser(id))?.disabledAt, null);
    const [disabled] = await queryAuditTrail(ts.server.services, { type: 'user.disabled', limit: 1 });
    assert.equal(disabled?.actor, 'admin:root');

    const deleting = await post(`/users/${id}/delete`, { csrf: session.csrf });
    assert.match(deleting.body, /Delete user audited@example\.com\?/);
    assert.notEqual(await ts.server.services.store.getUser(id), null, 'not yet deleted');
    assert.equal((await post(`/users/${id}/delete`, { csrf: session.csrf, confirm: 'yes' })).headers.location, '/users?done=deleted');
    assert.equal(await ts.server.services.store.getUser(id), null);
    const [deleted] = await queryAuditTrail(ts.server.services, { type: 'user.deleted', limit: 1 });
    assert.equal(deleted?.actor, 'admin:root');
  });

  test('a user that is not there is a 404, for its page and for a change', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    assert.equal((await consoleRequest(ts, `/users/${missing}`, { cookie: session.cookie })).status, 404);
    assert.equal((await post(`/users/${missing}/enable`, { csrf: session.csrf })).status, 404);
  });

  test('I65: a search of 10 000 characters is answered without an error, and a control character finds nobody', async () => {
    const long = await consoleRequest(ts, `/users?q=${'a'.repeat(10_000)}`, { cookie: session.cookie });
    assert.equal(long.status, 200);
    assert.match(long.body, /a login has at most 255 characters/);
    const control = await consoleRequest(ts, '/users?q=%01', { cookie: session.cookie });
    assert.equal(control.status, 200);
    assert.match(control.body, /no login can contain this text/);
  });

  test('the list is paged by login: 50 a page, the next page after the last login, and a way back to the first', async () => {
    for (let i = 0; i < 53; i++)
      await createUser(ts.server.services, app.id, `paged-${String(i).padStart(2, '0')}@example.com`, NO_PASSWORD, 'operator');
    const first = await consoleRequest(ts, '/users?q=paged-', { cookie: session.cookie });
    assert.equal([...first.body.matchAll(/>paged-\d\d@example\.com</g)].length, 50);
    const next = /<a href="(\/users\?q=paged-&amp;after=[^"]+)">Next page<\/a>/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(next !== undefined, 'a link to the next page');
    const second = await consoleRequest(ts, next, { cookie: session.cookie });
    assert.deepEqual(
      [...second.body.matchAll(/>(paged-\d\d)@example\.com</g)].map((match) => match[1]),
      ['paged-50', 'paged-51', 'paged-52'],
    );
    assert.match(second.body, /<a href="\/users\?q=paged-">First page<\/a>/);
    assert.doesNotMatch(second.body, /Next page/);
  });

  test("ending a session of another user through a user's page is refused (409) and the session lives on", async () => {
    const owner = await newUser('session-owner@example.com');
    const other = await newUser('other@example.com');
    const signedIn = await call(ts, 'authenticate', { login: 'session-owner@example.com', password: 'pa55word', baseUrl: app.url });
    const sessionId = signedIn.field('sessionId');
    assert.ok(sessionId !== undefined, signedIn.body);
    const [live] = await ts.server.services.store.listSessions({ userId: owner, limit: 1 });
    const globalId = live?.global.id ?? '';
    const answer = await post(`/users/${other}/end-session`, { csrf: session.csrf, session: globalId, confirm: 'yes' });
    assert.equal(answer.status, 409);
    assert.match(answer.body, /has no session/);
    assert.equal((await call(ts, 'verifySession', { sessionId })).field('userId'), owner);
  });

  test('creating a user with single sign-on: no local password, the source named; the audit trail names admin:root', async () => {
    await addSource(ts.server.services, {
      name: 'corp',
      settings: { kind: 'webService', url: 'https://auth.example.test/LJAuthenticate' },
    });
    const created = await post('/users/new', { csrf: session.csrf, login: 'delegated@example.com', owner: app.id, signIn: 'corp' });
    assert.equal(created.status, 303, created.body);
    const user = await ts.server.services.store.findUserByLoginKey('delegated@example.com');
    assert.equal(user?.sourceName, 'corp');
    assert.equal(created.headers.location, `/users/${user.id}?done=created`);
    const [record] = await queryAuditTrail(ts.server.services, { type: 'user.created', limit: 1 });
    assert.equal(record?.actor, 'admin:root');
    const gone = await post('/users/new', { csrf: session.csrf, login: 'nosource@example.com', owner: app.id, signIn: 'gone' });
    assert.equal(gone.status, 409);
    assert.match(gone.body, /no source named &quot;gone&quot;/);
    assert.match(gone.body, /value="nosource@example\.com"/, 'the login is kept');
  });
});
