// The LDAP source against a real OpenLDAP slapd (test/helpers/slapd.ts): search-then-bind and the
// bind DN template, TLS from the start and by StartTLS, the login escaped wherever it goes, and
// every way the directory can fail to answer.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { Client } from 'ldapts';
import type { LdapSettings, SourceAnswer } from '../../../src/core/ports/delegated.js';
import { createLogger } from '../../../src/infra/log.js';
import { escapeDnValue, escapeFilterValue, openLdapSource } from '../../../src/infra/sources/ldap.js';
import { spkiPinOf } from '../../../src/infra/sources/tls.js';
import { defined } from '../../helpers/defined.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/ports.js';
import { startSlapd, type Slapd } from '../../helpers/slapd.js';
import { TOOLS, skipWithout } from '../../helpers/tools.js';

const ALICE_PASSWORD = 'alice: correct horse';
const BOB_PASSWORD = 'bob (battery) staple*';
const CAROL_PASSWORD = 'carol, of staff';
const ZOE_PASSWORD = 'zoë’s pässword';

const logLines: string[] = [];
const log = createLogger('debug', (line) => logLines.push(line));

async function checkWith(settings: LdapSettings, login: string, password: string): Promise<SourceAnswer> {
  const source = openLdapSource(settings, { log });
  try {
    return await source.checkPassword({ login, password, originatingIp: '192.0.2.10' });
  } finally {
    await source.close();
  }
}

function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  return work.then((value) => ({ value, ms: performance.now() - start }));
}

/** The failure an answer holds; the test fails if the source said yes. */
function failureOf(answer: SourceAnswer): Extract<SourceAnswer, { ok: false }> {
  if (answer.ok) assert.fail('the source said yes');
  return answer;
}

const OK: SourceAnswer = { ok: true };
const rejected = (detail: string): SourceAnswer => ({ ok: false, cause: 'rejected', detail });

/** Where a check ended for a settings' transport, whatever the directory. */
function transport(url: string, overrides: Partial<LdapSettings> = {}): LdapSettings {
  return {
    kind: 'ldap',
    url,
    startTls: false,
    connectTimeoutMs: 3_000,
    timeoutMs: 5_000,
    bindDnTemplate: 'uid={login},ou=people,dc=example,dc=test',
    ...overrides,
  };
}

describe('escaping the login', () => {
  test('escapeDnValue escapes what RFC 4514 reserves and leaves other characters', () => {
    assert.equal(escapeDnValue('alice'), 'alice');
    assert.equal(escapeDnValue('a,b+c=d"e;f<g>h\\i'), 'a\\,b\\+c\\=d\\"e\\;f\\<g\\>h\\\\i');
    assert.equal(escapeDnValue(' #lead'), '\\ #lead', 'a leading space is escaped; # only when first');
    assert.equal(escapeDnValue('#x'), '\\#x');
    assert.equal(escapeDnValue('trail '), 'trail\\ ');
    assert.equal(escapeDnValue('nul\0tab\t'), 'nul\\00tab\\09');
    assert.equal(escapeDnValue(' '), '\\ ', 'a lone space is escaped once');
    assert.equal(escapeDnValue('  '), '\\ \\ ');
    assert.equal(escapeDnValue('a\u0085b'), 'a\\c2\\85b', 'a C1 control as the hex of its UTF-8 bytes');
    assert.equal(escapeDnValue('zoë'), 'zoë');
  });

  test('escapeFilterValue escapes * ( ) \\ and NUL as RFC 4515 says, and keeps UTF-8 as it is', () => {
    assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('a\\b\0'), 'a\\5cb\\00');
    assert.equal(escapeFilterValue('zoë'), 'zoë');
  });
});

describe('the LDAP source against a real slapd', { skip: skipWithout([TOOLS.openLdap]) }, () => {
  let slapd: Slapd;
  let aliceDn: string;

  before(async () => {
    slapd = await startSlapd();
    aliceDn = await slapd.addUser('alice', ALICE_PASSWORD, 'Alice Liddell');
    await slapd.addUser('bob', BOB_PASSWORD);
    await slapd.addUser('zoë', ZOE_PASSWORD);
    await slapd.addUser('twin1', 'twin password', 'Twin');
    await slapd.addUser('twin2', 'twin password', 'Twin');
    // A user deeper in the tree, whose DN a login with DN syntax in it would reach if not escaped.
    await slapd.add(`ou=staff,${slapd.peopleDn}`, { objectClass: 'organizationalUnit', ou: 'staff' });
    await slapd.add(`uid=carol,ou=staff,${slapd.peopleDn}`, {
      objectClass: 'inetOrgPerson',
      uid: 'carol',
      cn: 'carol',
      sn: 'carol',
      userPassword: CAROL_PASSWORD,
    });
  });
  after(() => slapd.stop());

  /** Search-then-bind over LDAPS with the service account. */
  const searching = (overrides: Partial<LdapSettings> = {}): LdapSettings => ({
    kind: 'ldap',
    url: slapd.ldapsUrl,
    startTls: false,
    caPem: slapd.caPem,
    connectTimeoutMs: 3_000,
    timeoutMs: 5_000,
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    searchBase: slapd.baseDn,
    ...overrides,
  });
  const templated = (template: string, overrides: Partial<LdapSettings> = {}): LdapSettings =>
    searching({ bindDn: undefined, bindPassword: undefined, searchBase: undefined, bindDnTemplate: template, ...overrides });

  test('search-then-bind over LDAPS: the right password is accepted, a wrong one and an unknown login rejected', async () => {
    assert.deepEqual(await checkWith(searching(), 'alice', ALICE_PASSWORD), OK);
    assert.deepEqual(await checkWith(searching(), 'alice', 'wrong'), rejected('invalid credentials'));
    assert.deepEqual(await checkWith(searching(), 'alice', ALICE_PASSWORD.toUpperCase()), rejected('invalid credentials'));
    assert.deepEqual(await checkWith(searching(), 'mallory', ALICE_PASSWORD), rejected('no such login'));
    assert.deepEqual(await checkWith(searching(), 'bob', BOB_PASSWORD), OK);
  });

  test('G49: an empty password is rejected without a bind, although this directory accepts the unauthenticated bind', async () => {
    // The hole: a DN and an empty password is an anonymous bind, and this directory, like many, says yes.
    const client = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caPem, host: '127.0.0.1' } });
    try {
      await client.bind(aliceDn, '');
    } finally {
      await client.unbind();
    }
    assert.deepEqual(await checkWith(searching(), 'alice', ''), rejected('empty password'));
    assert.deepEqual(await checkWith(templated('uid={login},ou=people,dc=example,dc=test'), 'alice', ''), rejected('empty password'));
  });

  test('an empty password never opens a connection: a stopped directory gives the same answer', async () => {
    const stopped = await startSlapd();
    const settings = transport(stopped.ldapsUrl, { caPem: stopped.caPem });
    await stopped.stop();
    assert.deepEqual(await checkWith(settings, 'alice', ''), rejected('empty password'));
    assert.deepEqual(await checkWith(settings, 'alice', 'a password'), { ok: false, cause: 'unavailable', detail: 'connection refused' });
  });

  test('the search filter is the operator’s: an Active Directory style filter, and a login found twice is not unique', async () => {
    const filter = '(&(objectClass=inetOrgPerson)(uid={login}))';
    assert.deepEqual(await checkWith(searching({ searchFilter: filter }), 'alice', ALICE_PASSWORD), OK);
    assert.deepEqual(
      await checkWith(searching({ searchFilter: '(cn={login})' }), 'Twin', 'twin password'),
      rejected('login is not unique'),
    );
    assert.deepEqual(await checkWith(searching({ searchFilter: '(cn={login})' }), 'Alice Liddell', ALICE_PASSWORD), OK);
  });

  test('a non-ASCII login is found and bound, by search and by template', async () => {
    assert.deepEqual(await checkWith(searching(), 'zoë', ZOE_PASSWORD), OK);
    assert.deepEqual(await checkWith(searching(), 'zoe', ZOE_PASSWORD), rejected('no such login'));
    assert.deepEqual(await checkWith(templated('uid={login},ou=people,dc=example,dc=test'), 'zoë', ZOE_PASSWORD), OK);
  });

  test('StartTLS over ldap:// works; ldap:// without StartTLS is refused', async () => {
    assert.deepEqual(await checkWith(searching({ url: slapd.url, startTls: true }), 'alice', ALICE_PASSWORD), OK);
    assert.deepEqual(await checkWith(searching({ url: slapd.url, startTls: true }), 'alice', 'wrong'), rejected('invalid credentials'));
    const plain = await checkWith(searching({ url: slapd.url, startTls: false }), 'alice', ALICE_PASSWORD);
    assert.equal(failureOf(plain).cause, 'unavailable');
    assert.match(failureOf(plain).detail, /plain LDAP is not allowed/);
  });

  test('the bind DN template binds the login’s own DN', async () => {
    const template = 'uid={login},ou=people,dc=example,dc=test';
    assert.deepEqual(await checkWith(templated(template), 'alice', ALICE_PASSWORD), OK);
    assert.deepEqual(await checkWith(templated(template), 'alice', 'wrong'), rejected('invalid credentials'));
    assert.deepEqual(await checkWith(templated(template, { url: slapd.url, startTls: true }), 'bob', BOB_PASSWORD), OK);
    assert.deepEqual(await checkWith(templated('uid={login},ou=staff,ou=people,dc=example,dc=test'), 'carol', CAROL_PASSWORD), OK);
  });

  test('G49: the bind DN template: a login with , + = or " cannot bind as another DN', async () => {
    const settings = templated('uid={login},ou=people,dc=example,dc=test');
    // Unescaped, "carol,ou=staff" would make carol's own DN: uid=carol,ou=staff,ou=people,dc=example,dc=test.
    for (const login of [
      'carol,ou=staff',
      'carol+ou=staff',
      'carol,ou=staff ',
      'x,uid=carol,ou=staff',
      '"carol"',
      'carol\\,ou=staff',
      'uid=carol',
    ]) {
      const answer = await checkWith(settings, login, CAROL_PASSWORD);
      assert.equal(answer.ok, false, `login ${JSON.stringify(login)}`);
    }
    // And alice's password does not make alice of a login that merely contains her DN's parts.
    // (A leading or trailing space is not such a case: the directory's matching rule for uid ignores
    // them, as it ignores case, so " alice" names alice's own DN.)
    for (const login of ['alice,ou=people', 'alice+cn=Alice Liddell', '#alice', 'alice;ou=people', 'alice<', 'alice=']) {
      assert.equal((await checkWith(settings, login, ALICE_PASSWORD)).ok, false, `login ${JSON.stringify(login)}`);
    }
  });

  test('G49: an LDAP login with filter metacharacters binds nobody', async () => {
    const logins = ['*', '*)(uid=*', 'alice)(|(uid=*', 'al*', '\\2a', 'alice)', '(uid=alice)', 'alice\0', '*)(|(objectClass=*'];
    for (const settings of [searching(), searching({ searchFilter: '(&(objectClass=inetOrgPerson)(uid={login}))' })]) {
      for (const login of logins) {
        for (const password of [ALICE_PASSWORD, 'wrong', BOB_PASSWORD]) {
          const answer = await checkWith(settings, login, password);
          assert.equal(failureOf(answer).cause, 'rejected', `login ${JSON.stringify(login)}: ${JSON.stringify(answer)}`);
        }
      }
    }
  });

  test('a `$&` or `{login}` in a login is a value, not a replacement pattern', async () => {
    assert.deepEqual(await checkWith(searching(), '$&', ALICE_PASSWORD), rejected('no such login'));
    assert.deepEqual(await checkWith(searching(), "$'alice", ALICE_PASSWORD), rejected('no such login'));
    assert.deepEqual(await checkWith(searching(), '{login}', ALICE_PASSWORD), rejected('no such login'));
  });

  test('an untrusted certificate, or a key other than the pinned one, makes the directory unavailable; the right pin works', async () => {
    const untrusted = await checkWith(searching({ caPem: undefined }), 'alice', ALICE_PASSWORD);
    assert.equal(failureOf(untrusted).cause, 'unavailable');
    assert.match(failureOf(untrusted).detail, /^TLS: certificate not trusted/);

    const startTlsUntrusted = await checkWith(searching({ caPem: undefined, url: slapd.url, startTls: true }), 'alice', ALICE_PASSWORD);
    assert.match(failureOf(startTlsUntrusted).detail, /^TLS: /);

    const wrongPin = Buffer.alloc(32).toString('base64');
    assert.deepEqual(await checkWith(searching({ pinSha256: wrongPin }), 'alice', ALICE_PASSWORD), {
      ok: false,
      cause: 'unavailable',
      detail: 'TLS: the server key does not match the configured pin',
    });

    const pin = defined(spkiPinOf(await peerCertificateOf(slapd)), 'the server key');
    assert.deepEqual(await checkWith(searching({ pinSha256: pin }), 'alice', ALICE_PASSWORD), OK);
    assert.deepEqual(await checkWith(searching({ pinSha256: pin, url: slapd.url, startTls: true }), 'alice', ALICE_PASSWORD), OK);
  });

  test('a service account the directory refuses makes it unavailable, not the user wrong', async () => {
    assert.deepEqual(await checkWith(searching({ bindPassword: 'not the service password' }), 'alice', ALICE_PASSWORD), {
      ok: false,
      cause: 'unavailable',
      detail: 'service bind: invalid credentials',
    });
    const noBase = await checkWith(searching({ searchBase: 'dc=elsewhere,dc=test' }), 'alice', ALICE_PASSWORD);
    assert.deepEqual(noBase, { ok: false, cause: 'unavailable', detail: 'search: LDAP result 32' });
  });

  test('settings that cannot be checked safely are refused before any connection', async () => {
    const cases: [Partial<LdapSettings>, RegExp][] = [
      [{ bindPassword: '' }, /service account password is empty/],
      [{ searchFilter: '(uid=alice)' }, /no \{login\}/],
      [{ searchFilter: '(uid={login}' }, /not a valid LDAP filter/],
      [{ searchBase: undefined }, /needs bindDn, bindPassword and searchBase/],
      [{ url: 'http://127.0.0.1/' }, /ldaps:\/\/ or ldap:\/\//],
    ];
    for (const [overrides, detail] of cases) {
      const answer = await checkWith(searching(overrides), 'alice', ALICE_PASSWORD);
      assert.equal(failureOf(answer).cause, 'unavailable', JSON.stringify(overrides));
      assert.match(failureOf(answer).detail, detail);
    }
    const fixed = await checkWith(templated('uid=alice,ou=people,dc=example,dc=test'), 'bob', ALICE_PASSWORD);
    assert.match(failureOf(fixed).detail, /template has no \{login\}/);
  });

  test('two users, many checks in parallel on one source: each gets its own answer', async () => {
    const source = openLdapSource(searching(), { log });
    try {
      const cases = Array.from({ length: 16 }, (_, i) => {
        const [login, right] = i % 2 === 0 ? ['alice', ALICE_PASSWORD] : ['bob', BOB_PASSWORD];
        const correct = i % 4 < 2;
        return { login, password: correct ? right : `${right}!`, correct };
      });
      const answers = await Promise.all(
        cases.map((c) => source.checkPassword({ login: c.login, password: c.password, originatingIp: '192.0.2.1' })),
      );
      answers.forEach((answer, i) => assert.deepEqual(answer, defined(cases[i], 'case').correct ? OK : rejected('invalid credentials')));
    } finally {
      await source.close();
    }
  });

  test('no password reaches the log', () => {
    const text = logLines.join('');
    for (const secret of [ALICE_PASSWORD, BOB_PASSWORD, CAROL_PASSWORD, ZOE_PASSWORD, slapd.servicePassword]) {
      assert.equal(text.includes(secret), false);
    }
  });
});

/** The certificate slapd presents on its LDAPS port, as a client sees it. */
function peerCertificateOf(slapd: Slapd): Promise<tls.PeerCertificate> {
  const { port } = new URL(slapd.ldapsUrl);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: slapd.caPem }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** How many timers this process holds. */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** A TCP server that accepts and never says a word; it counts the connections it sees and which are closed. */
async function silentServer(): Promise<{ port: number; connections: () => number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let seen = 0;
  const server = net.createServer((socket) => {
    seen += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // reads (and drops) what comes, so that it sees the end of the connection
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => seen,
    open: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the LDAP source when the directory cannot be asked', () => {
  test('connection refused: unavailable, quickly', async () => {
    const port = await freePort();
    const { value, ms } = await timed(checkWith(transport(`ldaps://127.0.0.1:${port}`), 'alice', 'a password'));
    assert.deepEqual(value, { ok: false, cause: 'unavailable', detail: 'connection refused' });
    assert.ok(ms < 5_000, `${ms} ms`);
  });

  for (const [name, url, startTls] of [
    ['ldaps://', 'ldaps', false],
    ['StartTLS', 'ldap', true],
  ] as const) {
    test(`${name} to a server that accepts and never answers: unavailable within timeoutMs, no socket left`, async () => {
      const silent = await silentServer();
      try {
        const settings = transport(`${url}://127.0.0.1:${silent.port}`, { startTls, connectTimeoutMs: 10_000, timeoutMs: 500 });
        const timersBefore = activeTimers();
        const { value, ms } = await timed(checkWith(settings, 'alice', 'a password'));
        assert.deepEqual(value, { ok: false, cause: 'unavailable', detail: 'timed out after 500 ms' });
        assert.ok(ms < 5_000, `${ms} ms`);
        assert.equal(silent.connections(), 1);
        await eventually(() => silent.open() === 0, { timeoutMs: 5_000, what: 'the silent server sees the connection closed' });
        // Nor a timer: the 10 s connect timeout of the abandoned connection would hold the process.
        assert.ok(activeTimers() <= timersBefore, `${activeTimers()} timers, ${timersBefore} before`);
      } finally {
        await silent.close();
      }
    });
  }

  test('an empty password, or plain ldap:// without StartTLS, opens no connection at all', async () => {
    const silent = await silentServer();
    try {
      const answer = await checkWith(transport(`ldaps://127.0.0.1:${silent.port}`), 'alice', '');
      assert.deepEqual(answer, rejected('empty password'));
      const plain = await checkWith(transport(`ldap://127.0.0.1:${silent.port}`), 'alice', 'a password');
      assert.equal(failureOf(plain).cause, 'unavailable');
      assert.equal(silent.connections(), 0);
    } finally {
      await silent.close();
    }
  });
});
