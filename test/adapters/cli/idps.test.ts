// `ssod idps` and `ssod users link/unlink/links` through the real binary against a real store: what is
// stored, what is refused with what to do instead, and the audit trail of each change.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { samlFixturePath } from '../../helpers/identityProviders.js';
import { freePort } from '../../helpers/ports.js';
import { registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';

const ISSUER = 'https://idp.example.org/simplesaml/saml2/idp/metadata.php';
const SIGNING = samlFixturePath('idp-signing.pem');
const ROLLOVER = samlFixturePath('idp-rollover.pem');

interface ShownIdp {
  readonly name: string;
  readonly displayName: string;
  readonly settings: Record<string, unknown> | null;
  readonly links: number;
  readonly certificates: { sha256: string; expired: boolean; expiresSoon: boolean }[];
}

describe('ssod idps and ssod users link', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  const run = (...args: string[]) => inst.run(args);
  const ok = async (...args: string[]): Promise<string> => {
    const result = await inst.run(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const show = async (name: string): Promise<ShownIdp> => JSON.parse(await ok('idps', 'show', name, '--json')) as ShownIdp;
  const addManual = (name: string, ...more: string[]) =>
    run(
      'idps',
      'add',
      name,
      '--issuer',
      `https://${name}.example.com/idp`,
      '--sign-in-url',
      `https://${name}.example.com/sso`,
      '--certificate-file',
      SIGNING,
      ...more,
    );
  const create = async (login: string): Promise<void> => {
    const created = await inst.run(['users', 'create', login, '--owner', panel.id, '--password-stdin'], { input: 'pw' });
    assert.equal(created.code, 0, created.stderr);
  };

  test('add --metadata takes the issuer, the Redirect sign-in URL and the signing certificates, and prints their fingerprints', async () => {
    const out = await ok(
      'idps',
      'add',
      'simple',
      '--metadata',
      samlFixturePath('simplesamlphp-idp-metadata.xml'),
      '--display-name',
      'Example IdP',
    );
    assert.match(out, /SHA-256 [0-9A-F:]{95}/);
    assert.match(out, /signature is not checked/);
    const shown = await show('simple');
    assert.equal(shown.displayName, 'Example IdP');
    assert.equal(shown.settings?.issuer, ISSUER);
    assert.equal(shown.settings.signInUrl, 'https://idp.example.org/simplesaml/saml2/idp/SSOService.php');
    assert.equal(shown.settings.certificates, 2, 'the signing key and the key without use; never the encryption key');
    assert.equal(shown.settings.userIdType, 'federatedId');
    assert.equal(shown.certificates.length, 2);
    assert.ok(shown.certificates.every((c) => !c.expired));
  });

  test('add --metadata with a DOCTYPE is refused by the hardened reader and stores nothing', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = `${inst.dataDir}/doctype.xml`;
    writeFileSync(
      file,
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>',
    );
    const refused = await run('idps', 'add', 'hostile', '--metadata', file);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /DOCTYPE is not allowed/);
    assert.equal((await run('idps', 'show', 'hostile')).code, 1);
  });

  test('add refuses a weak key, an expired certificate, http:// and an unknown owner application, saying what to give', async () => {
    const weak = await run(
      'idps',
      'add',
      'weak',
      '--issuer',
      'https://w/',
      '--sign-in-url',
      'https://w/sso',
      '--certificate-file',
      samlFixturePath('weak-rsa1024.pem'),
    );
    assert.match(weak.stderr, /1024 bits; signing keys need at least 2048/);
    const expired = await run(
      'idps',
      'add',
      'old',
      '--issuer',
      'https://o/',
      '--sign-in-url',
      'https://o/sso',
      '--certificate-file',
      samlFixturePath('expired.pem'),
    );
    assert.match(expired.stderr, /is not valid now .* ask the identity provider for its current signing certificate/);
    const http = await run(
      'idps',
      'add',
      'plain',
      '--issuer',
      'https://p/',
      '--sign-in-url',
      'http://idp.example.com/sso',
      '--certificate-file',
      SIGNING,
    );
    assert.match(http.stderr, /must start with https:\/\//);
    const owner = await addManual('owned', '--create-users-owned-by', 'no-such-app');
    assert.match(owner.stderr, /is no registered application.*ssod applications list/);
    const attribute = await addManual('attr', '--user-id-location', 'attribute');
    assert.match(attribute.stderr, /needs --user-id-attribute/);
    const missing = await run('idps', 'add', 'none', '--issuer', 'https://n/');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /give --metadata FILE\|URL, or all of --issuer, --sign-in-url and --certificate-file/);
    const listed = JSON.parse(await ok('idps', 'list', '--json')) as { name: string }[];
    assert.deepEqual(
      listed.map((idp) => idp.name).filter((name) => ['weak', 'old', 'plain', 'owned', 'attr', 'none'].includes(name)),
      [],
    );
  });

  test('update changes only the options given; --certificate-file replaces the certificates (a rotation gives two)', async () => {
    assert.equal((await addManual('corp', '--create-users-owned-by', panel.id)).code, 0);
    const out = await ok('idps', 'update', 'corp', '--certificate-file', SIGNING, '--certificate-file', ROLLOVER, '--allow-idp-initiated');
    assert.match(out, /Changed allowIdpInitiated, certificates of identity provider corp/);
    const shown = await show('corp');
    assert.equal(shown.settings?.certificates, 2);
    assert.equal(shown.settings.allowIdpInitiated, true);
    assert.equal(shown.settings.issuer, 'https://corp.example.com/idp', 'kept');
    assert.equal(shown.settings.createUsersOwnedBy, panel.id, 'kept');
    await ok('idps', 'update', 'corp', '--user-id-location', 'attribute', '--user-id-attribute', 'uid');
    await ok('idps', 'update', 'corp', '--user-id-location', 'subject', '--create-users-owned-by', 'none');
    const back = await show('corp');
    assert.equal(back.settings?.userIdAttribute, undefined, 'the attribute goes with the attribute location');
    assert.equal(back.settings?.createUsersOwnedBy, null);
    assert.match(await ok('idps', 'update', 'corp'), /nothing changed/);
    const audit = await ok('audit', '--json', '--limit', '200');
    assert.match(audit, /idp\.added/);
    assert.match(audit, /idp\.updated/);
  });

  test('users link, links, show and unlink; E34: the same federated id under another identity provider is another link', async () => {
    assert.equal((await addManual('home')).code, 0);
    assert.equal((await addManual('partner')).code, 0);
    await create('alice@example.com');
    await create('bob@example.com');
    await ok('users', 'link', 'alice@example.com', '--idp', 'home', '--federated-id', 'alice');
    await ok('users', 'link', 'bob@example.com', '--idp', 'partner', '--federated-id', 'alice');
    const taken = await run('users', 'link', 'bob@example.com', '--idp', 'home', '--federated-id', 'alice');
    assert.equal(taken.code, 1);
    assert.match(
      taken.stderr,
      /is linked to alice@example\.com; unlink it there first \(`ssod users unlink alice@example\.com --idp home`\)/,
    );
    const second = await run('users', 'link', 'alice@example.com', '--idp', 'home', '--federated-id', 'alice2');
    assert.match(second.stderr, /has another federated id under home/);
    const unknown = await run('users', 'link', 'alice@example.com', '--idp', 'nope', '--federated-id', 'x');
    assert.match(unknown.stderr, /no identity provider named "nope"; the configured ones are: .*home/);
    const links = JSON.parse(await ok('users', 'links', 'alice@example.com', '--json')) as { idp: string; federatedId: string }[];
    assert.deepEqual(
      links.map((l) => [l.idp, l.federatedId]),
      [['home', 'alice']],
    );
    assert.match(await ok('users', 'show', 'alice@example.com'), /federated id \(home\):\s+alice/);
    assert.equal((await show('home')).links, 1);
    await ok('users', 'unlink', 'alice@example.com', '--idp', 'home');
    const again = await run('users', 'unlink', 'alice@example.com', '--idp', 'home');
    assert.match(again.stderr, /has no federated id under "home"/);
    const audit = await ok('audit', '--json', '--limit', '200');
    assert.match(audit, /user\.federatedIdLinked/);
    assert.match(audit, /user\.federatedIdUnlinked/);
  });

  test('remove is refused while links exist, with their number; --force removes the links too', async () => {
    assert.equal((await addManual('gone')).code, 0);
    await create('carol@example.com');
    await ok('users', 'link', 'carol@example.com', '--idp', 'gone', '--federated-id', 'carol');
    const refused = await run('idps', 'remove', 'gone');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /has 1 federated id\(s\) linked.*ssod users unlink USER --idp gone.*--force/);
    assert.match(await ok('idps', 'remove', 'gone', '--force'), /and its 1 federated id link/);
    assert.match(await ok('users', 'links', 'carol@example.com'), /none/);
    assert.equal((await run('idps', 'show', 'gone')).code, 1);
  });

  test('test: usable when a certificate is valid and the sign-in URL answers; exit 1 when it does not', async () => {
    const idp = createServer((_request, response) => response.writeHead(405).end());
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    try {
      const port = (idp.address() as AddressInfo).port;
      const added = await run(
        'idps',
        'add',
        'local',
        '--issuer',
        'https://local/',
        '--sign-in-url',
        `http://127.0.0.1:${port}/sso`,
        '--certificate-file',
        SIGNING,
      );
      assert.equal(added.code, 0, added.stderr);
      const tested = await run('idps', 'test', 'local');
      assert.equal(tested.code, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /answered HTTP 405/);
      assert.match(tested.stdout, /local is usable/);
    } finally {
      await new Promise((resolve) => idp.close(resolve));
    }
    const closed = await freePort();
    await ok('idps', 'update', 'local', '--sign-in-url', `http://127.0.0.1:${closed}/sso`);
    const down = await run('idps', 'test', 'local', '--json');
    assert.equal(down.code, 1);
    assert.equal((JSON.parse(down.stdout) as { usable: boolean }).usable, false);
  });

  test('export carries the identity providers and the links; import into a new installation gives them back', async () => {
    assert.equal((await addManual('moved')).code, 0);
    await create('dave@example.com');
    await ok('users', 'link', 'dave@example.com', '--idp', 'moved', '--federated-id', 'Dave@Corp');
    const work = mkdtempSync(path.join(os.tmpdir(), 'ssod-idp-transfer-'));
    try {
      const file = path.join(work, 'export.json');
      const target = path.join(work, 'new');
      await ok('export', '--out', file);
      const imported = await runCli(['import', file, '--data-dir', target, '--create']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /Imported \d+ identity provider\(s\) and \d+ federated id link\(s\)/);
      const shown = await runCli(['idps', 'show', 'moved', '--data-dir', target, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal((JSON.parse(shown.stdout) as ShownIdp).links, 1);
      const links = await runCli(['users', 'links', 'dave@example.com', '--data-dir', target, '--json']);
      assert.deepEqual(
        (JSON.parse(links.stdout) as { idp: string; federatedId: string }[]).map((l) => [l.idp, l.federatedId]),
        [['moved', 'Dave@Corp']],
      );
      const again = await runCli(['import', file, '--data-dir', target]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /has (application|identity provider|user).* already; leave such records out with --skip-existing/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
