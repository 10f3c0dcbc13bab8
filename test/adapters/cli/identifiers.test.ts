// Logins and names at the operator's commands, through the real binary: `ssod users create` takes
// logins by the same rules as createUser, and values that an older installation stored (or an
// attacker's failed sign-in left in the audit trail) with newlines, controls and bidirectional
// controls print as escaped single lines, never as forged rows.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { defined } from '../../helpers/defined.js';

const PASSWORD = 'correct horse battery staple';
const FAKE_ID = '00000000-0000-4000-8000-000000000000';
// A value that, printed raw, would end its row and add a row of the attacker's choosing.
const FORGED_ROW = `\n${FAKE_ID}  bank  https://bank.example.com:443/`;
// What a terminal must never receive from a stored value.
const RAW_CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

describe('identifiers at the operator commands', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  const forged = { appId: randomUUID(), userId: randomUUID() };
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
    const created = await inst.run(['users', 'create', 'sasha@example.com', '--owner', panel.id, '--password-stdin'], { input: PASSWORD });
    assert.equal(created.code, 0, created.stderr);

    // Through the store layer, as an older ssod stored them (it checked none of this).
    const store = ts.server.services.store;
    const sasha = await store.findUserByLoginKey('sasha@example.com');
    assert.ok(sasha !== null);
    const now = Date.now();
    await store.insertApplication(
      {
        id: forged.appId,
        name: `evil${FORGED_ROW}`,
        displayName: '\u202Elenap',
        version: '1\u0085\u009B31m',
        capabilities: '',
        url: 'https://evil.example.com:443/',
        restorePasswordUrl: null,
        changePasswordUrl: null,
        createdAt: now,
      },
      {
        fingerprint: randomBytes(32).toString('hex'),
        applicationId: forged.appId,
        serial: '01',
        issuedAt: now,
        notAfter: now + 86_400_000,
        firstUsedAt: null,
        retiredAt: null,
      },
    );
    const login = `mallory\u202E${FORGED_ROW}\u2028`;
    await store.insertUser({ ...sasha, id: forged.userId, login, loginKey: login.toLowerCase(), ownerId: forged.appId });
    await store.appendAudit({
      at: now,
      type: 'authentication.failed',
      actor: 'guest',
      target: `login:${login}`,
      outcome: 'unknownUser',
      detail: { login, address: '192.0.2.7' },
    });
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  /** Runs the command; its output must be escaped single lines: no raw control, no forged row. */
  const printed = async (args: string[]): Promise<string[]> => {
    const result = await inst.run(args);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.replace(/\n$/, '').split('\n');
    for (const line of lines) {
      assert.doesNotMatch(line, RAW_CONTROL, `${args.join(' ')}: ${JSON.stringify(line)}`);
      assert.ok(!line.startsWith(FAKE_ID), `${args.join(' ')} printed a forged row: ${JSON.stringify(line)}`);
    }
    return lines;
  };

  /** A table wrapped to 100 columns: the header and each row's id start a line; every other line, a continuation, starts blank. */
  const assertOnlyRowsStartALine = (lines: readonly string[], ids: readonly string[]): void => {
    const starts = lines.filter((line) => /^\S/.test(line));
    assert.equal(starts.length, 1 + ids.length, lines.join('\n'));
    for (const id of ids)
      assert.ok(
        starts.some((line) => line.startsWith(id)),
        `${id} starts a row:\n${lines.join('\n')}`,
      );
  };

  test('F44: `ssod users create` folds a fullwidth look-alike to the existing login and refuses the zero-width, U+202E, U+034F and long s ones', async () => {
    const create = (login: string) =>
      inst.run(['users', 'create', login, '--owner', panel.id, '--password-stdin'], { input: 'another password' });
    const fullwidth = await create('ｓａｓｈａ@example.com');
    assert.equal(fullwidth.code, 1);
    assert.match(fullwidth.stderr, /^ssod: the login "ｓａｓｈａ@example\.com" is taken; choose another/);
    for (const [lookAlike, codePoint] of [
      ['sa\u200Bsha@example.com', 'U\\+200B'],
      ['\u202Esasha@example.com', 'U\\+202E'],
      ['sa\u034Fsha@example.com', 'U\\+034F'],
      ['\u017Fasha@example.com', 'U\\+017F'],
    ] as const) {
      const refused = await create(lookAlike);
      assert.equal(refused.code, 1, JSON.stringify(lookAlike));
      assert.match(refused.stderr, new RegExp(`^ssod: The login may not hold ${codePoint}: .*\\n$`), JSON.stringify(lookAlike));
    }
    const listed = JSON.parse((await inst.run(['users', 'list', '--owner', panel.id, '--json'])).stdout) as { users: { login: string }[] };
    assert.deepEqual(
      listed.users.map((user) => user.login),
      ['sasha@example.com'],
    );
  });

  test('F45: `ssod applications` and `ssod applications show` print a stored name with a newline, C1 controls and U+202E escaped on one line', async () => {
    const list = await printed(['applications', '--wide']);
    assert.equal(list.length, 3, list.join('\n')); // the header, panel, the forged one
    const row = list.find((line) => line.startsWith(forged.appId)) ?? '';
    assert.ok(row.includes(`evil\\n${FAKE_ID}  bank  https://bank.example.com:443/`), row);
    assertOnlyRowsStartALine(await printed(['applications']), [panel.id, forged.appId]);

    const shown = (await printed(['applications', 'show', forged.appId])).join('\n');
    assert.ok(shown.includes('\\u{202e}lenap'), shown);
    assert.ok(shown.includes('1\\u{85}\\u{9b}31m'), shown);
  });

  test('F45: `ssod users list`, `ssod users show` and `ssod audit` print a stored login with a newline and bidirectional controls escaped on one line', async () => {
    const users = await printed(['users', 'list', '--wide']);
    assert.equal(users.length, 3, users.join('\n')); // the header, sasha, mallory
    assert.ok(
      users.some((line) => line.startsWith(forged.userId) && line.includes(`mallory\\u{202e}\\n${FAKE_ID}  bank`)),
      users.join('\n'),
    );
    const sasha = JSON.parse((await inst.run(['users', 'show', 'sasha@example.com', '--json'])).stdout) as { id: string };
    assertOnlyRowsStartALine(await printed(['users', 'list']), [sasha.id, forged.userId]);
    const shown = (await printed(['users', 'show', forged.userId])).join('\n');
    assert.ok(shown.includes(`mallory\\u{202e}\\n${FAKE_ID}`), shown);
    const audit = await printed(['audit', '--type', 'authentication.failed', '--wide']);
    assert.equal(audit.length, 2, audit.join('\n'));
    assert.ok(audit[1]?.includes('\\u{2028}'), audit[1]);
    // Wrapped to 100 columns, the escaped value continues on lines that start blank: none can pass for an event.
    const wrapped = await printed(['audit', '--type', 'authentication.failed']);
    assert.deepEqual(
      wrapped.map((line) => /^\S/.test(line)),
      [true, true, ...wrapped.slice(2).map(() => false)],
      wrapped.join('\n'),
    );
  });

  test('F45: sentences and refusals of the commands quote a stored login or name escaped, on one line', async () => {
    const disabled = await printed(['users', 'disable', forged.userId]);
    assert.equal(disabled.length, 1, disabled.join('\n'));
    assert.match(disabled[0] ?? '', /^mallory\\u\{202e\}\\n0{8}-.* is disabled/);

    const mode = (await printed(['mode'])).join('\n');
    assert.ok(mode.includes(`evil\\n${FAKE_ID}  bank`), mode);
    const refused = await inst.run(['applications', 'unregister', forged.appId]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^ssod: evil\\\\n${FAKE_ID}  bank .* owns 1 user\\(s\\);[^\\n]*\\n$`));
  });

  test('F45: JSON output keeps the stored values exact, with every control, bidirectional control and separator as a \\u escape', async () => {
    const login = `mallory\u202E${FORGED_ROW}\u2028`;
    for (const args of [
      ['users', 'show', forged.userId, '--json'],
      ['applications', 'show', forged.appId, '--json'],
      ['audit', '--target', `user:${forged.userId}`, '--json'],
      ['audit', '--type', 'authentication.failed', '--json'],
      ['export'],
    ]) {
      const result = await inst.run(args);
      assert.equal(result.code, 0, result.stderr);
      for (const line of result.stdout.replace(/\n$/, '').split('\n')) {
        assert.doesNotMatch(line, RAW_CONTROL, `${args.join(' ')}: ${JSON.stringify(line)}`);
        assert.match(line, /^\s*[[\]{}"0-9a-z-]/, args.join(' ')); // every line is JSON's own
      }
    }
    const shown = await inst.run(['users', 'show', forged.userId, '--json']);
    assert.equal((JSON.parse(shown.stdout) as { login: string }).login, login);
    assert.match(shown.stdout, /mallory\\u202e\\n0{8}-.*\\u2028"/);
    const app = await inst.run(['applications', 'show', forged.appId, '--json']);
    const parsed = JSON.parse(app.stdout) as { name: string; displayName: string; version: string };
    assert.deepEqual([parsed.name, parsed.displayName, parsed.version], [`evil${FORGED_ROW}`, '\u202Elenap', '1\u0085\u009B31m']);
    const audit = await inst.run(['audit', '--type', 'authentication.failed', '--json']);
    const records = JSON.parse(audit.stdout) as { target: string; detail: { login?: string } }[];
    assert.ok(
      records.some((record) => record.target === `login:${login}` && record.detail.login === login),
      audit.stdout,
    );
  });

  test('F45: `ssod import` refuses an application name with a newline and a login with U+202E, naming the field', async () => {
    const file = path.join(inst.dataDir, 'export.json');
    const exported = await inst.run(['export', '--out', file]);
    assert.equal(exported.code, 0, exported.stderr);
    const data = JSON.parse(readFileSync(file, 'utf8')) as { applications: { id: string; name: string }[]; users: { login: string }[] };
    const other = await freshInstallation();
    try {
      const panelIndex = data.applications.findIndex((app) => app.id === panel.id);
      const cases = [
        [
          (copy: typeof data) =>
            void (copy.applications[panelIndex] = {
              ...defined(copy.applications[panelIndex], 'the exported panel'),
              name: `panel${FORGED_ROW}`,
            }),
          `applications\\[${panelIndex}\\]: name may not hold U\\+000A`,
        ],
        [
          (copy: typeof data) => void (copy.users[0] = { ...defined(copy.users[0], 'an exported user'), login: '\u202Esasha@example.com' }),
          'users\\[0\\]\\.login: The login may not hold U\\+202E',
        ],
      ] as const;
      for (const [change, message] of cases) {
        const copy = JSON.parse(JSON.stringify(data)) as typeof data;
        // Only the records this case is about: the forged ones of this installation are refused too.
        copy.applications = copy.applications.filter((app) => app.id === panel.id);
        copy.users = copy.users.filter((user) => user.login === 'sasha@example.com');
        change(copy);
        writeFileSync(file, JSON.stringify(copy), { mode: 0o600 });
        const refused = await other.run(['import', file]);
        assert.equal(refused.code, 1, refused.stdout);
        assert.match(refused.stderr, new RegExp(message));
      }
    } finally {
      await other.remove();
    }
  });
});
