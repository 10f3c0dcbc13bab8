// The seams for the adapters to come: a browser session started without a relay token, and
// sign-ins that ask the authenticator where the password is checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SsoError } from '../../src/core/errors.js';
import { signIn } from '../../src/core/authentication.js';
import type { PasswordCheck } from '../../src/core/ports/authenticator.js';
import { findLocalSession, localSessionForCookie, sessionOfCookie, startBrowserSession } from '../../src/core/sessions.js';
import { createUser, disableUser } from '../../src/core/users.js';
import { registerApp, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';

describe('seams', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    app = await registerApp(ts, 'https://shop.example.com:443/', 'shop');
  });
  after(() => ts.close());

  const newUser = async (login: string): Promise<string> =>
    createUser(ts.server.services, app.id, login, await ts.server.services.passwords.hash('pw-of-' + login), 'operator');

  test('startBrowserSession binds a new session to a cookie, which then gives every application its local session', async () => {
    const { services } = ts.server;
    const userId = await newUser('browser@example.com');
    const cookie = await startBrowserSession(services, userId, 'guest', null);
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(cookie.maxAgeSeconds, services.settings.current().sessionLifetime);
    assert.equal((await sessionOfCookie(services, cookie.value))?.session.userId, userId);
    const sessionId = await localSessionForCookie(services, cookie.value, app.url);
    assert.ok(sessionId?.startsWith(app.url));
    assert.equal((await findLocalSession(services, sessionId ?? ''))?.global.userId, userId);
    assert.equal(await localSessionForCookie(services, cookie.value, app.url), sessionId, 'the same id on a later visit');
  });

  test('startBrowserSession refuses a disabled user and leaves no session behind', async () => {
    const { services } = ts.server;
    const userId = await newUser('disabled@example.com');
    const user = await services.store.getUser(userId);
    if (user === null) throw new Error('no user');
    await disableUser(services, user, 'operator');
    await assert.rejects(
      startBrowserSession(services, userId, 'guest', null),
      (error: unknown) => error instanceof SsoError && error.code === 'invalidCredentials',
    );
    assert.deepEqual(await services.store.listSessions({ userId, limit: 10 }), []);
  });

  test('signIn asks the authenticator, with the user, the login and the sources, and keeps its own rules around it', async () => {
    const userId = await newUser('delegated@example.com');
    const user = await ts.server.services.store.getUser(userId);
    const asked: PasswordCheck[] = [];
    const services = {
      ...ts.server.services,
      authenticator: {
        check: (request: PasswordCheck) => {
          asked.push(request);
          return Promise.resolve(request.password === 'directory-password' ? ('right' as const) : ('wrong' as const));
        },
      },
    };
    const attempt = { user, login: 'delegated@example.com', password: 'directory-password', applicationId: null, address: '192.0.2.9' };
    assert.equal((await signIn(services, attempt)).id, userId);
    await assert.rejects(
      signIn(services, { ...attempt, password: 'pw-of-delegated@example.com' }),
      SsoError,
      'the local hash is not asked',
    );
    assert.deepEqual(
      asked.map((request) => [request.user?.id, request.login, request.sources, request.upgrade]),
      [
        [userId, 'delegated@example.com', ['source:192.0.2.9'], true],
        [userId, 'delegated@example.com', ['source:192.0.2.9'], true],
      ],
    );
    const trail = await ts.server.services.store.queryAudit({ target: `user:${userId}`, limit: 10 });
    assert.deepEqual(trail.map((record) => [record.type, record.outcome]).reverse(), [
      ['user.created', 'ok'],
      ['authentication.succeeded', 'ok'],
      ['authentication.failed', 'wrongPassword'],
    ]);
  });
});
