// `ssod mode`, `ssod hostname` and `ssod integration` through the real binary against a real
// store, with a server running on the installation that follows the changes.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { SETTINGS_REFRESH_MS } from '../../../src/core/liveSettings.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { call, httpsRequest, registerApp, type TestServer } from '../../helpers/server.js';
import { eventually } from '../../helpers/eventually.js';

/** Polls until `check` holds, for a few settings refresh periods. */
function followed(check: () => Promise<boolean>, what: string): Promise<true> {
  return eventually(check, { timeoutMs: 4 * SETTINGS_REFRESH_MS, intervalMs: 100, what });
}

/** The server certificate a fresh TLS connection gets, verified against ssod's CA for `servername`; null when it does not verify. */
function serverCertificateFor(ts: TestServer, servername: string): Promise<{ fingerprint: string; subject: string } | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: ts.soapPort, servername, ca: ts.caPem }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      resolve(peer === undefined ? null : { fingerprint: peer.fingerprint256.replaceAll(':', '').toLowerCase(), subject: peer.subject });
    });
    socket.on('error', () => resolve(null));
  });
}

function oneLine(stderr: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
}

describe('ssod mode, hostname and integration', () => {
  let inst: Installation;
  let ts: TestServer;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve();
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  test('single-panel is the default; show as a table and as JSON', async () => {
    const shown = await inst.run(['mode']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^mode:\s+single-panel$/m);
    assert.match(shown.stdout, /listens on 127\.0\.0\.1 only/);
    const json = JSON.parse((await inst.run(['mode', '--json'])).stdout) as Record<string, unknown>;
    assert.deepEqual(json, { mode: 'single-panel', hostname: '127.0.0.1', soapListensOn: '127.0.0.1', remoteApplications: [] });
    const settings = await inst.run(['settings', 'set', 'mode', 'multiple-panels']);
    assert.equal(settings.code, 1);
    assert.match(settings.stderr, /ssod mode single-panel\|multiple-panels/);
  });

  test('a host name change reaches the running server: new certificate on a fresh connection, new relay URL, applications keep working', async () => {
    const app = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
    const before = await serverCertificateFor(ts, '127.0.0.1');
    assert.notEqual(before, null);

    const changed = await inst.run(['hostname', 'SSO.Example.test', '--skip-dns-check', '--json']);
    assert.equal(changed.code, 0, changed.stderr);
    const result = JSON.parse(changed.stdout) as {
      changed: { from: string; to: string }[];
      server: { fingerprint: string; names: string };
    };
    assert.deepEqual(result.changed, [{ name: 'hostname', from: '127.0.0.1', to: 'sso.example.test' }]);
    assert.equal(result.server.names, 'DNS:sso.example.test, IP Address:127.0.0.1, DNS:localhost');

    // The server loads the certificate the command issued (same fingerprint), it does not issue another.
    await followed(
      async () => (await serverCertificateFor(ts, 'sso.example.test'))?.fingerprint === result.server.fingerprint,
      'the new server certificate',
    );
    assert.equal((await serverCertificateFor(ts, 'sso.example.test'))?.subject, 'CN=sso.example.test');
    // Applications on this machine still reach it as 127.0.0.1 (single-panel mode).
    assert.equal((await serverCertificateFor(ts, '127.0.0.1'))?.fingerprint, result.server.fingerprint);
    assert.equal((await call(ts, 'getSettings')).field('relayEndpointUrl'), `http://sso.example.test:${ts.relayPort}/relay`);
    const asApp = await call(ts, 'getApplication', { applicationId: app.id }, { credentials: app.credentials });
    assert.equal(asApp.fault, undefined, asApp.body);
    assert.match((await httpsRequest(ts, null, { path: '/soap?wsdl' })).body, /location="https:\/\/127\.0\.0\.1:\d+\/soap"/);

    const shown = await inst.run(['hostname']);
    assert.match(shown.stdout, /^hostname:\s+sso\.example\.test$/m);
    const same = await inst.run(['hostname', 'sso.example.test', '--skip-dns-check']);
    assert.match(same.stdout, /already; nothing changed/);
    const bad = await inst.run(['hostname', 'bad host/name']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Invalid host name/);
    oneLine(bad.stderr);
  });

  test('multiple-panels: refused for a loopback or unresolvable host name, then switched; the running server names its endpoint by the host name', async () => {
    await inst.run(['hostname', '127.0.0.1']);
    const loopback = await inst.run(['mode', 'multiple-panels']);
    assert.equal(loopback.code, 1);
    assert.match(
      loopback.stderr,
      /^ssod: the host name is 127\.0\.0\.1, which applications on other hosts cannot reach; .*with ssod hostname NAME$/m,
    );
    oneLine(loopback.stderr);

    // RFC 6761: .invalid never resolves. In single-panel mode the name is taken, and the failure reported.
    const unresolved = await inst.run(['hostname', 'sso.example.invalid']);
    assert.equal(unresolved.code, 0, unresolved.stderr);
    assert.match(unresolved.stdout, /does not resolve here yet/);
    const refused = await inst.run(['integration', '--command=switch-sso-mode', '--sso-mode=multiple-panels']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^ssod: the host name sso\.example\.invalid does not resolve \(\w+\); register it in DNS .* \(--skip-dns-check to go ahead anyway\)$/m,
    );
    oneLine(refused.stderr);
    assert.match((await inst.run(['mode'])).stdout, /^mode:\s+single-panel$/m);

    const switched = await inst.run(['mode', 'multiple-panels', '--skip-dns-check']);
    assert.equal(switched.code, 0, switched.stderr);
    assert.match(switched.stdout, /^mode: single-panel -> multiple-panels$/m);
    assert.match(switched.stdout, /Restart ssod serve: the SOAP API listens on the --bind address from its next start/);
    const json = JSON.parse((await inst.run(['mode', 'single-panel', '--json', '--force'])).stdout) as { restartNeeded: boolean };
    assert.equal(json.restartNeeded, true);
    await inst.run(['mode', 'multiple-panels', '--skip-dns-check']);
    await followed(
      async () => /location="https:\/\/sso\.example\.invalid:\d+\/soap"/.test((await httpsRequest(ts, null, { path: '/soap?wsdl' })).body),
      'the WSDL naming the host',
    );

    // In multiple-panels mode applications on other hosts use the name at once: an unresolvable one is refused.
    const rename = await inst.run(['integration', '--command=update', '--hostname=other.example.invalid']);
    assert.equal(rename.code, 1);
    assert.match(rename.stderr, /other\.example\.invalid does not resolve/);
    const local = await inst.run(['integration', '--command=update', '--hostname=localhost']);
    assert.match(local.stderr, /the host name is localhost, which applications on other hosts cannot reach/);
    // An address needs no lookup (192.0.2.0/24 is TEST-NET-1, RFC 5737).
    const renamed = await inst.run(['integration', '--command=update', '--hostname=192.0.2.10', '--json']);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal(
      (JSON.parse(renamed.stdout) as { server: { names: string } }).server.names,
      'IP Address:192.0.2.10, IP Address:127.0.0.1, DNS:localhost',
    );
  });

  test('back to single-panel: refused while applications on other hosts are registered, with their list and what breaks; --force switches', async () => {
    await inst.run(['integration', '--command=update', '--hostname=sso.example.invalid', '--skip-dns-check']);
    await inst.run(['mode', 'multiple-panels', '--skip-dns-check']);
    const remote = await registerApp(ts, 'https://billing.example.net:443/', 'billing');
    await registerApp(ts, 'https://127.0.0.1:8443/', 'local-panel');
    await registerApp(ts, 'https://sso.example.invalid:8880/', 'same-host');

    const refused = await inst.run(['mode', 'single-panel']);
    assert.equal(refused.code, 1);
    oneLine(refused.stderr);
    assert.match(refused.stderr, /application\(s\) on other hosts are registered: .*billing \(https:\/\/billing\.example\.net:443\/, /);
    assert.match(refused.stderr, /panel \(https:\/\/panel\.example\.com:8443\//);
    assert.doesNotMatch(refused.stderr, /local-panel|same-host/);
    assert.match(refused.stderr, /their users will no longer switch to them without signing in again.*\(--force to go ahead anyway\)$/m);
    assert.match((await inst.run(['mode'])).stdout, /^mode:\s+multiple-panels$/m);

    const forced = await inst.run(['integration', '--command=switch-sso-mode', '--sso-mode=single-panel', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^mode: multiple-panels -> single-panel$/m);
    assert.match(forced.stdout, new RegExp(`Warning: billing \\(https://billing.example.net:443/\\) is on another host`));
    assert.match(forced.stdout, /listens on 127\.0\.0\.1 only from its next start/);
    assert.equal(remote.id.length, 36);
  });

  test('integration refuses an incomplete command line with one line', async () => {
    const refusals = [
      [['integration', '--command=switch-sso-mode'], /needs the mode; add --sso-mode=single-panel/],
      [['integration', '--command=update'], /needs the host name; add --hostname=NAME/],
      [['integration', '--command=switch-sso-mode', '--sso-mode=several'], /unknown mode "several"/],
      [['mode', 'several'], /the modes are single-panel and multiple-panels/],
    ] as const;
    await Promise.all(
      refusals.map(async ([args, message]) => {
        const refused = await inst.run(args);
        assert.equal(refused.code, 2, args.join(' '));
        assert.match(refused.stderr, message);
        oneLine(refused.stderr);
      }),
    );
  });
});
