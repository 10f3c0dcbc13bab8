// `ssod applications callback` (docs/groups.md "On Session Start callbacks") through the real binary:
// set with a policy and a CA file, shown by `ssod applications show`, seen by the application through
// ssox:getSessionStartCallback, refused when not https or with an unknown policy, removed by an empty url;
// the application given by id or by name.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { call, registerApp, SSOX_NS, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { openTestCa } from '../../helpers/testCa.js';

describe('ssod applications callback', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve();
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  test('callbacks: the operator sets, shows and removes an application callback, by id or name; bad input says what to do', async () => {
    const caFile = path.join(inst.dataDir, 'callback-ca.pem');
    writeFileSync(caFile, (await openTestCa()).caPem);
    const set = await inst.run([
      'applications',
      'callback',
      panel.id,
      '--url',
      'https://panel.example.com/ssod/session-start',
      '--policy',
      'fail',
      '--ca-file',
      caFile,
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /policy fail; running servers call it within 5 s/);
    const shown = await inst.run(['applications', 'show', panel.id]);
    assert.match(shown.stdout, /session start callback:\s+https:\/\/panel\.example\.com\/ssod\/session-start \(policy fail, own CA\)/);
    const json = JSON.parse((await inst.run(['applications', 'show', panel.id, '--json'])).stdout) as {
      sessionStartCallback: { url: string; policy: string } | null;
    };
    assert.deepEqual(json.sessionStartCallback, { url: 'https://panel.example.com/ssod/session-start', policy: 'fail', ownCa: true });
    const seen = await call(ts, 'getSessionStartCallback', {}, { credentials: panel.credentials, namespace: SSOX_NS });
    assert.equal(seen.field('url'), 'https://panel.example.com/ssod/session-start');
    assert.equal(seen.field('policy'), 'fail');

    const plain = await inst.run(['applications', 'callback', panel.id, '--url', 'http://panel.example.com/cb']);
    assert.equal(plain.code, 1);
    assert.equal(plain.stderr, 'ssod: url: the callback URL must be https; give an https:// URL.\n');
    const policy = await inst.run(['applications', 'callback', panel.id, '--url', 'https://panel.example.com/cb', '--policy', 'maybe']);
    assert.equal(policy.code, 1);
    assert.match(policy.stderr, /give continue or fail/);
    const noCa = await inst.run([
      'applications',
      'callback',
      panel.id,
      '--url',
      'https://panel.example.com/cb',
      '--ca-file',
      caFile + '.none',
    ]);
    assert.equal(noCa.code, 1);
    assert.match(noCa.stderr, /cannot read the CA file/);

    const unknown = await inst.run(['applications', 'callback', 'nobody', '--url', 'https://panel.example.com/cb']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'ssod: no application with id or name "nobody"; `ssod applications` shows them\n');

    // By name, as README and docs/groups.md show it.
    const removed = await inst.run(['applications', 'callback', 'panel', '--url', '']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /has no On Session Start callback now/);
    const gone = await call(ts, 'getSessionStartCallback', {}, { credentials: panel.credentials, namespace: SSOX_NS });
    assert.equal(gone.field('url'), '');
  });
});
