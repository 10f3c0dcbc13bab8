// The console's settings and tickets pages over HTTP (docs/admin-console.md "Settings", "Tickets"):
// a change without the CSRF token is refused and changes nothing; a POST naming an unknown setting,
// hostname or mode changes nothing; a change is recorded with the administrator as the actor.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addTestAdmin, consoleRequest, signInOverHttp, startConsoleServer } from '../../helpers/adminConsole.js';
import type { TestServer } from '../../helpers/server.js';

describe('the console settings and tickets pages over HTTP', () => {
  let ts: TestServer & { adminPort: number };
  let cookie: string;
  let csrf: string;
  let headers: Readonly<Record<string, string>>;

  before(async () => {
    ts = await startConsoleServer();
    const { secret } = await addTestAdmin(ts, 'root');
    ({ cookie, csrf, headers } = await signInOverHttp(ts, 'root', secret));
  });
  after(() => ts.close());

  const stored = () => ts.server.services.store.readSettings();
  const post = (path: string, form: Record<string, string>) => consoleRequest(ts, path, { cookie, form, headers });

  test('a change without the CSRF token is 403 and changes nothing: a setting, a rotation, a receiver', async () => {
    assert.equal((await post('/settings/sessionTimeout', { value: '900' })).status, 403);
    assert.equal((await post('/tickets/rotate', { now: 'yes' })).status, 403);
    assert.equal((await post('/tickets/receivers', { name: 'x', domain: 'example.de', url: 'https://example.de/' })).status, 403);
    assert.deepEqual(await stored(), {});
    assert.equal((await ts.server.services.tickets.keys()).length, 1);
    assert.deepEqual(await ts.server.services.store.listTicketReceivers(), []);
  });

  test('I71: a settings POST naming an unknown setting, hostname or mode is refused without a change', async () => {
    const unknown = await post('/settings/noSuchSetting', { csrf, value: '1' });
    assert.equal(unknown.status, 404);
    const hostname = await post('/settings/hostname', { csrf, value: 'evil.example.com' });
    assert.equal(hostname.status, 400);
    assert.match(hostname.body, /hostname is not changed with `ssod settings`; use `ssod hostname NAME`/);
    const mode = await post('/settings/mode/reset', { csrf, confirm: 'yes' });
    assert.equal(mode.status, 409);
    assert.deepEqual(await stored(), {});
  });

  test('I70: a receiver URL outside its domain is refused with the core message at 400; nothing added', async () => {
    const refused = await post('/tickets/receivers', { csrf, name: 'shop', domain: 'example.de', url: 'https://example.com/.ssod/' });
    assert.equal(refused.status, 400);
    assert.match(refused.body, /must have a host equal to example\.de or inside it/);
    assert.deepEqual(await ts.server.services.store.listTicketReceivers(), []);
  });

  test('a change is recorded with the actor admin:root; a revoke without confirm=yes asks first and changes nothing', async () => {
    const changed = await post('/settings/sessionTimeout', { csrf, value: '900' });
    assert.equal(changed.status, 303);
    assert.equal(changed.headers.location, '/settings/sessionTimeout?done=changed');
    const [record] = await ts.server.services.store.queryAudit({ type: 'settings.changed', limit: 1 });
    assert.equal(record?.actor, 'admin:root');
    const [key] = await ts.server.services.tickets.keys();
    const asked = await post(`/tickets/keys/${encodeURIComponent(key?.kid ?? '')}/revoke`, { csrf });
    assert.equal(asked.status, 409, 'the only signing key: refused with what to do');
    assert.match(asked.body, /no other key can sign now/);
    assert.equal((await ts.server.services.tickets.keys())[0]?.revokedAt, null);
  });
});
