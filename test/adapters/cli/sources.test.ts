// `ssod sources` and `ssod users sso` through the real binary against a real store, with a running
// server on the installation: what the commands change is what the server then follows (its
// /healthz lists the sources). Asking a real source (`ssod sources test` against a web service or
// a directory) is tested with the real servers in the sources' own tests; here, what is refused
// before any source is asked.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../../helpers/eventually.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { call, httpsRequest, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';

const BIND_SECRET = 'bind-secret-never-shown';

interface ShownSource {
  readonly name: string;
  readonly kind: string;
  readonly settings: Record<string, unknown> | null;
  readonly users: number;
  readonly someUsers: string[];
}

describe('ssod sources and ssod users sso', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  let bindPasswordFile: string;
  let caFile: string;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
    bindPasswordFile = path.join(inst.dataDir, 'bind.pw');
    writeFileSync(bindPasswordFile, BIND_SECRET + '\n', { mode: 0o600 });
    caFile = path.join(inst.dataDir, 'ca.crt'); // any PEM certificate will do as the CA of a source
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  const create = async (login: string, password = 'local password'): Promise<void> => {
    const created = await inst.run(['users', 'create', login, '--owner', panel.id, '--password-stdin'], { input: password });
    assert.equal(created.code, 0, created.stderr);
  };
  const addLdap = (name: string, ...more: string[]) =>
    inst.run([
      'sources',
      'add',
      name,
      '--ldap',
      'ldaps://ldap.example.com',
      '--search-base',
      'ou=people,dc=example,dc=com',
      '--bind-dn',
      'cn=ssod,ou=services,dc=example,dc=com',
      '--bind-password-file',
      bindPasswordFile,
      ...more,
    ]);
  const showSource = async (name: string): Promise<ShownSource> => {
    const shown = await inst.run(['sources', 'show', name, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    return JSON.parse(shown.stdout) as ShownSource;
  };

  test('sso on is refused while no source is configured, saying to add one with `ssod sources add`', async () => {
    await create('early@example.com');
    const refused = await inst.run(['users', 'sso', 'on', 'early@example.com', '--source', 'corp']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^ssod: no delegated source is configured; add one first with `ssod sources add NAME --web-service https:\/\//,
    );
    assert.equal(refused.stderr.trim().split('\n').length, 1);
    assert.match((await inst.run(['sources'])).stdout, /^\(none\)$/m);
  });

  test('add, list and show: the CA file is stored with the settings, the bind password is never shown; the server follows', async () => {
    const web = await inst.run([
      'sources',
      'add',
      'corp-ws',
      '--web-service',
      'https://auth.example.com/LJAuthenticate',
      '--ca-file',
      caFile,
      '--timeout',
      '5000',
    ]);
    assert.equal(web.code, 0, web.stderr);
    assert.match(web.stdout, /^Added source corp-ws \(web service, https:\/\/auth\.example\.com\/LJAuthenticate\)/);
    assert.match(web.stdout, /^Test it: ssod sources test corp-ws --login LOGIN$/m);
    const ldap = await addLdap('corp-ldap');
    assert.equal(ldap.code, 0, ldap.stderr);

    const listed = await inst.run(['sources', 'list']);
    assert.match(listed.stdout, /^NAME\s+KIND\s+URL\s+USERS\s+UPDATED$/m);
    assert.match(listed.stdout, /^corp-ldap\s+LDAP\s+ldaps:\/\/ldap\.example\.com\s+0\s/m);
    assert.match(listed.stdout, /^corp-ws\s+web service\s+https:\/\/auth\.example\.com\/LJAuthenticate\s+0\s/m);

    const shownWeb = await showSource('corp-ws');
    assert.equal(shownWeb.settings?.timeoutMs, 5000);
    assert.equal(shownWeb.settings.caPem, readFileSync(caFile, 'utf8'));
    const text = await inst.run(['sources', 'show', 'corp-ldap']);
    assert.match(text.stdout, /^bindPassword:\s+\(set\)$/m);
    assert.match(text.stdout, /^searchFilter:\s+\(uid=\{login\}\)$/m);
    assert.match(text.stdout, /^trusted CA:\s+the system's$/m);
    const json = await inst.run(['sources', 'show', 'corp-ldap', '--json']);
    for (const output of [text.stdout, json.stdout, listed.stdout, (await inst.run(['sources', '--json'])).stdout])
      assert.doesNotMatch(output, new RegExp(BIND_SECRET));

    const health = await eventually(
      async () => {
        const reply = await httpsRequest(ts, null, { path: '/healthz' });
        return reply.body.includes('corp-ws') && reply;
      },
      { timeoutMs: 10_000, what: '/healthz to list the sources' },
    );
    assert.equal(health.status, 200);
    assert.match(health.body, /^ok\nsource corp-ldap \(ldap\): circuit closed\nsource corp-ws \(webService\): circuit closed\n$/);
    assert.equal((await inst.run(['audit', '--type', 'source.added', '--json'])).code, 0);
  });

  test('a refused setting says what to give instead; a name taken is refused unless --replace', async () => {
    const refusals: readonly (readonly [readonly string[], number, RegExp])[] = [
      [['sources', 'add', 'x', '--web-service', 'http://auth.example.com/'], 1, /must start with https:\/\/ \(TLS is required\)/],
      [
        ['sources', 'add', 'x', '--ldap', 'ldap://ldap.example.com', '--search-base', 'dc=example'],
        1,
        /use StartTLS \(--start-tls\), or ldaps:\/\//,
      ],
      [['sources', 'add', 'x'], 2, /give exactly one of --web-service URL and --ldap URL/],
      [
        ['sources', 'add', 'x', '--web-service', 'https://a.example.com/', '--search-base', 'dc=x'],
        2,
        /--search-base is for an LDAP source/,
      ],
      [
        ['sources', 'add', 'x', '--web-service', 'https://a.example.com/', '--timeout', 'soon'],
        2,
        /--timeout must be a whole number of milliseconds/,
      ],
      [['sources', 'add', 'x', '--web-service', 'https://a.example.com/', '--pin', 'abc'], 1, /is not base64 of a SHA-256/],
      [['sources', 'add', 'bad name', '--web-service', 'https://a.example.com/'], 1, /the source name "bad name" is not allowed/],
      [
        ['sources', 'add', 'x', '--ldap', 'ldaps://l.example.com', '--search-base', 'dc=x', '--bind-dn', 'cn=ssod'],
        1,
        /--bind-password-file FILE, or run the command on a terminal/,
      ],
      [
        ['sources', 'add', 'corp-ws', '--web-service', 'https://other.example.com/'],
        1,
        /a source named corp-ws exists already; choose another name, or give --replace/,
      ],
    ];
    for (const [args, code, message] of refusals) {
      const refused = await inst.run(args);
      assert.equal(refused.code, code, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, message, args.join(' '));
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    }
    const replaced = await inst.run([
      'sources',
      'add',
      'corp-ws',
      '--web-service',
      'https://auth2.example.com/LJAuthenticate',
      '--replace',
    ]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /^Replaced the settings of source corp-ws/);
    assert.equal((await showSource('corp-ws')).settings?.url, 'https://auth2.example.com/LJAuthenticate');
  });

  test('sso on warns on stderr; users listings show the source; set-password of a delegated user is refused', async () => {
    await create('alice@example.com');
    const refused = await inst.run(['users', 'sso', 'on', 'alice@example.com', '--source', 'crop']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ssod: no source named "crop"; the configured sources are: corp-ldap, corp-ws$/m);

    const on = await inst.run(['users', 'sso', 'on', 'alice@example.com', '--source', 'corp-ldap']);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /^alice@example\.com signs in through source corp-ldap now; its local password is gone\.$/m);
    assert.match(
      on.stderr,
      /^ssod: warning: while the organization's directory cannot be reached this user cannot sign in; keep administrators on local passwords$/m,
    );
    assert.equal((await call(ts, 'authenticate', { login: 'alice@example.com', password: 'local password' })).fault, 'invalidCredentials');

    const listed = await inst.run(['users', 'list', '--login', 'alice@example.com']);
    assert.match(listed.stdout, /^\S+\s+alice@example\.com\s+enabled\s+corp-ldap\s/m);
    const shown = JSON.parse((await inst.run(['users', 'show', 'alice@example.com', '--json'])).stdout) as { source: string | null };
    assert.equal(shown.source, 'corp-ldap');
    assert.match(
      (await inst.run(['users', 'show', 'alice@example.com'])).stdout,
      /^password:\s+checked by source corp-ldap \(single sign-on\)$/m,
    );
    assert.deepEqual((await showSource('corp-ldap')).someUsers, ['alice@example.com']);

    const setPassword = await inst.run(['users', 'set-password', 'alice@example.com', '--password-stdin'], { input: 'x' });
    assert.equal(setPassword.code, 1);
    assert.match(
      setPassword.stderr,
      /signs in through source corp-ldap: its password is the directory's; .*`ssod users sso off alice@example\.com`/,
    );
  });

  test('remove is refused while a user has the source, with their number and how to list them', async () => {
    const refused = await inst.run(['sources', 'remove', 'corp-ldap']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^ssod: source corp-ldap is the source of 1 user\(s\): turn single sign-on off for each first \(`ssod users sso off USER`\); `ssod sources show corp-ldap` lists them\n$/,
    );
    assert.equal((await showSource('corp-ldap')).users, 1);
  });

  test('sso off needs a new local password: refused without one (no terminal here), then set from stdin; the user signs in locally', async () => {
    const refused = await inst.run(['users', 'sso', 'off', 'alice@example.com']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /needs a new local password for the user; give it with --password-file FILE or --password-stdin, or run the command on a terminal/,
    );
    assert.equal(
      (await inst.run(['users', 'show', 'alice@example.com', '--json'])).stdout.includes('"source": "corp-ldap"'),
      true,
      'nothing changed',
    );

    const off = await inst.run(['users', 'sso', 'off', 'alice@example.com', '--password-stdin'], { input: 'alice new local\n' });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /signs in with its new local password now, no longer through source corp-ldap/);
    assert.equal((await call(ts, 'authenticate', { login: 'alice@example.com', password: 'alice new local' })).fault, undefined);
    const again = await inst.run(['users', 'sso', 'off', 'alice@example.com']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /signs in with its local password already; nothing changed/);
  });

  test('sources test refuses an unknown source, and a password that standard input does not give, before asking any source', async () => {
    const unknown = await inst.run(['sources', 'test', 'nope', '--login', 'alice'], { input: 'pw' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ssod: no source named "nope"; the configured sources are: corp-ldap, corp-ws\n$/);
    const empty = await inst.run(['sources', 'test', 'corp-ldap', '--login', 'alice'], { input: '' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^ssod: no password was given; type the password of alice when asked, or give it on standard input/);
  });

  test('export carries the sources and each user’s source; import brings them (and a version 1 file still imports)', async () => {
    await create('bob@example.com');
    assert.equal((await inst.run(['users', 'sso', 'on', 'bob@example.com', '--source', 'corp-ws'])).code, 0);
    const exported = await inst.run(['export']);
    assert.equal(exported.code, 0, exported.stderr);
    const data = JSON.parse(exported.stdout) as {
      version: number;
      sources: { name: string; settings: Record<string, unknown> }[];
      users: { login: string; sourceName: string | null; passwordHash: string }[];
    };
    assert.ok(data.version >= 2, `export format ${String(data.version)} carries the sources`);
    assert.deepEqual(
      data.sources.map((source) => source.name),
      ['corp-ldap', 'corp-ws'],
    );
    assert.equal(data.sources[0]?.settings.bindPassword, BIND_SECRET, 'the export moves the whole installation');
    const bob = data.users.find((user) => user.login === 'bob@example.com');
    assert.deepEqual([bob?.sourceName, bob?.passwordHash], ['corp-ws', '']);

    const target = await freshInstallation();
    try {
      const file = path.join(target.dataDir, 'export.json');
      writeFileSync(file, exported.stdout, { mode: 0o600 });
      const imported = await target.run(['import', file]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /^Imported 2 delegated source\(s\)/m);
      const moved = JSON.parse((await target.run(['users', 'show', 'bob@example.com', '--json'])).stdout) as { source: string | null };
      assert.equal(moved.source, 'corp-ws');
      assert.equal(
        (JSON.parse((await target.run(['sources', 'show', 'corp-ldap', '--json'])).stdout) as ShownSource).settings?.bindPassword,
        '(set)',
      );

      const other = await freshInstallation();
      try {
        const old = {
          ...data,
          version: 1,
          sources: undefined,
          users: data.users.filter((user) => user.sourceName === null).map(({ sourceName: _, ...user }) => user),
        };
        const oldFile = path.join(other.dataDir, 'v1.json');
        writeFileSync(oldFile, JSON.stringify(old), { mode: 0o600 });
        const fromV1 = await other.run(['import', oldFile]);
        assert.equal(fromV1.code, 0, fromV1.stderr);
        assert.match(fromV1.stdout, /^Imported 1 application\(s\) and \d+ user\(s\)\.$/m);
        const orphan = {
          ...data,
          users: [{ ...bob, id: '00000000-0000-4000-8000-000000000001', login: 'orphan@example.com' }],
          sources: [],
        };
        writeFileSync(oldFile, JSON.stringify(orphan), { mode: 0o600 });
        const refused = await other.run(['import', oldFile, '--skip-existing']);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /signs in through source corp-ws, which is neither in the export nor in the installation/);
      } finally {
        await other.remove();
      }
    } finally {
      await target.remove();
    }
  });
});
