// The admin console on two nodes of one PostgreSQL store (docs/admin-console.md "Turning it on"): an
// administrator added once in the store is accepted by both nodes, a console session made on node 1
// works on node 2, a TOTP code accepted by one node is a replay on the other, and signing out on
// node 2 ends the session on node 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PASSWORD, addTestAdmin, consoleRequest, csrfOf, sessionCookieOf, totpCode } from '../helpers/adminConsole.js';
import { freePort } from '../helpers/ports.js';
import { twoPostgresNodes } from '../helpers/pgNodes.js';
import { postgresSuite } from '../helpers/postgres.js';
import type { TestServer } from '../helpers/server.js';

postgresSuite('admin console on two PostgreSQL nodes', () => {
  const nodes = twoPostgresNodes(
    'admin-console',
    () => ({}),
    async () => ({ adminPort: await freePort() }),
  );

  function signIn(node: TestServer, code: string) {
    return consoleRequest(node, '/signin', { form: { name: 'ops', password: ADMIN_PASSWORD, code } });
  }

  test('I56, I59: an administrator added in the store signs in on both nodes; a session of node 1 works on node 2; a code is used once across nodes', async () => {
    const [first, second] = nodes();
    const { secret } = await addTestAdmin(first, 'ops');
    const now = first.server.services.now();

    const onFirst = await signIn(first, totpCode(secret, now));
    assert.equal(onFirst.status, 303);
    const cookie = sessionCookieOf(onFirst);
    assert.ok(cookie !== null);
    assert.equal((await signIn(second, totpCode(secret, now))).status, 401, 'the code node 1 accepted is a replay on node 2');

    const overview = await consoleRequest(second, '/', { cookie });
    assert.equal(overview.status, 200, 'node 2 accepts the session node 1 made');
    assert.match(overview.body, /Signed in as <strong>ops<\/strong>/);
    assert.match(overview.body, /Store \(postgres\)/);

    const onSecond = await signIn(second, totpCode(secret, now + 30_000));
    assert.equal(onSecond.status, 303, 'node 2 accepts the administrator with the next code');
    const otherCookie = sessionCookieOf(onSecond);
    assert.ok(otherCookie !== null);

    const out = await consoleRequest(second, '/signout', { cookie, form: { csrf: csrfOf(overview) } });
    assert.equal(out.status, 303);
    assert.equal((await consoleRequest(first, '/', { cookie })).status, 303, 'signed out on node 2: node 1 asks for a sign-in');
    assert.equal((await consoleRequest(first, '/', { cookie: otherCookie })).status, 200, 'the other session goes on');
  });
});
