// The README's move to a new installation, through the real binary and as written: `ssod export`,
// then `ssod import … --data-dir NEW --create`, which makes the installation there; without
// --create a directory with no installation is refused and left uncreated.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { registerApp } from '../../helpers/server.js';

const README = new URL('../../../../README.md', import.meta.url);

describe('ssod import --create', () => {
  let source: Installation;
  let work: string;
  before(async () => {
    source = await freshInstallation();
    work = mkdtempSync(path.join(os.tmpdir(), 'ssod-cli-transfer-'));
    const server = await source.serve();
    try {
      const app = await registerApp(server);
      const created = await source.run(['users', 'create', 'alice@example.com', '--owner', app.id, '--password-stdin'], {
        input: 'alice secret',
      });
      assert.equal(created.code, 0, created.stderr);
    } finally {
      await server.close();
    }
  });
  after(async () => {
    await source.remove();
    rmSync(work, { recursive: true, force: true });
  });

  test("the README's export and import commands make a new installation with the users", async () => {
    const readme = readFileSync(README, 'utf8');
    const exportLine = /^ssod export --out ssod-export\.json/m.exec(readme)?.[0];
    const importLine = /^ssod import ssod-export\.json --data-dir \/var\/lib\/ssod-new --create/m.exec(readme)?.[0];
    assert.ok(exportLine !== undefined && importLine !== undefined, 'the README shows both commands');
    const file = path.join(work, 'ssod-export.json');
    const target = path.join(work, 'ssod-new');
    const argsOf = (line: string): string[] =>
      line
        .split(' ')
        .slice(1)
        .map((arg) => (arg === 'ssod-export.json' ? file : arg === '/var/lib/ssod-new' ? target : arg));

    assert.equal((await source.run(argsOf(exportLine))).code, 0);
    const refused = await runCli(argsOf(importLine).filter((arg) => arg !== '--create'));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ssod: no ssod store at .*ssod-new.*\n$/);
    assert.equal(existsSync(target), false, 'without --create nothing is made');

    const imported = await runCli(argsOf(importLine));
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stdout,
      /^Created a new installation in .*ssod-new \(store and certificate authority\); start it with: ssod serve --data-dir /,
    );
    assert.match(imported.stdout, /Imported 1 application\(s\) and 1 user\(s\)\./);
    assert.equal(statSync(target).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(target, 'ca.key')).mode & 0o777, 0o600);
    const users = await runCli(['users', 'list', '--data-dir', target, '--json']);
    assert.match(users.stdout, /alice@example\.com/);

    // On an installation that exists, --create changes nothing but the import.
    const again = await runCli([...argsOf(importLine), '--skip-existing', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { created: string | null }).created, null);
  });
});
