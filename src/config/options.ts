// Every server option, declared once next to its default and a one-line doc (STYLE: options
// declared once). The CLI flags, the SSOD_* environment variables, the config file keys and
// docs/CONFIGURATION.md all come from this table. Unknown keys are an error; the result is frozen.
import { readFileSync } from 'node:fs';

type Kind = 'string' | 'port' | 'integer' | 'enum';

interface OptionSpec {
  readonly kind: Kind;
  readonly default: string | number;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** Placeholder shown in --help, e.g. DIR. */
  readonly arg: string;
}

export const OPTION_SPECS = {
  dataDir: { kind: 'string', default: './data', arg: 'DIR', doc: 'Data directory: the SQLite store, the certificate authority and the server certificate.' },
  hostname: { kind: 'string', default: '127.0.0.1', arg: 'NAME', doc: 'Host name of the service: in the server certificate and in the relay URL that getSettings reports.' },
  bind: { kind: 'string', default: '127.0.0.1', arg: 'ADDR', doc: 'Address both listeners bind to.' },
  soapPort: { kind: 'port', default: 11443, arg: 'N', doc: 'Port of the SOAP API over HTTPS with client certificates.' },
  relayPort: { kind: 'port', default: 1180, arg: 'N', doc: 'Port of the SSO Relay over HTTP (003 §2.1).' },
  sessionTimeout: { kind: 'integer', default: 6000, min: 60, max: 31_536_000, arg: 'SECONDS', doc: 'Idle timeout of a global session (getSettings usersSessionsTimeout).' },
  sessionLifetime: { kind: 'integer', default: 86_400, min: 60, max: 31_536_000, arg: 'SECONDS', doc: 'Absolute lifetime of a global session, and of its relay cookie.' },
  relayTokenLifetime: { kind: 'integer', default: 60, min: 5, max: 3600, arg: 'SECONDS', doc: 'How long a relay token from authenticate may wait to be exchanged at the relay.' },
  maxRequestBytes: { kind: 'integer', default: 65_536, min: 4096, max: 16_777_216, arg: 'BYTES', doc: 'Largest SOAP request body accepted; a larger one gets HTTP 413 before it is read.' },
  maxPasswordBytes: { kind: 'integer', default: 1024, min: 64, max: 65_536, arg: 'BYTES', doc: 'Longest password accepted (UTF-8 bytes); longer ones are refused before hashing.' },
  certValidityDays: { kind: 'integer', default: 1825, min: 1, max: 36_500, arg: 'DAYS', doc: 'Validity of the client certificates issued to applications.' },
  argon2MemoryKib: { kind: 'integer', default: 19_456, min: 8192, max: 4_194_304, arg: 'KIB', doc: 'argon2id memory cost for new password hashes (OWASP minimum: 19456).' },
  argon2Iterations: { kind: 'integer', default: 2, min: 1, max: 100, arg: 'N', doc: 'argon2id time cost for new password hashes (OWASP minimum: 2).' },
  logLevel: { kind: 'enum', default: 'info', values: ['debug', 'info', 'warn', 'error', 'silent'], arg: 'LEVEL', doc: 'Least severe log level written (one JSON line per request at info).' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTION_SPECS;

export interface Options {
  readonly dataDir: string;
  readonly hostname: string;
  readonly bind: string;
  readonly soapPort: number;
  readonly relayPort: number;
  readonly sessionTimeout: number;
  readonly sessionLifetime: number;
  readonly relayTokenLifetime: number;
  readonly maxRequestBytes: number;
  readonly maxPasswordBytes: number;
  readonly certValidityDays: number;
  readonly argon2MemoryKib: number;
  readonly argon2Iterations: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

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

function coerce(name: OptionName, raw: unknown, source: string): string | number {
  const spec: OptionSpec = OPTION_SPECS[name];
  const where = `${name} (from ${source})`;
  if (spec.kind === 'string') {
    if (typeof raw !== 'string' || raw.length === 0) throw new OptionError(`${where} must be a non-empty string`);
    return raw;
  }
  if (spec.kind === 'enum') {
    if (typeof raw !== 'string' || !spec.values?.includes(raw)) {
      throw new OptionError(`${where} must be one of: ${spec.values?.join(', ') ?? ''}`);
    }
    return raw;
  }
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text)) throw new OptionError(`${where} must be a whole number, got ${JSON.stringify(raw)}`);
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

/** Resolves options: defaults < config file < SSOD_* environment < flags. Unknown keys are an error. */
export function resolveOptions(sources: OptionSources = {}): Options {
  const values: Record<string, string | number> = {};
  for (const name of NAMES) values[name] = OPTION_SPECS[name].default;

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
      if (!Object.hasOwn(OPTION_SPECS, key)) throw new OptionError(`unknown option "${key}" in config file ${sources.configFile}`);
      values[key] = coerce(key as OptionName, raw, 'config file');
    }
  }

  const env = sources.env ?? {};
  const known = new Set(NAMES.map(envOf));
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('SSOD_') || raw === undefined) continue;
    if (key === 'SSOD_CONFIG') continue;
    if (!known.has(key)) throw new OptionError(`unknown environment variable ${key}`);
  }
  for (const name of NAMES) {
    const raw = env[envOf(name)];
    if (raw !== undefined) values[name] = coerce(name, raw, envOf(name));
  }

  for (const [key, raw] of Object.entries(sources.flags ?? {})) {
    if (raw === undefined) continue;
    if (!Object.hasOwn(OPTION_SPECS, key)) throw new OptionError(`unknown option ${key}`);
    values[key] = coerce(key as OptionName, raw, flagOf(key as OptionName));
  }
  return Object.freeze(values) as unknown as Options;
}

export function optionNames(): readonly OptionName[] {
  return NAMES;
}
