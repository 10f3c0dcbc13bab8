// `ssod users` and `ssod sessions` through the real binary against a real store, with a running
// server on the installation: what the commands change is what the SOAP API then answers.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';

interface ShownUser {
  readonly id: string;
  readonly login: string;
  readonly ownerId: string;
  readonly disabledAt: string | null;
}

describe('ssod users and ssod sessions', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  let billing: RegisteredApp;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve();
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
    billing = await registerApp(ts, 'https://billing.example.com:443/', 'billing');
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  const signIn = (login: string, password: string, baseUrl = panel.url) => call(ts, 'authenticate', { login, password, baseUrl });
  const create = (login: string, password: string, owner = panel.id) =>
    inst.run(['users', 'create', login, '--owner', owner, '--password-stdin'], { input: password + '\n' });
  const show = async (user: string): Promise<ShownUser> =>
    JSON.parse((await inst.run(['users', 'show', user, '--json'])).stdout) as ShownUser;

  test('create takes the password from stdin or a file, never argv; the user then signs in', async () => {
    const created = await create('Alice@Example.com', 'correct horse battery staple');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Created Alice@Example\.com \([0-9a-f-]{36}\), owned by panel\.$/m);
    assert.equal((await signIn('alice@example.com', 'correct horse battery staple')).fault, undefined);

    const file = path.join(inst.dataDir, 'bob.pw');
    writeFileSync(file, 'bob password\r\n', { mode: 0o600 });
    const fromFile = await inst.run(['users', 'create', 'bob@example.com', '--owner', billing.id, '--password-file', file, '--json']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as { ownerId: string }).ownerId, billing.id);
    assert.equal((await signIn('bob@example.com', 'bob password')).fault, undefined);

    const refusals = [
      [
        ['users', 'create', 'carol@example.com', '--owner', panel.id],
        undefined,
        /^ssod: no password given, or two; give it with either --password-file FILE or --password-stdin \(never on the command line\)$/m,
        2,
      ],
      [
        ['users', 'create', 'carol@example.com', '--owner', panel.id, '--password-stdin', '--password-file', file],
        'x',
        /give it with either --password-file FILE or --password-stdin/,
        2,
      ],
      [
        ['users', 'create', 'ALICE@example.com', '--owner', panel.id, '--password-stdin'],
        'x',
        /the login "ALICE@example\.com" is taken/,
        1,
      ],
      [
        ['users', 'create', 'carol@example.com', '--owner', 'no-such-app', '--password-stdin'],
        'x',
        /no application with id "no-such-app"; `ssod applications list` shows the ids/,
        1,
      ],
      [
        ['users', 'create', 'carol@example.com', '--owner', panel.id, '--password-stdin'],
        '\n',
        /password refused: The password must not be empty/,
        1,
      ],
    ] as const;
    await Promise.all(
      refusals.map(async ([args, input, message, status]) => {
        const refused = await inst.run(args, input === undefined ? {} : { input });
        assert.equal(refused.code, status, args.join(' '));
        assert.match(refused.stderr, message);
        assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
      }),
    );
    assert.equal((await inst.run(['users', 'show', 'carol@example.com'])).code, 1);
  });

  test('F43: a password file that is not valid UTF-8 is refused, never read with replacement characters', async () => {
    const file = path.join(inst.dataDir, 'latin1.pw');
    writeFileSync(file, Buffer.from([0x70, 0xe4, 0x73, 0x73]), { mode: 0o600 }); // "päss" in Latin-1
    const refused = await inst.run(['users', 'create', 'latin@example.com', '--owner', panel.id, '--password-file', file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the password is not valid UTF-8; save it as UTF-8 and try again/);
    assert.equal((await inst.run(['users', 'show', 'latin@example.com'])).code, 1);
  });

  test('list filters by login and owner, a page at a time; show finds a user by login or id', async () => {
    const created = await Promise.all(
      ['dave@example.org', 'erin@example.org', 'frank@example.org'].map((login) => create(login, 'pw ' + login)),
    );
    assert.deepEqual(
      created.map((result) => result.code),
      [0, 0, 0],
    );
    const listed = await inst.run(['users', 'list', '--login', 'EXAMPLE.ORG', '--limit', '2']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+LOGIN\s+STATE\s+SOURCE\s+CREATED$/m);
    assert.match(listed.stdout, /^\S+\s+dave@example\.org\s+enabled\s+local\s/m);
    const wide = await inst.run(['users', 'list', '--login', 'EXAMPLE.ORG', '--limit', '2', '--wide']);
    assert.match(wide.stdout, /^ID\s+LOGIN\s+OWNER\s+STATE\s+SOURCE\s+CREATED$/m);
    assert.match(wide.stdout, /^\S+\s+dave@example\.org\s+\S+\s+enabled\s+local\s/m);
    assert.match(listed.stdout, /dave@example\.org/);
    assert.match(listed.stdout, /erin@example\.org/);
    assert.doesNotMatch(listed.stdout, /frank/);
    assert.match(listed.stdout, /^More: --after "erin@example\.org"$/m);
    const next = JSON.parse((await inst.run(['users', '--login', 'example.org', '--after', 'erin@example.org', '--json'])).stdout) as {
      users: ShownUser[];
      next: string | null;
    };
    assert.deepEqual(
      next.users.map((user) => user.login),
      ['frank@example.org'],
    );
    assert.equal(next.next, null);
    const owned = JSON.parse((await inst.run(['users', 'list', '--owner', billing.id, '--json'])).stdout) as { users: ShownUser[] };
    assert.deepEqual(
      owned.users.map((user) => user.login),
      ['bob@example.com'],
    );

    const byLogin = await show('DAVE@example.org');
    assert.equal(byLogin.login, 'dave@example.org');
    assert.deepEqual(await show(byLogin.id), byLogin);
    const table = await inst.run(['users', 'show', byLogin.id]);
    assert.match(table.stdout, /^owner:\s+panel \(/m);
    assert.match(table.stdout, /^state:\s+enabled$/m);
    const bad = await inst.run(['users', 'list', '--limit', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--limit must be a whole number from 1 to 1000/);
  });

  test('set-password replaces the password; set-owner gives the user to another application; delete removes it', async () => {
    assert.equal((await create('grace@example.com', 'old password')).code, 0);
    const changed = await inst.run(['users', 'set-password', 'grace@example.com', '--password-stdin'], { input: 'new password' });
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal((await signIn('grace@example.com', 'old password')).fault, 'invalidCredentials');
    assert.equal((await signIn('grace@example.com', 'new password')).fault, undefined);

    const moved = await inst.run(['users', 'set-owner', 'grace@example.com', billing.id]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal((await show('grace@example.com')).ownerId, billing.id);
    const nowhere = await inst.run(['users', 'set-owner', 'grace@example.com', '00000000-0000-4000-8000-000000000000']);
    assert.equal(nowhere.code, 1);

    const id = (await show('grace@example.com')).id;
    const deleted = await inst.run(['users', 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await call(ts, 'getUser', { userId: id }, { credentials: billing.credentials })).fault, 'noSuchUser');
    const again = await inst.run(['users', 'delete', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no user with id or login/);
  });

  test('disable: the user cannot sign in (the fault of a wrong password) and its sessions end; enable lets it in again', async () => {
    assert.equal((await create('heidi@example.com', 'heidi password')).code, 0);
    const session = await signIn('heidi@example.com', 'heidi password');
    const sessionId = session.field('sessionId') ?? '';
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, undefined);

    const disabled = await inst.run(['users', 'disable', 'heidi@example.com']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /heidi@example\.com is disabled: it cannot sign in, and its 1 session\(s\) ended\./);
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, 'noSuchSession');
    const refused = await signIn('heidi@example.com', 'heidi password');
    const wrong = await signIn('heidi@example.com', 'not the password');
    assert.equal(refused.fault, 'invalidCredentials');
    assert.equal(refused.body, wrong.body);
    const vouched = await call(ts, 'authenticate', { login: 'heidi@example.com' }, { credentials: panel.credentials });
    assert.equal(vouched.fault, 'invalidCredentials');
    assert.notEqual((await show('heidi@example.com')).disabledAt, null);
    assert.match((await inst.run(['users', 'disable', 'heidi@example.com'])).stdout, /disabled already; nothing changed/);

    const enabled = await inst.run(['users', 'enable', 'heidi@example.com', '--json']);
    assert.deepEqual(JSON.parse(enabled.stdout), {
      id: (await show('heidi@example.com')).id,
      login: 'heidi@example.com',
      state: 'enabled',
      changed: true,
      sessionsEnded: 0,
    });
    assert.equal((await signIn('heidi@example.com', 'heidi password')).fault, undefined);
  });

  test('sessions: listed by user and by application; one ended by its id (everywhere), or all of a user', async () => {
    assert.equal((await create('ivan@example.com', 'ivan password')).code, 0);
    const first = await signIn('ivan@example.com', 'ivan password');
    await signIn('ivan@example.com', 'ivan password', billing.url);
    const listed = await inst.run(['sessions', 'list', '--user', 'ivan@example.com']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^SESSION\s+LOGIN\s+LAST SEEN\s+APPLICATIONS$/m);
    assert.match(
      (await inst.run(['sessions', 'list', '--user', 'ivan@example.com', '--wide'])).stdout,
      /^SESSION\s+LOGIN\s+STARTED\s+LAST SEEN\s+APPLICATIONS$/m,
    );
    const sessions = JSON.parse((await inst.run(['sessions', '--user', 'ivan@example.com', '--json'])).stdout) as {
      id: string;
      applications: string[];
    }[];
    assert.deepEqual(sessions.map((s) => s.applications).sort(), [[billing.url], [panel.url]]);
    const ofBilling = JSON.parse((await inst.run(['sessions', 'list', '--application', billing.id, '--json'])).stdout) as {
      id: string;
      login: string;
    }[];
    assert.ok(ofBilling.some((s) => s.login === 'ivan@example.com'));
    assert.ok(ofBilling.every((s) => sessions.some((mine) => mine.id === s.id) || s.login !== 'ivan@example.com'));

    const panelSession = sessions.find((s) => s.applications.includes(panel.url));
    const ended = await inst.run(['sessions', 'end', panelSession?.id ?? '']);
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal((await call(ts, 'verifySession', { sessionId: first.field('sessionId') ?? '' })).fault, 'noSuchSession');
    const gone = await inst.run(['sessions', 'end', panelSession?.id ?? '']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no live session/);

    const all = await inst.run(['sessions', 'end', '--user', 'ivan@example.com', '--json']);
    assert.deepEqual(JSON.parse(all.stdout), { ended: 1 });
    assert.deepEqual(JSON.parse((await inst.run(['sessions', '--user', 'ivan@example.com', '--json'])).stdout), []);
    await signIn('ivan@example.com', 'ivan password', billing.url);
    await signIn('ivan@example.com', 'ivan password');
    const ofApplication = await inst.run(['sessions', 'end', '--application', billing.id, '--user', 'ivan@example.com']);
    assert.equal(ofApplication.code, 0, ofApplication.stderr);
    assert.match(ofApplication.stdout, /^1 session\(s\) of ivan@example\.com that reached billing ended\.$/m);
    const left = JSON.parse((await inst.run(['sessions', '--user', 'ivan@example.com', '--json'])).stdout) as { applications: string[] }[];
    assert.deepEqual(
      left.map((s) => s.applications),
      [[panel.url]],
      'the session that never reached billing is live',
    );
    const neither = await inst.run(['sessions', 'end']);
    assert.equal(neither.code, 2, 'a missing argument is a usage error');
    assert.match(neither.stderr, /^ssod: name the sessions to end; give one session id/);
  });
});
