// The settings of a delegated source (core/ports/delegated.ts), checked once for every way they come
// in: the operator's command, an import, and every read from the store (a row edited by hand or
// written by another version must not reach the infrastructure unchecked). What is refused is said
// with what to give instead. The rules are docs/FEDERATION.md's; the transport rules that follow
// from them (TLS always, verified; bounded time) are docs/SECURITY.md section E's.
import { X509Certificate } from 'node:crypto';
import type { LdapSettings, SourceSettings, TransportSettings, WebServiceSettings } from './ports/delegated.js';
import { Refusal } from './refusal.js';

export const SOURCE_KINDS = ['webService', 'ldap'] as const;

/** Timeouts of a call to a source, in milliseconds: their bounds and defaults. */
export const SOURCE_TIMEOUTS = { min: 100, max: 60_000, connectDefault: 3000, wholeDefault: 8000 } as const;

/** The filter of search-then-bind when the operator gives none. */
export const DEFAULT_SEARCH_FILTER = '(uid={login})';

/** Where the login goes in a bind DN template or a search filter. */
export const LOGIN_PLACEHOLDER = '{login}';

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_URL = 2048;
const MAX_TEXT = 1024;
/** A CA file holds a few certificates; more than this is a mistake (or not a CA file). */
const MAX_CA_PEM = 65_536;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----/g;
const PIN = /^[A-Za-z0-9+/]{43}=$/;

/** A source's name as the operator gives it: letters, digits, `.`, `_`, `-`, up to 64, starting with a letter or digit. */
export function checkSourceName(name: string): string {
  if (!SOURCE_NAME.test(name))
    throw new Refusal(
      `the source name ${JSON.stringify(name)} is not allowed; use letters, digits, ".", "_" and "-" (up to 64, starting with a letter or digit), for example corp-ldap`,
    );
  return name;
}

type Json = Readonly<Record<string, unknown>>;

function refuse(message: string): never {
  throw new Refusal(message);
}

function optionalText(record: Json, key: string, what: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT)
    refuse(`${what} must be a non-empty text of at most ${MAX_TEXT} characters`);
  // A control character in a DN or filter is never meant, and would end a line of the log or the terminal.
  // eslint-disable-next-line no-control-regex -- the control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) refuse(`${what} must not contain control characters`);
  return value;
}

function timeout(record: Json, key: string, what: string, fallback: number): number {
  const value = record[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < SOURCE_TIMEOUTS.min || value > SOURCE_TIMEOUTS.max)
    refuse(
      `${what} must be a whole number of milliseconds from ${SOURCE_TIMEOUTS.min} to ${SOURCE_TIMEOUTS.max}, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** The PEM certificates to trust, each parsed as X.509; nothing else may be in the text (a private key never is). */
export function checkCaPem(pem: string): string {
  if (pem.length > MAX_CA_PEM)
    refuse(`the CA certificates are longer than ${MAX_CA_PEM} characters; give only the CA that signs the source's certificate`);
  const blocks = [...pem.matchAll(PEM_CERTIFICATE)];
  if (blocks.length === 0)
    refuse('the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate in PEM form');
  if (pem.replace(PEM_CERTIFICATE, '').trim() !== '')
    refuse('the CA file holds something besides PEM certificates (a private key?); give only the CA certificates');
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block[0]);
    } catch {
      refuse(`certificate ${index + 1} of the CA file is not a valid X.509 certificate`);
    }
  }
  return blocks.map((block) => block[0]).join('\n') + '\n';
}

/** A pin: base64 of the 32 bytes of a SHA-256 of the server's SubjectPublicKeyInfo. */
export function checkPin(pin: string): string {
  if (!PIN.test(pin) || Buffer.from(pin, 'base64').length !== 32)
    refuse(
      `the pin ${JSON.stringify(pin)} is not base64 of a SHA-256 (44 characters ending in "="); make it with: openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
    );
  return pin;
}

function transport(record: Json): TransportSettings {
  const connectTimeoutMs = timeout(record, 'connectTimeoutMs', 'the connect timeout', SOURCE_TIMEOUTS.connectDefault);
  const timeoutMs = timeout(record, 'timeoutMs', 'the timeout', SOURCE_TIMEOUTS.wholeDefault);
  if (connectTimeoutMs > timeoutMs)
    refuse(`the connect timeout (${connectTimeoutMs} ms) is longer than the timeout of the whole call (${timeoutMs} ms); make it shorter`);
  const caPem = record.caPem;
  const pin = record.pinSha256;
  if (caPem !== undefined && typeof caPem !== 'string') refuse('the CA certificates must be PEM text');
  if (pin !== undefined && typeof pin !== 'string') refuse('the pin must be base64 text');
  return {
    connectTimeoutMs,
    timeoutMs,
    ...(caPem !== undefined ? { caPem: checkCaPem(caPem) } : {}),
    ...(pin !== undefined ? { pinSha256: checkPin(pin) } : {}),
  };
}

/** A URL of the source: parsed, with a host, without user info or a fragment. */
function sourceUrl(value: unknown, schemes: readonly string[], example: string): URL {
  if (typeof value !== 'string' || value.length > MAX_URL)
    refuse(`the source URL must be a text of at most ${MAX_URL} characters, such as ${example}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse(`${JSON.stringify(value)} is not a URL; give one such as ${example}`);
  }
  if (!schemes.includes(url.protocol))
    refuse(`the source URL must start with ${schemes.map((s) => `${s}//`).join(' or ')} (TLS is required), such as ${example}`);
  if (url.hostname === '') refuse(`the source URL names no host; give one such as ${example}`);
  if (url.username !== '' || url.password !== '')
    refuse('the source URL must not hold a user or a password; give the LDAP service account with --bind-dn');
  if (value.includes('#')) refuse('the source URL must not have a fragment (#…)');
  return url;
}

const WEB_SERVICE_KEYS = new Set(['kind', 'url', 'connectTimeoutMs', 'timeoutMs', 'caPem', 'pinSha256']);
const LDAP_KEYS = new Set([...WEB_SERVICE_KEYS, 'startTls', 'bindDnTemplate', 'bindDn', 'bindPassword', 'searchBase', 'searchFilter']);

function noOtherKeys(record: Json, allowed: ReadonlySet<string>, kind: string): void {
  const other = Object.keys(record).find((key) => !allowed.has(key));
  if (other !== undefined) refuse(`a ${kind} source has no setting ${JSON.stringify(other)}`);
}

function webService(record: Json): WebServiceSettings {
  noOtherKeys(record, WEB_SERVICE_KEYS, 'web service');
  const url = sourceUrl(record.url, ['https:'], 'https://auth.example.com/LJAuthenticate');
  return { kind: 'webService', url: url.href, ...transport(record) };
}

/** A filter is parenthesized when its parentheses balance and the first one closes at its end. */
function parenthesized(filter: string): boolean {
  if (!filter.startsWith('(') || !filter.endsWith(')')) return false;
  let depth = 0;
  for (let at = 0; at < filter.length; at += 1) {
    const char = filter.charAt(at);
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    if (depth < 0 || (depth === 0 && at < filter.length - 1)) return false;
  }
  return depth === 0;
}

function ldapBinding(record: Json): Pick<LdapSettings, 'bindDnTemplate' | 'bindDn' | 'bindPassword' | 'searchBase' | 'searchFilter'> {
  const bindDnTemplate = optionalText(record, 'bindDnTemplate', 'the bind DN template');
  const bindDn = optionalText(record, 'bindDn', 'the bind DN');
  const bindPassword = record.bindPassword;
  if (bindPassword !== undefined && (typeof bindPassword !== 'string' || bindPassword === '' || bindPassword.length > MAX_TEXT))
    refuse(`the bind password must be a non-empty text of at most ${MAX_TEXT} characters`);
  const searchBase = optionalText(record, 'searchBase', 'the search base');
  const searchFilter = optionalText(record, 'searchFilter', 'the search filter');
  if (bindDnTemplate !== undefined) {
    if (!bindDnTemplate.includes(LOGIN_PLACEHOLDER))
      refuse(
        `the bind DN template must contain ${LOGIN_PLACEHOLDER} where the login goes, such as uid={login},ou=people,dc=example,dc=com`,
      );
    if (bindDn !== undefined || bindPassword !== undefined || searchBase !== undefined || searchFilter !== undefined)
      refuse(
        'a bind DN template binds as the user directly: give either --bind-dn-template, or a search (--search-base, --bind-dn …), not both',
      );
    return { bindDnTemplate };
  }
  if (searchBase === undefined)
    refuse('an LDAP source needs --search-base (where its users are searched), or --bind-dn-template to bind as the user directly');
  if ((bindDn === undefined) !== (bindPassword === undefined))
    refuse(
      'the service account needs both a bind DN and its password (--bind-dn with --bind-password-file), or neither for an anonymous search',
    );
  const filter = searchFilter ?? DEFAULT_SEARCH_FILTER;
  if (!filter.includes(LOGIN_PLACEHOLDER) || !parenthesized(filter))
    refuse(
      `the search filter must be one parenthesized filter containing ${LOGIN_PLACEHOLDER}, such as (&(objectClass=person)(uid={login}))`,
    );
  return {
    ...(bindDn !== undefined ? { bindDn, bindPassword } : {}),
    searchBase,
    searchFilter: filter,
  };
}

function ldap(record: Json): LdapSettings {
  noOtherKeys(record, LDAP_KEYS, 'LDAP');
  const url = sourceUrl(record.url, ['ldaps:', 'ldap:'], 'ldaps://ldap.example.com:636');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '')
    refuse('the LDAP URL names only the server (ldaps://host:port); give the search base with --search-base');
  const startTls = record.startTls ?? false;
  if (typeof startTls !== 'boolean') refuse('startTls must be true or false');
  if (url.protocol === 'ldap:' && !startTls)
    refuse('an ldap:// source would send passwords in the clear; use StartTLS (--start-tls), or ldaps://');
  if (url.protocol === 'ldaps:' && startTls) refuse('an ldaps:// source is TLS already; leave out --start-tls (it is for ldap://)');
  return { kind: 'ldap', url: `${url.protocol}//${url.host}`, startTls, ...ldapBinding(record), ...transport(record) };
}

/** The settings as checked and normalized (defaults filled in); throws a Refusal that says what to give instead. */
export function parseSourceSettings(value: unknown): SourceSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('the settings of a source must be an object');
  const record = value as Json;
  if (record.kind === 'webService') return webService(record);
  if (record.kind === 'ldap') return ldap(record);
  return refuse(`unknown kind of source ${JSON.stringify(record.kind)}; the kinds are ${SOURCE_KINDS.join(' and ')}`);
}

/** The settings without the secret they may hold (the LDAP service account's password): what may be shown. */
export function shownSettings(settings: SourceSettings): Record<string, string | number | boolean> {
  const { bindPassword, ...shown } = settings as LdapSettings;
  return {
    ...(shown as unknown as Record<string, string | number | boolean>),
    ...(bindPassword !== undefined ? { bindPassword: '(set)' } : {}),
  };
}
