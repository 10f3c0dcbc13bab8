// Every server option, declared once next to its default and a one-line doc (STYLE: options
// declared once). The CLI flags, the SSOD_* environment variables, the config file keys and
// docs/CONFIGURATION.md all come from this table. Unknown keys are an error; the result is frozen.
//
// Two scopes: a node option (ports, data directory, log level) belongs to one process; a service
// setting (scope 'service': host name, session timeouts, ...) belongs to the whole SSO service and
// lives in the store, where every node reads it and `ssod settings` changes it (core/liveSettings.ts).
import { readFileSync } from 'node:fs';
import { storeLocationProblem } from './storeLocation.js';
import { didYouMean } from './suggest.js';

type Kind = 'string' | 'port' | 'integer' | 'enum' | 'list' | 'store' | 'url';

interface OptionSpec {
  readonly kind: Kind;
  readonly default: string | number;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** The allowed values of an enum, or of each item of a list. */
  readonly values?: readonly string[];
  /** Placeholder shown in --help, e.g. DIR. */
  readonly arg: string;
  /** 'service': a setting of the whole service, kept in the store; otherwise an option of this node. */
  readonly scope?: 'service';
  /** A string option that is off by default: its default is '' ("none"). */
  readonly optional?: true;
}

// The lists that an option's values come from, written once: core/mode.ts, the password hashing and
// getSettings read them from here.

/** The SSO modes (docs/DECISIONS.md "SSO modes"); the first is the default. */
export const SSO_MODES = ['single-panel', 'multiple-panels'] as const;

/** The legacy digests of protocol §5.6 passwordHashType that createUser and changePassword may accept. */
export const LEGACY_HASH_TYPES = ['sha1', 'md5', 'sha256'] as const;

/** A list as help and docs say it: `a, b or c`. */
export function eitherOf(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1) ?? ''}`;
}

/** The log levels, from the most verbose; `silent` writes nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export const OPTION_SPECS = {
  dataDir: {
    kind: 'string',
    default: './data',
    arg: 'DIR',
    doc: 'Data directory: the SQLite store, the certificate authority and the server certificate (with a PostgreSQL store these live in the database).',
  },
  store: {
    kind: 'store',
    default: 'sqlite:',
    arg: 'STORE',
    doc: 'The store: `sqlite:PATH` (`sqlite:` alone is ssod.db in the data directory), or a `postgres://…` / `postgresql://…` URL that several nodes share.',
  },
  masterKeyFile: {
    kind: 'string',
    default: '',
    optional: true,
    arg: 'FILE',
    doc: 'Master key file (`ssod master-key generate FILE`) that seals the private keys kept in a PostgreSQL store; the same file on every node. Required with PostgreSQL.',
  },
  samlSigningKeyFile: {
    kind: 'string',
    default: '',
    optional: true,
    arg: 'FILE',
    doc: 'PEM private key (RSA or EC) with which ssod signs its SAML service provider metadata; with --saml-signing-certificate-file. Without them the metadata is unsigned. The same files on every node.',
  },
  samlSigningCertificateFile: {
    kind: 'string',
    default: '',
    optional: true,
    arg: 'FILE',
    doc: 'PEM certificate of the key of --saml-signing-key-file, published in the SAML metadata for the identity providers.',
  },
  storePoolSize: {
    kind: 'integer',
    default: 10,
    min: 1,
    max: 1000,
    arg: 'N',
    doc: 'Most PostgreSQL connections one node opens; requests beyond wait for a free one (up to 3 s).',
  },
  sessionCacheMs: {
    kind: 'integer',
    default: 1000,
    min: 0,
    max: 60_000,
    arg: 'MS',
    doc: 'PostgreSQL: how long after a session ended on another node (closeSession, logout, disable, expiry, ...) this node may still answer verifySession for it from its cache; 0: no cache, every verifySession reads the store and every node refuses an ended session at once. The process that ended it refuses it at once either way (with --workers N, the other workers of its node are as other nodes).',
  },
  sessionCacheEntries: {
    kind: 'integer',
    default: 100_000,
    min: 1,
    max: 10_000_000,
    arg: 'N',
    doc: 'PostgreSQL: most verifySession answers one node process keeps in its cache; the least recently used go first.',
  },
  allowOpenDataDir: {
    kind: 'enum',
    default: 'off',
    values: ['off', 'on'],
    arg: 'on|off',
    doc: '`ssod serve` refuses a data directory that group or others may write (they could replace the store or the CA key); on: start anyway, with a warning.',
  },
  hostname: {
    kind: 'string',
    default: '127.0.0.1',
    arg: 'NAME',
    scope: 'service',
    doc: 'Host name of the service: in the server certificate (beside 127.0.0.1 and localhost), in the relay URL that getSettings reports and, in multiple-panels mode, in the SOAP endpoint. Change it with `ssod hostname`.',
  },
  mode: {
    kind: 'enum',
    default: SSO_MODES[0],
    values: SSO_MODES,
    arg: 'MODE',
    scope: 'service',
    doc: 'SSO mode : single-panel keeps the SOAP API on 127.0.0.1 for applications on this machine; multiple-panels serves it on --bind under the host name. Change it with `ssod mode`; the SOAP listener moves at the next start.',
  },
  bind: {
    kind: 'string',
    default: '127.0.0.1',
    arg: 'ADDR',
    doc: 'Address the listeners bind to: the relay always, the SOAP API in multiple-panels mode (single-panel mode keeps it on 127.0.0.1).',
  },
  soapPort: { kind: 'port', default: 11443, arg: 'N', doc: 'Port of the SOAP API over HTTPS with client certificates.' },
  relayPort: { kind: 'port', default: 1180, arg: 'N', doc: 'Port of the SSO Relay over HTTP (protocol §2.1).' },
  relayTls: {
    kind: 'enum',
    default: 'off',
    values: ['off', 'on'],
    arg: 'on|off',
    doc: 'Serve the relay over HTTPS with the server certificate; its cookie is then Secure and named __Host-sid.',
  },
  sessionTimeout: {
    kind: 'integer',
    default: 6000,
    min: 60,
    max: 31_536_000,
    arg: 'SECONDS',
    scope: 'service',
    doc: 'Idle timeout of a global session (getSettings usersSessionsTimeout).',
  },
  sessionLifetime: {
    kind: 'integer',
    default: 86_400,
    min: 60,
    max: 31_536_000,
    arg: 'SECONDS',
    scope: 'service',
    doc: 'Absolute lifetime of a global session, and of its relay cookie.',
  },
  ticketLifetime: {
    kind: 'integer',
    default: 3600,
    min: 60,
    max: 86_400,
    arg: 'SECONDS',
    scope: 'service',
    doc: 'Lifetime of a signed logon ticket for another DNS domain (docs/tickets.md); never beyond its global session.',
  },
  relayTokenLifetime: {
    kind: 'integer',
    default: 60,
    min: 5,
    max: 3600,
    arg: 'SECONDS',
    scope: 'service',
    doc: 'How long a relay token from authenticate may wait to be exchanged at the relay.',
  },
  passwordHashTypes: {
    kind: 'list',
    default: LEGACY_HASH_TYPES.join(','),
    values: LEGACY_HASH_TYPES,
    arg: 'TYPES',
    scope: 'service',
    doc: 'Legacy password digests createUser and changePassword accept (getSettings passwordHash), comma-separated; empty for none.',
  },
  maxRequestBytes: {
    kind: 'integer',
    default: 65_536,
    min: 4096,
    max: 16_777_216,
    arg: 'BYTES',
    doc: 'Largest SOAP request body accepted; a larger one gets HTTP 413 before it is read.',
  },
  maxPasswordBytes: {
    kind: 'integer',
    default: 1024,
    min: 64,
    max: 65_536,
    arg: 'BYTES',
    doc: 'Longest password accepted (UTF-8 bytes); longer ones are refused before hashing.',
  },
  certValidityDays: {
    kind: 'integer',
    default: 1825,
    min: 1,
    max: 36_500,
    arg: 'DAYS',
    scope: 'service',
    doc: 'Validity of the client certificates issued to applications.',
  },
  maxLoginFailures: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 100_000,
    arg: 'N',
    scope: 'service',
    doc: 'Failed sign-ins of one login after which it is locked (docs/SECURITY.md "Brute force").',
  },
  lockWaitIncrement: {
    kind: 'integer',
    default: 60,
    min: 1,
    max: 86_400,
    arg: 'SECONDS',
    scope: 'service',
    doc: 'A lock lasts this long, and this much longer for every further failure.',
  },
  lockMaxWait: { kind: 'integer', default: 900, min: 1, max: 604_800, arg: 'SECONDS', scope: 'service', doc: 'The longest a lock lasts.' },
  failureResetTime: {
    kind: 'integer',
    default: 43_200,
    min: 60,
    max: 31_536_000,
    arg: 'SECONDS',
    scope: 'service',
    doc: "A login's failure count starts over after this long without a failure.",
  },
  maxSourceFailuresPerHour: {
    kind: 'integer',
    default: 300,
    min: 0,
    max: 1_000_000,
    arg: 'N',
    scope: 'service',
    doc: 'Failed sign-ins from one source (client address or calling application) in an hour after which the source is locked; 0: no source locks.',
  },
  delegatedSourceFailures: {
    kind: 'integer',
    default: 5,
    min: 1,
    max: 1000,
    arg: 'N',
    scope: 'service',
    doc: "Transport failures in a row (unreachable, timed out) after which a delegated source's circuit opens on a node: its sign-ins then fail at once, without asking it (docs/FEDERATION.md).",
  },
  delegatedSourceOpenSeconds: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 3600,
    arg: 'SECONDS',
    scope: 'service',
    doc: 'How long an open circuit fails sign-ins through its delegated source at once; then one sign-in is let through to try the source again.',
  },
  passThroughSource: {
    kind: 'string',
    default: '',
    optional: true,
    arg: 'NAME',
    scope: 'service',
    doc: "The web service source (`ssod sources add`) that answers pass-through authentication at the relay's POST /networking/passThroughAuth (docs/federation/pass-through.md); empty: pass-through is off and that address is not found.",
  },
  passThroughSuccessUrl: {
    kind: 'url',
    default: '',
    optional: true,
    arg: 'URL',
    scope: 'service',
    doc: "Where the browser goes after a pass-through sign-in: an absolute http(s) URL (on a registered application's origin it gets that application's ssosid); empty: ssod's own /signed-in page.",
  },
  passThroughErrorUrl: {
    kind: 'url',
    default: '',
    optional: true,
    arg: 'URL',
    scope: 'service',
    doc: "Where the browser goes after a pass-through sign-in that failed, with `reason` (failed, unavailable or notAllowed) added to its query: an absolute http(s) URL; empty: ssod's own /sign-in-failed page.",
  },
  passwordChangeEndsSessions: {
    kind: 'enum',
    default: 'on',
    values: ['on', 'off'],
    arg: 'on|off',
    scope: 'service',
    doc: "changePassword ends every session of the user (the protocol's changePassword names no session, so the caller's own ends too); off keeps them.",
  },
  auditRetentionDays: {
    kind: 'integer',
    default: 180,
    min: 1,
    max: 36_500,
    arg: 'DAYS',
    scope: 'service',
    doc: 'How long the audit trail keeps an event.',
  },
  argon2MemoryKib: {
    kind: 'integer',
    default: 19_456,
    min: 8192,
    max: 4_194_304,
    arg: 'KIB',
    doc: 'argon2id memory cost for new password hashes (OWASP minimum: 19456).',
  },
  argon2Iterations: {
    kind: 'integer',
    default: 2,
    min: 1,
    max: 100,
    arg: 'N',
    doc: 'argon2id time cost for new password hashes (OWASP minimum: 2).',
  },
  workers: {
    kind: 'integer',
    default: 1,
    min: 1,
    max: 64,
    arg: 'N',
    doc: 'Server processes sharing the listeners (node:cluster) for `ssod serve`; 2 or more use more cores, and share them for password hashing (docs/PERFORMANCE.md).',
  },
  logLevel: {
    kind: 'enum',
    default: 'info',
    values: LOG_LEVELS,
    arg: 'LEVEL',
    doc: 'Least severe log level written (one JSON line per request at info).',
  },
  headersTimeout: {
    kind: 'integer',
    default: 10,
    min: 1,
    max: 600,
    arg: 'SECONDS',
    doc: 'A client must send the TLS handshake and the request headers within this time (slow clients).',
  },
  requestTimeout: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 3600,
    arg: 'SECONDS',
    doc: 'A client must send the whole request within this time; at least --headers-timeout.',
  },
  maxConnections: {
    kind: 'integer',
    default: 500,
    min: 1,
    max: 1_000_000,
    arg: 'N',
    doc: 'Open connections each listener accepts; more are closed at once. Keep both below the open-file limit.',
  },
  maxConnectionsPerSource: {
    kind: 'integer',
    default: 0,
    min: 0,
    max: 1_000_000,
    arg: 'N',
    doc: 'Open connections one client address (IPv4, or an IPv6 /64) may hold on each listener; more are closed at once. 0: a quarter of --max-connections.',
  },
  shutdownGrace: {
    kind: 'integer',
    default: 10,
    min: 0,
    max: 600,
    arg: 'SECONDS',
    doc: 'On SIGTERM, how long in-flight requests may take before their connections are closed.',
  },
  metricsPort: {
    kind: 'port',
    default: 0,
    arg: 'N',
    doc: 'Port of the Prometheus endpoint (plain HTTP, GET /metrics; README "Monitoring"); 0: off. With --workers, the primary serves every worker\'s sum.',
  },
  metricsBind: {
    kind: 'string',
    default: '127.0.0.1',
    arg: 'ADDR',
    doc: 'Address the metrics listener binds to; keep it off the public network (it is not authenticated).',
  },
  adminPort: {
    kind: 'port',
    default: 0,
    arg: 'N',
    doc: 'Port of the admin console over HTTPS (docs/admin-console.md), a listener of its own; 0: off. With --workers, every worker serves it.',
  },
  adminBind: {
    kind: 'string',
    default: '127.0.0.1',
    arg: 'ADDR',
    doc: 'Address the admin console listens on. Keep it on the loopback and reach it through an SSH tunnel; another address is used only when given, with a warning in the log at every start.',
  },
  adminCertFile: {
    kind: 'string',
    default: '',
    optional: true,
    arg: 'FILE',
    doc: "PEM certificate of the admin console, with --admin-key-file; without them the console serves the server certificate of ssod's CA (host name, localhost and 127.0.0.1).",
  },
  adminKeyFile: {
    kind: 'string',
    default: '',
    optional: true,
    arg: 'FILE',
    doc: 'PEM private key of the certificate of --admin-cert-file.',
  },
  adminTotp: {
    kind: 'enum',
    default: 'required',
    values: ['required', 'off'],
    arg: 'required|off',
    doc: 'Whether the admin console asks a one-time code (TOTP, or a recovery code) besides the password; off: the password alone, for a console that something else guards.',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTION_SPECS;

/** The value an option has once resolved: a number, one of its values, a list of them, or text. */
type ValueOf<Spec> = Spec extends { readonly kind: 'port' | 'integer' }
  ? number
  : Spec extends { readonly kind: 'enum'; readonly values: readonly (infer Value)[] }
    ? Value
    : Spec extends { readonly kind: 'list'; readonly values: readonly (infer Value)[] }
      ? readonly Value[]
      : string;

/**
 * The resolved options, derived from the table so that the two cannot drift. A string that is off
 * by default is ''; a port or a count whose doc says 0 is off is 0.
 */
export type Options = { readonly [Name in OptionName]: ValueOf<(typeof OPTION_SPECS)[Name]> } & {
  /** The options that a flag, the environment or the config file gave (the others have their default). */
  readonly given: readonly OptionName[];
};

export type SettingName = {
  [N in OptionName]: (typeof OPTION_SPECS)[N] extends { readonly scope: 'service' } ? N : never;
}[OptionName];

/** The options of this one process: what is left when the service settings are taken out. */
export type NodeOptions = Omit<Options, SettingName>;

export class OptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

const NAMES = Object.keys(OPTION_SPECS) as OptionName[];

/** `soapPort` → `--soap-port`. */
export function flagOf(name: OptionName): string {
  return '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** `soapPort` → `SSOD_SOAP_PORT`. */
export function envOf(name: OptionName): string {
  return 'SSOD_' + name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

type OptionValue = string | number | readonly string[];

// Printable ASCII without space, quotes, angle brackets, backslash, backtick, braces or pipe: what a
// redirect target may hold without being read two ways (the relay's `url` rule, docs/DECISIONS.md "URLs").
const URL_TEXT = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]{1,2048}$/;

/** Why `text` is not an absolute http(s) URL an operator may send browsers to, or null when it is one. */
function httpUrlProblem(text: string): string | null {
  const example = 'such as https://portal.example.com/signed-in';
  if (!/^https?:\/\/[^/?#]/i.test(text) || !URL_TEXT.test(text)) return `must be an absolute http or https URL, ${example}`;
  // Encoded controls (CR, LF, NUL, ...) and backslashes, which a browser or a proxy may decode.
  if (/%(?:[01][0-9a-f]|7f|5c)/i.test(text)) return 'must not hold an encoded control character or backslash';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `must be an absolute http or https URL, ${example}`;
  }
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password';
  return null;
}

export function coerce(name: OptionName, raw: unknown, source: string): OptionValue {
  const spec: OptionSpec = OPTION_SPECS[name];
  const where = `${name} (from ${source})`;
  if (spec.kind === 'string') {
    if (typeof raw !== 'string' || (raw.length === 0 && spec.optional !== true))
      throw new OptionError(`${where} must be a non-empty string`);
    return raw;
  }
  if (spec.kind === 'url') {
    const problem = typeof raw === 'string' ? (raw === '' && spec.optional === true ? null : httpUrlProblem(raw)) : 'must be a string';
    if (problem !== null) throw new OptionError(`${where} ${problem}`);
    return raw as string;
  }
  if (spec.kind === 'store') {
    const problem = typeof raw === 'string' ? storeLocationProblem(raw) : 'must be a string';
    if (problem !== null) throw new OptionError(`${where} ${problem}`);
    return raw as string;
  }
  if (spec.kind === 'enum') {
    if (typeof raw !== 'string' || !spec.values?.includes(raw)) {
      throw new OptionError(`${where} must be one of: ${spec.values?.join(', ') ?? ''}`);
    }
    return raw;
  }
  if (spec.kind === 'list') {
    const items = Array.isArray(raw)
      ? (raw as unknown[])
      : typeof raw === 'string'
        ? raw
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
        : null;
    const unknown = items?.find((item) => typeof item !== 'string' || !spec.values?.includes(item));
    if (items === null || unknown !== undefined) {
      throw new OptionError(`${where} must be a comma-separated list of: ${spec.values?.join(', ') ?? ''}`);
    }
    // In the order of the table, once each: the stored and reported form does not depend on how it was typed.
    return Object.freeze((spec.values ?? []).filter((value) => items.includes(value)));
  }
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text))
    throw new OptionError(`${where} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(text);
  const min = spec.kind === 'port' ? 0 : (spec.min ?? 0);
  const max = spec.kind === 'port' ? 65_535 : (spec.max ?? Number.MAX_SAFE_INTEGER);
  if (value < min || value > max) throw new OptionError(`${where} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export interface OptionSources {
  /** Values from the command line, by option name (already split from their flags). */
  readonly flags?: Readonly<Partial<Record<string, unknown>>>;
  /** The environment (SSOD_* variables are read; others ignored). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file whose keys are option names. */
  readonly configFile?: string;
}

/**
 * The option that a config file key names: the option name as `--help` shows it without its dashes
 * (`data-dir`), or in camelCase (`dataDir`). An unknown key is refused with the closest known one.
 */
function configKeyName(key: string, file: string): OptionName {
  const kebab = /^[a-z0-9]+(-[a-z0-9]+)+$/.test(key);
  const name = kebab ? key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
  if (Object.hasOwn(OPTION_SPECS, name)) return name as OptionName;
  const spellings = key.includes('-') ? NAMES.map((known) => flagOf(known).slice(2)) : NAMES;
  throw new OptionError(
    `unknown option "${key}" in config file ${file}${didYouMean(key, spellings)}; the keys are the option names of \`ssod serve --help\`, such as "data-dir" or "dataDir"`,
  );
}

/** Resolves options: defaults < config file < SSOD_* environment < flags. Unknown keys are an error. */
export function resolveOptions(sources: OptionSources = {}): Options {
  const values: Record<string, OptionValue> = {};
  const given = new Set<OptionName>();
  for (const name of NAMES) values[name] = coerce(name, OPTION_SPECS[name].default, 'default');

  if (sources.configFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.configFile, 'utf8'));
    } catch (error) {
      throw new OptionError(`cannot read config file ${sources.configFile}: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new OptionError(`config file ${sources.configFile} must hold a JSON object`);
    }
    for (const [key, raw] of Object.entries(parsed)) {
      const name = configKeyName(key, sources.configFile);
      if (given.has(name))
        throw new OptionError(`config file ${sources.configFile} gives ${name} twice (as "${key}" and in its other spelling); keep one`);
      values[name] = coerce(name, raw, 'config file');
      given.add(name);
    }
  }

  const env = sources.env ?? {};
  const known = new Set(NAMES.map(envOf));
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('SSOD_') || raw === undefined) continue;
    if (key === 'SSOD_CONFIG') continue;
    if (!known.has(key))
      throw new OptionError(
        `unknown environment variable ${key}${didYouMean(key, [...known])}; unset it, or see \`ssod serve --help\` for the SSOD_* variables`,
      );
  }
  for (const name of NAMES) {
    const raw = env[envOf(name)];
    if (raw === undefined) continue;
    values[name] = coerce(name, raw, envOf(name));
    given.add(name);
  }

  for (const [key, raw] of Object.entries(sources.flags ?? {})) {
    if (raw === undefined) continue;
    if (!Object.hasOwn(OPTION_SPECS, key)) throw new OptionError(`unknown option ${key}`);
    values[key] = coerce(key as OptionName, raw, flagOf(key as OptionName));
    given.add(key as OptionName);
  }
  if ((values.headersTimeout as number) > (values.requestTimeout as number)) {
    throw new OptionError(
      `--headers-timeout (${String(values.headersTimeout)}) must not exceed --request-timeout (${String(values.requestTimeout)}); raise --request-timeout or lower --headers-timeout`,
    );
  }
  return Object.freeze({ ...values, given: Object.freeze([...given]) }) as unknown as Options;
}

/** The text form of a value, as flags, the environment and the store hold it. */
export function formatOptionValue(value: OptionValue): string {
  return typeof value === 'object' ? value.join(',') : String(value);
}

/** The default as --help and the reference show it ("none" for an option that is off unless given). */
export function defaultText(name: OptionName): string {
  const value: string | number = OPTION_SPECS[name].default;
  return value === '' ? 'none' : String(value);
}

export function optionNames(): readonly OptionName[] {
  return NAMES;
}

const SETTING_NAMES = NAMES.filter((name): name is SettingName => (OPTION_SPECS[name] as OptionSpec).scope === 'service');

/** The service settings, in the order of the table. */
export function settingNames(): readonly SettingName[] {
  return SETTING_NAMES;
}

export function isSettingName(name: string): name is SettingName {
  return (SETTING_NAMES as readonly string[]).includes(name);
}
