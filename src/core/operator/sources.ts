// What an operator does with delegated sources (docs/FEDERATION.md): add one (or replace its
// settings), list them with how many users each has, look at one, test it, remove one that no user
// has. Every change is published as a domain event, so it lands in the audit trail; every node
// follows the change within a few seconds (core/sources.ts).
import type { AuditActor } from '../audit.js';
import { publish } from '../events.js';
import type { DelegatedSource, SourceAnswer, SourceOpener, SourceSettings } from '../ports/delegated.js';
import { Refusal } from '../refusal.js';
import type { OperatorServices } from '../services.js';
import { SOURCE_TIMEOUTS, checkSourceName, parseSourceSettings } from '../sourceSettings.js';
import { DuplicateSourceError, type LastTestRecord, type StoredSource, type UserRecord } from '../store/index.js';
import { lastTestRecord } from './lastTests.js';

/** A source's users are listed up to this many by `ssod sources show`. */
export const MOST_SHOWN_USERS = 20;

type Services = Pick<OperatorServices, 'store' | 'now' | 'log'>;

export interface ListedSource {
  readonly source: StoredSource;
  /** How many users sign in through it. */
  readonly users: number;
}

/** Every source with the number of its users. */
export async function listSourcesWithUsers(services: Pick<OperatorServices, 'store'>): Promise<ListedSource[]> {
  const sources = await services.store.listSources();
  return Promise.all(sources.map(async (source) => ({ source, users: await services.store.countUsersOfSource(source.name) })));
}

export interface SourceDetails extends ListedSource {
  /** The first of its users by login (up to MOST_SHOWN_USERS). */
  readonly someUsers: readonly UserRecord[];
  /** What its last test answered (testSource keeps it), or null. */
  readonly lastTest: LastTestRecord | null;
}

/** The source of that name, with its users; a refusal naming the configured sources when there is none. */
export async function sourceDetails(services: Pick<OperatorServices, 'store'>, name: string): Promise<SourceDetails> {
  const source = await findSource(services, name);
  const [users, someUsers, lastTest] = await Promise.all([
    services.store.countUsersOfSource(name),
    services.store.listUsersOfSource(name, MOST_SHOWN_USERS),
    services.store.getLastTest('source', name),
  ]);
  return { source, users, someUsers, lastTest };
}

/** The stored source of that name, or a refusal that says which there are. */
export async function findSource(services: Pick<OperatorServices, 'store'>, name: string): Promise<StoredSource> {
  const source = await services.store.getSource(name);
  if (source !== null) return source;
  const names = (await services.store.listSources()).map((known) => known.name);
  throw new Refusal(
    names.length === 0
      ? `no source named ${JSON.stringify(name)}: none is configured; \`ssod sources add\` adds one`
      : `no source named ${JSON.stringify(name)}; the configured sources are: ${names.join(', ')}`,
  );
}

export interface SourceAddition {
  readonly name: string;
  /** The settings as given (checked here). */
  readonly settings: unknown;
  /** Replace the settings of a source of that name instead of refusing it. */
  readonly replace?: boolean;
}

/** Adds a source (or, with `replace`, replaces the settings of the existing one); what was stored. */
export async function addSource(
  services: Services,
  addition: SourceAddition,
  actor: AuditActor = 'operator',
): Promise<{ readonly settings: SourceSettings; readonly replaced: boolean }> {
  const name = checkSourceName(addition.name);
  const settings = parseSourceSettings(addition.settings);
  const now = services.now();
  const record = { name, kind: settings.kind, settings, createdAt: now, updatedAt: now };
  let replaced = false;
  if (addition.replace === true && (await services.store.updateSource(record))) replaced = true;
  else {
    try {
      await services.store.insertSource(record);
    } catch (error) {
      if (!(error instanceof DuplicateSourceError)) throw error;
      throw new Refusal(`a source named ${name} exists already; choose another name, or give --replace to replace its settings`);
    }
  }
  await publish(services, {
    type: 'source.added',
    actor,
    name,
    kind: settings.kind,
    url: settings.url,
    ...(replaced ? { replaced } : {}),
  });
  return { settings, replaced };
}

/** Removes a source that no user has; refused with the number of its users otherwise. */
export async function removeSource(services: Services, name: string, actor: AuditActor = 'operator'): Promise<void> {
  const removal = await services.store.deleteSource(name);
  if (removal === 'absent') {
    await findSource(services, name); // refuses, naming the sources there are
    throw new Refusal(`source ${name} was added again meanwhile; try again`);
  }
  if (typeof removal === 'object')
    throw new Refusal(
      `source ${name} is the source of ${removal.inUse} user(s): turn single sign-on off for each first (\`ssod users sso off USER\`); \`ssod sources show ${name}\` lists them`,
    );
  await publish(services, { type: 'source.removed', actor, name });
}

/** The answer of a source in one word, as a test shows it. */
export function answerWord(answer: SourceAnswer): string {
  if (answer.ok) return 'accepted';
  return { rejected: 'refused', unavailable: 'unreachable', malformed: 'malformed reply' }[answer.cause];
}

async function askedOnce(open: SourceOpener, stored: StoredSource, login: string, password: string): Promise<SourceAnswer> {
  if (stored.settings === null) return { ok: false, cause: 'unavailable', detail: `its stored settings cannot be used: ${stored.problem}` };
  let source: DelegatedSource;
  try {
    source = open(stored.settings);
  } catch (error) {
    return { ok: false, cause: 'unavailable', detail: `it cannot be opened: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    return await source.checkPassword({ login, password, originatingIp: '127.0.0.1' });
  } finally {
    await source.close();
  }
}

/**
 * Asks the source once, directly (outside the circuit breaker, which is a running node's), whether
 * `password` is the password of `login`: what `ssod sources test` prints and the console shows. The
 * answer is kept as the source's last test (never the password), which `sourceDetails` gives back.
 */
export async function testSource(
  services: Pick<OperatorServices, 'store' | 'now'>,
  open: SourceOpener,
  check: { readonly name: string; readonly login: string; readonly password: string },
  actor: AuditActor = 'operator',
): Promise<SourceAnswer> {
  const stored = await findSource(services, check.name);
  const answer = await askedOnce(open, stored, check.login, check.password);
  await services.store.recordLastTest(
    lastTestRecord(
      'source',
      check.name,
      services.now(),
      actor,
      answerWord(answer),
      `login ${check.login}${answer.ok ? '' : `: ${answer.detail}`}`,
    ),
  );
  return answer;
}

/** The settings of a source as text fields: the options of `ssod sources add`, the fields of the console's form (not given: undefined). */
export interface SourceFields {
  readonly kind: 'webService' | 'ldap';
  readonly url: string;
  readonly connectTimeout?: string | undefined;
  readonly timeout?: string | undefined;
  readonly caPem?: string | undefined;
  readonly pin?: string | undefined;
  readonly startTls?: boolean | undefined;
  readonly bindDn?: string | undefined;
  readonly bindPassword?: string | undefined;
  readonly searchBase?: string | undefined;
  readonly searchFilter?: string | undefined;
  readonly bindDnTemplate?: string | undefined;
}

/** How the fields are named to whoever gave them (an option, a form's label), for a refusal to name them. */
export type SourceFieldNames = Readonly<Record<Exclude<keyof SourceFields, 'kind' | 'url'>, string>>;

const LDAP_ONLY = ['startTls', 'bindDn', 'bindPassword', 'searchBase', 'searchFilter', 'bindDnTemplate'] as const;

function milliseconds(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text))
    throw new Refusal(
      `${name} must be a whole number of milliseconds from ${SOURCE_TIMEOUTS.min} to ${SOURCE_TIMEOUTS.max}, got ${JSON.stringify(text)}; for example 5000`,
    );
  return Number(text);
}

/** The settings that the fields give, for addSource (which checks them): the fields' own rules, refused with the field's name. */
export function sourceSettingsOf(fields: SourceFields, names: SourceFieldNames): Record<string, unknown> {
  const transport = {
    connectTimeoutMs: milliseconds(names.connectTimeout, fields.connectTimeout),
    timeoutMs: milliseconds(names.timeout, fields.timeout),
    caPem: fields.caPem,
    pinSha256: fields.pin,
  };
  let settings: Record<string, unknown>;
  if (fields.kind === 'webService') {
    const ldapOnly = LDAP_ONLY.find((key) => fields[key] !== undefined && fields[key] !== false);
    if (ldapOnly !== undefined) throw new Refusal(`${names[ldapOnly]} is for an LDAP source, not a web service; leave it out`);
    settings = { kind: 'webService', url: fields.url, ...transport };
  } else {
    if (fields.bindPassword !== undefined && fields.bindDn === undefined)
      throw new Refusal(
        `${names.bindPassword} without ${names.bindDn}; give ${names.bindDn} too, the service account it is the password of`,
      );
    settings = {
      kind: 'ldap',
      url: fields.url,
      startTls: fields.startTls === true,
      bindDn: fields.bindDn,
      bindPassword: fields.bindPassword,
      searchBase: fields.searchBase,
      searchFilter: fields.searchFilter,
      bindDnTemplate: fields.bindDnTemplate,
      ...transport,
    };
  }
  // A field not given is no key at all: the settings have their defaults then.
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}
