// `ssod groups` and the GROUP column of `ssod applications` through the real binary, on SQLite and on
// PostgreSQL, beside a running node that answers by the groups the commands form (docs/groups.md);
// and groups carried by `ssod export` and `ssod import`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { ifAssigned } from '../../helpers/defined.js';
import { freshInstallation, type Engine, type Installation } from '../../helpers/installation.js';
import { postgresSuite } from '../../helpers/postgres.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';

interface ShownGroup {
  readonly name: string;
  readonly users: number;
  readonly sessions: number;
  readonly members: readonly { id: string; name: string; role: string }[];
}

function groupCommands(engine: Engine): void {
  let inst: Installation;
  let ts: TestServer;
  let accounts: RegisteredApp;
  let shop: RegisteredApp;
  before(async () => {
    inst = await freshInstallation({ engine });
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    accounts = await registerApp(ts, 'https://accounts.example.com:443/', 'accounts');
    shop = await registerApp(ts, 'https://shop.example.com:443/', 'shop');
    await call(ts, 'createUser', { login: 'alice@example.com', password: 'wonderland' }, { credentials: accounts.credentials });
    await call(ts, 'createUser', { login: 'carol@example.com', password: 'wonderland' }, { credentials: shop.credentials });
  });
  after(async () => {
    await ifAssigned(ts)?.close();
    await ifAssigned(inst)?.remove();
  });

  const ok = async (args: readonly string[]) => {
    const result = await inst.run(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const refused = async (args: readonly string[], message: RegExp) => {
    const result = await inst.run(args);
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  };

  test(`groups on ${engine}: create, add, show, list, the GROUP column, remove, delete, with one error style`, async () => {
    assert.match(await ok(['groups', 'create', '--help']), /Example:\n {2}ssod groups create shop --provider accounts/);
    await refused(['groups', 'create', 'bad/name', '--provider', 'accounts'], /^ssod: "bad\/name" is not a group name; use 1–64 letters/);
    await refused(
      ['groups', 'create', 'shop', '--provider', 'nobody'],
      /^ssod: no application with id or name "nobody"; `ssod applications` shows them\n$/,
    );
    assert.match(await ok(['groups', 'create', 'shop', '--provider', 'accounts']), /^Created group shop with provider accounts/);
    await refused(['groups', 'create', 'shop', '--provider', shop.id], /^ssod: a group named shop exists; see ssod groups show shop\n$/);
    assert.match(await ok(['groups', 'add', 'shop', shop.id]), /1 user\(s\) it owned now belong to the provider/);
    await refused(
      ['groups', 'add', 'shop', 'shop'],
      /^ssod: application shop is the subscriber of group shop; an application belongs to at most one group\n$/,
    );
    await refused(
      ['users', 'set-owner', 'alice@example.com', shop.id],
      /^ssod: application shop is a subscriber of group shop and owns no users; give its provider instead \(ssod groups show shop\)\n$/,
    );
    await refused(['groups', 'add', 'nope', 'shop'], /^ssod: no group named nope; see ssod groups list\n$/);

    const shown = JSON.parse(await ok(['groups', 'show', 'shop', '--json'])) as ShownGroup;
    assert.deepEqual(shown.members, [
      { id: accounts.id, name: 'accounts', role: 'provider' },
      { id: shop.id, name: 'shop', role: 'subscriber' },
    ]);
    assert.equal(shown.users, 2, 'carol passed to the provider with alice');
    assert.match(await ok(['groups', 'show', 'shop']), /^ID\s+NAME\s+ROLE$/m);
    const listed = await ok(['groups']);
    assert.match(listed, /^NAME\s+PROVIDER\s+MEMBERS\s+CREATED$/m);
    assert.match(listed, /^shop\s+accounts\s+2\s+\d{4}-/m);
    for (const line of listed.split('\n')) assert.ok(line.length <= 100, line);
    const applications = await ok(['applications']);
    assert.match(applications, new RegExp(`^${accounts.id}\\s+accounts\\s+\\S+\\s+shop \\(provider\\)\\s+2\\s`, 'm'));
    assert.match(applications, new RegExp(`^${shop.id}\\s+shop\\s+\\S+\\s+shop\\s+0\\s`, 'm'));
    const listedJson = JSON.parse(await ok(['applications', '--json'])) as { id: string; group: string | null; groupRole: string | null }[];
    assert.deepEqual(
      listedJson.map(({ id, group, groupRole }) => ({ id, group, groupRole })),
      [
        { id: accounts.id, group: 'shop', groupRole: 'provider' },
        { id: shop.id, group: 'shop', groupRole: 'subscriber' },
      ],
      'for scripts: the group and the role apart',
    );

    // The running node answers by the group at once: the subscriber sees the provider's users and creates none.
    assert.equal((await call(ts, 'getUserId', { login: 'alice@example.com' }, { credentials: shop.credentials })).fault, undefined);
    assert.equal(
      (await call(ts, 'createUser', { login: 'dave@example.com', password: 'wonderland' }, { credentials: shop.credentials })).fault,
      'permissionDenied',
    );

    await refused(
      ['groups', 'remove', 'shop', 'accounts'],
      /^ssod: application accounts is the provider of group shop and cannot leave it; delete the group instead\n$/,
    );
    await refused(
      ['applications', 'unregister', accounts.id, '--force'],
      /^ssod: application accounts provides the users of group shop; delete the group first \(ssod groups delete shop\)\n$/,
    );
    await refused(
      ['groups', 'delete', 'shop'],
      /^ssod: group shop has 1 subscriber\(s\); deleting it ends every session of the group and ungroups them: --force to go ahead\n$/,
    );
    assert.match(await ok(['groups', 'remove', 'shop', 'shop']), /^Removed shop/);
    assert.match(await ok(['groups', 'delete', 'shop']), /^Deleted group shop; 0 session\(s\) ended, 1 application\(s\) ungrouped\./);
    assert.equal((await ok(['groups', 'list', '--json'])).trim(), '[]');
    const audit = await ok(['audit', '--json', '--type', 'group.created']);
    assert.match(audit, /group:shop/);
  });
}

describe('ssod groups on SQLite', () => groupCommands('sqlite'));
postgresSuite('ssod groups on PostgreSQL', () => groupCommands('postgres'));

describe('groups through ssod export and ssod import', () => {
  let source: Installation;
  let work: string | null = null;
  after(async () => {
    await ifAssigned(source)?.remove();
    if (work !== null) rmSync(work, { recursive: true, force: true });
  });

  test('an export carries each group with its provider and subscribers; an import into a new installation forms them again', async () => {
    source = await freshInstallation();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-groups-transfer-'));
    work = dir;
    const server = await source.serve();
    try {
      const accounts = await registerApp(server, 'https://accounts.example.com:443/', 'accounts');
      const shop = await registerApp(server, 'https://shop.example.com:443/', 'shop');
      await registerApp(server, 'https://blog.example.com:443/', 'blog');
      for (const args of [
        ['groups', 'create', 'shop', '--provider', accounts.id],
        ['groups', 'add', 'shop', shop.id],
      ]) {
        const result = await source.run(args);
        assert.equal(result.code, 0, result.stderr);
      }
    } finally {
      await server.close();
    }
    const file = path.join(dir, 'export.json');
    const target = path.join(dir, 'new');
    assert.equal((await source.run(['export', '--out', file])).code, 0);
    const imported = await runCli(['import', file, '--data-dir', target, '--create']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Imported 1 application group\(s\)/);
    const before = JSON.parse((await source.run(['groups', 'show', 'shop', '--json'])).stdout) as ShownGroup;
    const after = JSON.parse((await runCli(['groups', 'show', 'shop', '--data-dir', target, '--json'])).stdout) as ShownGroup;
    assert.deepEqual(after.members, before.members);
    // Importing again: the group is there already; --skip-existing leaves it out.
    const again = await runCli(['import', file, '--data-dir', target]);
    assert.equal(again.code, 1);
    const skipped = await runCli(['import', file, '--data-dir', target, '--skip-existing']);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /Left out 1 group\(s\)/);
  });
});
