// Delegated sources for the tests of the core's rules: settings of each kind, and a source double
// that implements the port (core/ports/delegated.ts) with answers the test scripts and the checks it
// was asked counted. The real sources (a PHP SoapServer, slapd) are tested in their own files.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type {
  DelegatedPasswordCheck,
  DelegatedSource,
  LdapSettings,
  SourceAnswer,
  SourceOpener,
  SourceSettings,
  WebServiceSettings,
} from '../../src/core/ports/delegated.js';

export function webServiceSettings(overrides: Partial<WebServiceSettings> = {}): WebServiceSettings {
  return { kind: 'webService', url: 'https://auth.example.com/LJAuthenticate', connectTimeoutMs: 3000, timeoutMs: 8000, ...overrides };
}

export function ldapSettings(overrides: Partial<LdapSettings> = {}): LdapSettings {
  return {
    kind: 'ldap',
    url: 'ldaps://ldap.example.com:636',
    startTls: false,
    bindDn: 'cn=ssod,ou=services,dc=example,dc=com',
    bindPassword: 'service-account-secret',
    searchBase: 'ou=people,dc=example,dc=com',
    searchFilter: '(uid={login})',
    connectTimeoutMs: 3000,
    timeoutMs: 8000,
    pinSha256: Buffer.alloc(32, 7).toString('base64'),
    ...overrides,
  };
}

/** The password the double says yes to, unless a test scripts other answers. */
export const DIRECTORY_PASSWORD = 'directory-password';

export const REJECTED: SourceAnswer = { ok: false, cause: 'rejected', detail: 'the service answered AUTH_FAILED' };
export const UNAVAILABLE: SourceAnswer = { ok: false, cause: 'unavailable', detail: 'connect ECONNREFUSED 192.0.2.10:443' };
export const MALFORMED: SourceAnswer = { ok: false, cause: 'malformed', detail: 'the reply is not XML' };

/** A source double: answers by `answer` (the directory's password by default), counts the checks it was asked, and whether it was closed. */
export interface SourceDouble extends DelegatedSource {
  readonly checks: DelegatedPasswordCheck[];
  answer: (check: DelegatedPasswordCheck) => SourceAnswer | Promise<SourceAnswer>;
  closed: boolean;
}

export function sourceDouble(settings: SourceSettings = webServiceSettings()): SourceDouble {
  const double: SourceDouble = {
    kind: settings.kind,
    checks: [],
    closed: false,
    answer: (check) => (check.password === DIRECTORY_PASSWORD ? { ok: true } : REJECTED),
    async checkPassword(check) {
      double.checks.push(check);
      return double.answer(check);
    },
    close() {
      double.closed = true;
      return Promise.resolve();
    },
  };
  return double;
}

/** An opener of doubles: each source it opened, by the URL of its settings, in the order opened. */
export interface DoubleOpener {
  readonly open: SourceOpener;
  readonly opened: { readonly settings: SourceSettings; readonly source: SourceDouble }[];
  /** The double opened last for this URL (a replaced source is opened again). */
  last(url: string): SourceDouble;
}

export function doubleOpener(): DoubleOpener {
  const opened: { settings: SourceSettings; source: SourceDouble }[] = [];
  return {
    opened,
    open(settings) {
      const source = sourceDouble(settings);
      opened.push({ settings, source });
      return source;
    },
    last(url) {
      const found = opened.filter((entry) => entry.settings.url === url).at(-1);
      if (found === undefined) throw new Error(`no source opened for ${url}`);
      return found.source;
    },
  };
}

/** A self-signed certificate in PEM: what an operator's CA file for a source holds. */
export async function selfSignedPem(name = 'CN=Example Directory CA'): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
  });
  return certificate.toString('pem') + '\n';
}
