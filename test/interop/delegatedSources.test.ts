// Delegated sources with real servers, as an operator and an application meet them: PHP's
// SoapServer as an organization's LJAuthenticate web service (behind TLS with a certificate of a
// test CA) and OpenLDAP's slapd over LDAPS, configured with the real binary (`ssod sources add`,
// `ssod users sso on`), tried with `ssod sources test`, and signed in through the SOAP API of a
// running server, which follows the store.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { freshInstallation, type Installation } from '../helpers/installation.js';
import { startLjService, type LjService } from '../helpers/ljService.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const PANEL = 'https://panel.example.com:8443/';
const CAROL_PASSWORD = 'directory password of carol';

describe(
  'delegated sources with a real web service (PHP SoapServer) and a real directory (slapd)',
  { skip: skipWithout([TOOLS.phpSoap, TOOLS.openLdap]), timeout: 120_000 },
  () => {
    let inst: Installation;
    let ts: TestServer;
    let panel: RegisteredApp;
    let lj: LjService;
    let slapd: Slapd;
    let files: { wsCa: string; ldapCa: string; bindPassword: string };
    before(async () => {
      inst = await freshInstallation();
      [ts, lj, slapd] = await Promise.all([inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 }), startLjService(), startSlapd()]);
      await slapd.addUser('carol', CAROL_PASSWORD);
      panel = await registerApp(ts, PANEL, 'panel');
      files = {
        wsCa: path.join(inst.dataDir, 'ws-ca.pem'),
        ldapCa: path.join(inst.dataDir, 'ldap-ca.pem'),
        bindPassword: path.join(inst.dataDir, 'bind.pw'),
      };
      writeFileSync(files.wsCa, lj.caPem);
      writeFileSync(files.ldapCa, slapd.caPem);
      writeFileSync(files.bindPassword, slapd.servicePassword + '\n', { mode: 0o600 });
    });
    after(async () => {
      await ts.close();
      await Promise.all([lj.stop(), slapd.stop()]);
      await inst.remove();
    });

    const cli = async (args: readonly string[], input?: string) => inst.run(args, input === undefined ? {} : { input });
    const ok = async (args: readonly string[], input?: string): Promise<string> => {
      const result = await cli(args, input);
      assert.equal(result.code, 0, `ssod ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    const authenticate = (login: string, password: string, extra: Record<string, string> = {}) =>
      call(ts, 'authenticate', { login, password, baseUrl: PANEL, ...extra }, { credentials: panel.credentials });
    /** The server follows the store within a couple of seconds: the first sign-ins may still miss a new source. */
    const signedIn = (login: string, password: string) =>
      eventually(
        async () => {
          const reply = await authenticate(login, password);
          return reply.fault === undefined && reply;
        },
        { timeoutMs: 10_000, what: `${login} to sign in through the source` },
      );

    test('the web service: added with its CA file, `ssod sources test` says what it answered for a right and a wrong password', async () => {
      await ok(['sources', 'add', 'corp-ws', '--web-service', lj.url, '--ca-file', files.wsCa]);
      assert.match(await ok(['sources', 'test', 'corp-ws', '--login', 'alice'], 'correct horse\n'), /authenticated/);
      const wrong = await cli(['sources', 'test', 'corp-ws', '--login', 'alice'], 'wrong horse\n');
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stdout + wrong.stderr, /rejected/);
    });

    test('the web service: a user with single sign-on signs in through SOAP with the password the service knows; the service sees ssox:originatingIp', async () => {
      await ok(['users', 'create', 'alice', '--owner', panel.id, '--password-stdin'], 'a local password\n');
      await ok(['users', 'sso', 'on', 'alice', '--source', 'corp-ws']);
      const reply = await signedIn('alice', 'correct horse');
      assert.ok(reply.field('sessionId')?.startsWith(PANEL));
      assert.equal((await authenticate('alice', 'a local password')).fault, 'invalidCredentials', 'the local password is gone');
      assert.equal((await authenticate('alice', 'wrong horse')).fault, 'invalidCredentials');
      const withAddress = await call(
        ts,
        'authenticate',
        { login: 'alice', password: 'correct horse', baseUrl: PANEL },
        { credentials: panel.credentials, extensions: { originatingIp: '203.0.113.9' } },
      );
      assert.equal(withAddress.status, 200, withAddress.body);
      const seen = await lj.lastRequest();
      assert.equal(seen.username, 'alice');
      assert.equal(seen.originatingIp, '203.0.113.9');
    });

    test('the directory: search-then-bind over LDAPS; `ssod sources test` and SOAP sign-ins; G49: a filter metacharacter login binds nobody', async () => {
      await ok([
        'sources',
        'add',
        'corp-ldap',
        '--ldap',
        slapd.ldapsUrl,
        '--ca-file',
        files.ldapCa,
        '--bind-dn',
        slapd.serviceDn,
        '--bind-password-file',
        files.bindPassword,
        '--search-base',
        slapd.peopleDn,
      ]);
      assert.match(await ok(['sources', 'test', 'corp-ldap', '--login', 'carol'], CAROL_PASSWORD + '\n'), /authenticated/);
      for (const login of ['*', '*)(uid=*', 'car*']) {
        const injected = await cli(['sources', 'test', 'corp-ldap', '--login', login], CAROL_PASSWORD + '\n');
        assert.notEqual(injected.code, 0, login);
        assert.match(injected.stdout + injected.stderr, /rejected/, login);
      }
      await ok(['users', 'create', 'carol', '--owner', panel.id, '--password-stdin'], 'a local password\n');
      await ok(['users', 'sso', 'on', 'carol', '--source', 'corp-ldap']);
      assert.ok((await signedIn('carol', CAROL_PASSWORD)).field('userId'));
      assert.equal((await authenticate('carol', 'not the password')).fault, 'invalidCredentials');
    });

    test('a source in use is not removed; an unreachable service fails the sign-in and the audit trail says why', async () => {
      const refused = await cli(['sources', 'remove', 'corp-ldap']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /1 user/);
      await lj.stop();
      assert.equal((await authenticate('alice', 'correct horse')).fault, 'invalidCredentials');
      const trail = JSON.parse(await ok(['audit', '--type', 'authentication.failed', '--json'])) as { outcome: string }[];
      assert.ok(
        trail.some((record) => record.outcome === 'sourceUnavailable'),
        JSON.stringify(trail.map((r) => r.outcome)),
      );
    });
  },
);
