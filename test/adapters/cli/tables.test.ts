// Every table an operator command prints fits a terminal of 100 columns, through the real binary, on
// an installation whose values are long (logins, URLs, a federated id, a locked login); `--wide`
// shows every column at full width, as it was before wrapping, and `--json` stays whole.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { samlFixturePath } from '../../helpers/identityProviders.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { defined, ifAssigned } from '../../helpers/defined.js';
import type { CliResult } from '../../helpers/cli.js';

const LONG_LOGIN = 'alice.with-a-rather-long-name@customer-company.example.com';
const LONG_URL = 'https://control-panel.hosting-provider.example.com:8443/';
const LONG_GROUP = 'customers-shared-by-the-control-panel-and-billing-of-the-host';
/** The longest name an administrator may have: 64 characters. */
const LONG_ADMIN = 'administrator-of-the-control-panel-and-the-billing-system-of-the';

/** The widest line of a command's output. */
function widthOf(text: string): number {
  return Math.max(...text.split('\n').map((line) => line.length));
}

describe('tables of the operator commands', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1, maxLoginFailures: 2, logLevel: 'warn' });
    panel = await registerApp(ts, LONG_URL, 'control-panel-of-the-hosting-provider');
    const billing = await registerApp(ts, 'https://billing.hosting-provider.example.com:8443/', 'billing');
    for (const login of [LONG_LOGIN, 'bob@example.com']) {
      assert.equal((await call(ts, 'createUser', { login, password: 'pw' }, { credentials: panel.credentials })).status, 200);
      assert.equal((await call(ts, 'authenticate', { login, password: 'pw', baseUrl: panel.url })).status, 200);
    }
    // Two failures lock the long login (maxLoginFailures 2): `ssod locks` has a long key.
    for (let i = 0; i < 2; i += 1)
      assert.equal(
        (await call(ts, 'authenticate', { login: LONG_LOGIN, password: 'x', baseUrl: billing.url })).fault,
        'invalidCredentials',
      );
    const setup: string[][] = [
      ['sources', 'add', 'corp-directory', '--web-service', 'https://authentication.corp.example.com/services/LJAuthenticate'],
      ['receivers', 'add', 'billing-de', '--domain', 'example.de', '--url', 'https://applications.example.de/.ssod/'],
      [
        'idps',
        'add',
        'corp-idp',
        '--issuer',
        'https://identity.corp.example.com/simplesaml/saml2/idp/metadata.php',
        '--sign-in-url',
        'https://identity.corp.example.com/simplesaml/saml2/idp/SSOService.php',
        '--certificate-file',
        samlFixturePath('idp-signing.pem'),
      ],
      ['users', 'link', LONG_LOGIN, '--idp', 'corp-idp', '--federated-id', `urn:oid:1.3.6.1.4.1.5923.1.1.1.6:${LONG_LOGIN}`],
      ['groups', 'create', LONG_GROUP, '--provider', panel.id],
      ['groups', 'add', LONG_GROUP, billing.id],
    ];
    for (const args of setup) {
      const result = await inst.run(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    const admin = await inst.run(['admins', 'add', LONG_ADMIN, '--password-stdin'], { input: 'a long console password\n' });
    assert.equal(admin.code, 0, admin.stderr);
  });
  after(async () => {
    await ifAssigned(ts)?.close();
    await ifAssigned(inst)?.remove();
  });

  /** Each command that prints a table, with the column that only --wide shows (or null when all fit). */
  const tables = (): { readonly args: string[]; readonly wideOnly: RegExp | null }[] => [
    { args: ['applications'], wideOnly: /CERTIFICATE EXPIRES/ },
    { args: ['applications', 'list'], wideOnly: /CERTIFICATE EXPIRES/ },
    { args: ['applications', 'show', panel.id], wideOnly: /SERIAL/ },
    { args: ['users'], wideOnly: /OWNER/ },
    { args: ['users', 'list'], wideOnly: /OWNER/ },
    { args: ['users', 'links', LONG_LOGIN], wideOnly: null },
    { args: ['sessions'], wideOnly: /STARTED/ },
    { args: ['sessions', 'list'], wideOnly: /STARTED/ },
    { args: ['locks'], wideOnly: null },
    { args: ['tickets'], wideOnly: /ALGORITHM/ },
    { args: ['tickets', 'keys'], wideOnly: /ALGORITHM/ },
    { args: ['receivers'], wideOnly: null },
    { args: ['sources'], wideOnly: null },
    { args: ['idps'], wideOnly: null },
    { args: ['settings'], wideOnly: /DEFAULT/ },
    { args: ['audit'], wideOnly: /ACTOR/ },
    { args: ['groups'], wideOnly: null },
    { args: ['groups', 'list'], wideOnly: null },
    { args: ['groups', 'show', LONG_GROUP], wideOnly: null },
    { args: ['admins'], wideOnly: /ADDED/ },
    { args: ['admins', 'list'], wideOnly: /ADDED/ },
  ];

  interface Printed {
    readonly args: string[];
    readonly wideOnly: RegExp | null;
    readonly narrow: CliResult;
    readonly wide: CliResult;
    readonly json: CliResult;
  }
  /** Each table command's output as printed, with --wide and with --json; run once for the tests below. */
  let printed: Promise<Printed[]> | undefined;
  const outputs = (): Promise<Printed[]> =>
    (printed ??= (async () => {
      const all: Printed[] = [];
      for (const table of tables()) {
        const [narrow, wide, json] = await Promise.all(
          ['', '--wide', '--json'].map((flag) => inst.run(flag === '' ? table.args : [...table.args, flag])),
        );
        all.push({ ...table, narrow: defined(narrow, 'narrow'), wide: defined(wide, 'wide'), json: defined(json, 'json') });
      }
      return all;
    })());

  test('without --wide every table fits 100 columns and still holds every row', async () => {
    for (const { args, narrow, json } of await outputs()) {
      const name = `ssod ${args.join(' ')}`;
      assert.equal(narrow.code, 0, `${name}: ${narrow.stderr}`);
      assert.ok(widthOf(narrow.stdout) <= 100, `${name} is ${widthOf(narrow.stdout)} columns wide:\n${narrow.stdout}`);
      assert.doesNotMatch(narrow.stdout, /^\(none\)$/m, `${name} has rows to show`);
      assert.equal(json.code, 0, `${name} --json: ${json.stderr}`);
      assert.doesNotThrow(() => JSON.parse(json.stdout) as unknown, `${name} --json`);
    }
  });

  test('--wide shows every column at full width: the columns left out, ids and times whole', async () => {
    for (const { args, wideOnly, narrow, wide } of await outputs()) {
      const name = `ssod ${args.join(' ')} --wide`;
      assert.equal(wide.code, 0, `${name}: ${wide.stderr}`);
      if (wideOnly !== null) {
        assert.match(wide.stdout, wideOnly, name);
        assert.doesNotMatch(narrow.stdout, wideOnly, `ssod ${args.join(' ')} leaves it out`);
      }
      // Nothing is wrapped: a value that the narrow table broke over lines is on one line here.
      for (const whole of [LONG_LOGIN, panel.url, LONG_GROUP]) {
        if (narrow.stdout.includes(whole.slice(0, 12)) && !narrow.stdout.includes(whole))
          assert.ok(wide.stdout.includes(whole), `${name} shows ${whole} whole`);
      }
    }
    const sessions = (await outputs()).find(({ args }) => args.join(' ') === 'sessions');
    assert.match(sessions?.wide.stdout ?? '', /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/, 'times with their milliseconds');
  });

  test('ids that the next command needs are never wrapped', async () => {
    const all = await outputs();
    const json = (args: string): unknown =>
      JSON.parse(
        defined(
          all.find((table) => table.args.join(' ') === args),
          args,
        ).json.stdout,
      );
    const ids = [
      ...(json('users') as { users: { id: string }[] }).users.map((user) => user.id),
      ...(json('sessions') as { id: string }[]).map((session) => session.id),
      ...(json('tickets') as { kid: string }[]).map((key) => key.kid),
      panel.id,
      ...(json(`applications show ${panel.id}`) as { certificates: { fingerprint: string }[] }).certificates.map((c) => c.fingerprint),
      LONG_GROUP,
      LONG_ADMIN,
    ];
    const shown = all.map((table) => table.narrow.stdout).join('\n');
    for (const id of ids) assert.ok(shown.includes(id), `${id} on one line`);
  });
});
