// A real OpenLDAP directory of one test file's own: slapd in the foreground on two free loopback
// ports (ldap:// with StartTLS, and ldaps://), its configuration, database and TLS material in a
// temporary directory, entries loaded with ldapadd (ldap-utils), as an operator's directory would
// hold them. stop() ends the process and removes every file.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from '../../src/infra/keys/authority.js';
import { CA_CERT_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE } from '../../src/infra/dataFiles.js';
import { eventually } from './eventually.js';
import { freePort } from './ports.js';

const SLAPD = '/usr/sbin/slapd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const BASE_DN = 'dc=example,dc=test';
const ROOT_DN = `cn=admin,${BASE_DN}`;
const SERVICE_DN = `cn=service,${BASE_DN}`;
const PEOPLE_DN = `ou=people,${BASE_DN}`;

export interface Slapd {
  /** ldap://127.0.0.1:port (StartTLS offered). */
  readonly url: string;
  /** ldaps://127.0.0.1:port. */
  readonly ldapsUrl: string;
  /** The test CA that issued the server's certificate (SAN IP:127.0.0.1, DNS:localhost). */
  readonly caPem: string;
  /** The server's certificate. */
  readonly certificatePem: string;
  readonly baseDn: string;
  /** ou=people under the base: where addUser puts users. */
  readonly peopleDn: string;
  /** The service account allowed to search (search-then-bind). */
  readonly serviceDn: string;
  readonly servicePassword: string;
  /** Adds uid=UID,ou=people with this password (stored {SSHA}); returns its DN. UID holds no DN special character. */
  addUser(uid: string, password: string, cn?: string): Promise<string>;
  /** Adds any entry, as the directory's root. */
  add(dn: string, attributes: Readonly<Record<string, string | readonly string[]>>): Promise<void>;
  /** Ends slapd (once) and removes its directory. */
  stop(): Promise<void>;
}

function requireOpenLdap(): void {
  for (const program of [SLAPD, '/usr/bin/ldapadd']) {
    try {
      accessSync(program, constants.X_OK);
    } catch {
      throw new Error(`${program} is missing: the LDAP tests need a real OpenLDAP; apt-get install slapd ldap-utils`);
    }
  }
}

/** userPassword as {SSHA} (salted SHA-1, slapd's own default scheme), so that no plain password is stored. */
function sshaOf(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** One LDIF record, every value base64 (`::`) so that any character in a DN or value is carried as it is. */
function ldifRecord(dn: string, attributes: Readonly<Record<string, string | readonly string[]>>): string {
  const b64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64');
  const lines = [`dn:: ${b64(dn)}`];
  for (const [name, value] of Object.entries(attributes)) {
    for (const one of typeof value === 'string' ? [value] : value) lines.push(`${name}:: ${b64(one)}`);
  }
  return lines.join('\n') + '\n\n';
}

function configOf(dir: string, tlsDir: string, rootPassword: string): string {
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((schema) => `include ${path.join(SCHEMA_DIR, `${schema}.schema`)}`),
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    `argsfile ${path.join(dir, 'slapd.args')}`,
    `modulepath ${MODULE_DIR}`,
    'moduleload back_mdb',
    `TLSCACertificateFile ${path.join(tlsDir, CA_CERT_FILE)}`,
    `TLSCertificateFile ${path.join(tlsDir, SERVER_CERT_FILE)}`,
    `TLSCertificateKeyFile ${path.join(tlsDir, SERVER_KEY_FILE)}`,
    // Like the many directories that accept an unauthenticated bind (a DN and no password, RFC 4513
    // section 5.1.2) as anonymous: the tests prove that ssod never sends one.
    'allow bind_anon_dn',
    'database mdb',
    'maxsize 16777216',
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${rootPassword}`,
    `directory ${path.join(dir, 'db')}`,
    'access to attrs=userPassword by self =xw by anonymous auth by * none',
    `access to * by dn.exact="${SERVICE_DN}" read by self read by anonymous auth by * none`,
    '',
  ].join('\n');
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ host: '127.0.0.1', port });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export async function startSlapd(owner?: { after(fn: () => Promise<void>): void }): Promise<Slapd> {
  requireOpenLdap();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-slapd-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  let child: ReturnType<typeof spawn> | null = null;
  let stopped: Promise<void> | null = null;
  let output = '';

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      const running = child;
      if (running !== null && running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGTERM');
        const killer = setTimeout(() => running.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      removeDir();
    })());

  try {
    const tlsDir = path.join(dir, 'tls');
    const ca = await CertificateAuthority.open(tlsDir, '127.0.0.1', () => Date.now());
    const rootPassword = randomBytes(12).toString('hex');
    mkdirSync(path.join(dir, 'db'));
    writeFileSync(path.join(dir, 'slapd.conf'), configOf(dir, tlsDir, rootPassword));

    const [port, ldapsPort] = [await freePort(), await freePort()];
    const url = `ldap://127.0.0.1:${port}`;
    const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
    // -d 0: in the foreground (this test owns the process), logging nothing but fatal errors.
    const running = spawn(SLAPD, ['-f', path.join(dir, 'slapd.conf'), '-h', `${url}/ ${ldapsUrl}/`, '-d', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = running;
    running.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    running.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await eventually(
      async () => {
        if (running.exitCode !== null) throw new Error(`slapd exited with ${running.exitCode}: ${output}`);
        return (await listening(port)) && (await listening(ldapsPort));
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'slapd listening' },
    );

    const ldapadd = (ldif: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const add = execFile(
          'ldapadd',
          ['-x', '-H', url, '-D', ROOT_DN, '-w', rootPassword],
          { env: { ...process.env, LDAPNOINIT: '1' }, timeout: 15_000 },
          (error, _stdout, stderr) => (error === null ? resolve() : reject(new Error(`ldapadd failed: ${stderr || error.message}`))),
        );
        add.stdin?.end(ldif);
      });
    const add: Slapd['add'] = (dn, attributes) => ldapadd(ldifRecord(dn, attributes));

    const servicePassword = randomBytes(12).toString('hex');
    await ldapadd(
      ldifRecord(BASE_DN, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' }) +
        ldifRecord(PEOPLE_DN, { objectClass: 'organizationalUnit', ou: 'people' }) +
        ldifRecord(SERVICE_DN, {
          objectClass: ['organizationalRole', 'simpleSecurityObject'],
          cn: 'service',
          userPassword: sshaOf(servicePassword),
        }),
    );

    const slapd: Slapd = {
      url,
      ldapsUrl,
      caPem: ca.certificatePem,
      certificatePem: ca.serverCredentials().cert,
      baseDn: BASE_DN,
      peopleDn: PEOPLE_DN,
      serviceDn: SERVICE_DN,
      servicePassword,
      async addUser(uid, password, cn = uid) {
        if (/[",+;<>\\=#]|^ | $/.test(uid)) throw new Error(`addUser: ${JSON.stringify(uid)} would need escaping in a DN; use add()`);
        const dn = `uid=${uid},${PEOPLE_DN}`;
        await add(dn, { objectClass: 'inetOrgPerson', uid, cn, sn: cn, userPassword: sshaOf(password) });
        return dn;
      },
      add,
      stop,
    };
    owner?.after(stop);
    return slapd;
  } catch (error) {
    await stop();
    throw error;
  }
}
