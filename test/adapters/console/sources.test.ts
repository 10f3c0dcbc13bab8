// The console's Sources and Identity providers pages over HTTP (docs/admin-console.md "Sources"):
// a change without the CSRF token is refused and changes nothing, a change names the administrator
// in the audit trail, and a source's answer is shown escaped and cut to a bound (case I68).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MOST_TEST_DETAIL_CHARS } from '../../../src/core/operator/lastTests.js';
import { addSource, testSource } from '../../../src/core/operator/sources.js';
import { addTestAdmin, consoleRequest, csrfOf, signInOverHttp, startConsoleServer } from '../../helpers/adminConsole.js';
import { eventually } from '../../helpers/eventually.js';
import { idpSettings } from '../../helpers/identityProviders.js';
import type { TestServer } from '../../helpers/server.js';
import { sourceDouble, webServiceSettings } from '../../helpers/sources.js';
import { addIdentityProvider } from '../../../src/core/operator/identityProviders.js';

describe('the console Sources and Identity providers pages over HTTP', () => {
  let ts: TestServer & { adminPort: number };
  let cookie: string;
  let headers: Readonly<Record<string, string>>;

  before(async () => {
    ts = await startConsoleServer();
    const { secret } = await addTestAdmin(ts, 'root');
    ({ cookie, headers } = await signInOverHttp(ts, 'root', secret));
    const services = ts.server.services;
    await addSource(services, { name: 'corp', settings: webServiceSettings({ url: 'https://127.0.0.1:1/' }) });
    await addIdentityProvider(services, { name: 'corp-idp', settings: idpSettings() });
  });
  after(() => ts.close());

  test('a remove or a test without the CSRF token is 403 and changes nothing', async () => {
    for (const path of ['/sources/corp/remove', '/identity-providers/corp-idp/remove', '/identity-providers/corp-idp/test']) {
      const answer = await consoleRequest(ts, path, { cookie, form: { confirm: 'yes' }, headers });
      assert.equal(answer.status, 403, path);
    }
    const { store } = ts.server.services;
    assert.notEqual(await store.getSource('corp'), null);
    assert.notEqual(await store.getIdentityProvider('corp-idp'), null);
    assert.equal(await store.getLastTest('identityProvider', 'corp-idp'), null);
  });

  test('a source added through the console is recorded in the audit trail with the actor admin:root', async () => {
    const form = await consoleRequest(ts, '/sources/add/web-service', { cookie });
    const answer = await consoleRequest(ts, '/sources/add/web-service', {
      cookie,
      headers,
      form: { csrf: csrfOf(form), name: 'audited', url: 'https://auth.example.com/LJAuthenticate' },
    });
    assert.equal(answer.status, 303);
    assert.equal(answer.headers.location, '/sources/audited?done=added');
    const records = await eventually(
      async () => {
        const found = await ts.server.services.store.queryAudit({ type: 'source.added', target: 'delegatedSource:audited', limit: 5 });
        return found.length > 0 ? found : null;
      },
      { timeoutMs: 10_000, what: 'the audit record' },
    );
    assert.equal(records[0]?.actor, 'admin:root');
  });

  test('I68: a source answer with HTML in it is shown escaped and cut to a bounded length', async () => {
    const double = sourceDouble();
    double.answer = () => ({ ok: false, cause: 'malformed', detail: `<script>alert(1)</script>${'x'.repeat(5000)}` });
    await testSource(ts.server.services, () => double, { name: 'corp', login: 'alice', password: 'p' });
    const kept = await ts.server.services.store.getLastTest('source', 'corp');
    assert.equal(kept?.detail.length, MOST_TEST_DETAIL_CHARS);
    const page = await consoleRequest(ts, '/sources/corp', { cookie });
    assert.equal(page.status, 200);
    assert.ok(!page.body.includes('<script>alert'), 'the HTML is not markup');
    assert.match(page.body, /login alice: &lt;script&gt;alert\(1\)&lt;\/script&gt;x+…</);
    assert.match(page.body, /malformed reply<\/span> at .* by operator/);
  });

  test('a source or identity provider that does not exist is 404', async () => {
    for (const path of ['/sources/absent', '/identity-providers/absent'])
      assert.equal((await consoleRequest(ts, path, { cookie })).status, 404, path);
  });
});
