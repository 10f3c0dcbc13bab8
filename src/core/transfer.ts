// Moving applications and users between installations as JSON (`ssod export`, `ssod import`):
// applications with their certificate records, the delegated sources with their settings (the LDAP
// service account's password included: the file is a secret, as the hashes make it), and users
// with their password hashes (never a plaintext) or their source, the SAML identity providers with
// their settings, the federated ids linked to users, and the application groups with their members
// (docs/groups.md). Sessions stay behind: they are
// live credentials of the installation that made them.
// Client certificates chain to the CA that issued them; an installation with another CA refuses
// them (callers.ts), so an application moved to one needs a new certificate (docs: Operations).
import { SsoError } from './errors.js';
import {
  DuplicateLoginError,
  DuplicateIdentityProviderError,
  DuplicateSourceError,
  type ApplicationRecord,
  type CertificateRecord,
  type FederatedLink,
  type GroupRecord,
  type IdentityProviderRecord,
  type SourceRecord,
  type UnitStep,
  type UserRecord,
} from './store/index.js';
import { certificateAddition, requireApplicationText } from './applications.js';
import { publish } from './events.js';
import { NO_PASSWORD } from './localAuthenticator.js';
import { storedHashProblem } from './ports/passwords.js';
import { Refusal } from './refusal.js';
import type { OperatorServices } from './services.js';
import { checkSourceName, parseSourceSettings } from './sourceSettings.js';
import {
  certificateSummary,
  checkDisplayName,
  checkFederatedId,
  checkIdentityProviderName,
  parseIdentityProviderSettings,
} from './identityProviderSettings.js';
import { checkGroupName } from './operator/groups.js';
import { normalizeBaseUrl } from './urls.js';
import { loginKeyOf } from './users.js';

export const EXPORT_FORMAT = 'ssod-export';
/**
 * Version 2 added the delegated sources and each user's source; version 3 the SAML identity providers and
 * the federated links; version 4 the application groups. Versions 1 (every user local), 2 (no identity
 * providers) and 3 (no groups) are still read.
 */
export const EXPORT_VERSION = 4;
const READABLE_VERSIONS: readonly number[] = [1, 2, 3, 4];
const USER_PAGE = 1000;

export type ExportedCertificate = Omit<CertificateRecord, 'applicationId'>;
export interface ExportedApplication extends ApplicationRecord {
  readonly certificates: readonly ExportedCertificate[];
}
export type ExportedSource = SourceRecord;
/** A user with its password hash, or with its source (sourceName) and no hash (''). */
export type ExportedUser = Omit<UserRecord, 'loginKey'>;
export type ExportedIdentityProvider = IdentityProviderRecord;
export type ExportedLink = FederatedLink;
/** A group with its provider and its subscribers, in the order they joined. */
export interface ExportedGroup extends GroupRecord {
  readonly subscribers: readonly { readonly applicationId: string; readonly joinedAt: number }[];
}

export interface Export {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: typeof EXPORT_VERSION;
  readonly exportedAt: number;
  readonly applications: readonly ExportedApplication[];
  readonly sources: readonly ExportedSource[];
  readonly users: readonly ExportedUser[];
  readonly identityProviders: readonly ExportedIdentityProvider[];
  readonly federatedLinks: readonly ExportedLink[];
  readonly groups: readonly ExportedGroup[];
}

/** The identity providers to export: refused while one cannot be read (it could not be imported either). */
async function exportedIdentityProviders(services: Pick<OperatorServices, 'store'>): Promise<ExportedIdentityProvider[]> {
  return (await services.store.listIdentityProviders()).map((idp) => {
    if (idp.settings === null)
      throw new Refusal(
        `identity provider ${idp.name} cannot be exported: its stored settings cannot be used (${idp.problem}); fix them with \`ssod idps update ${idp.name}\``,
      );
    return idp;
  });
}

/** The sources to export: refused while one cannot be read (it could not be imported either). */
async function exportedSources(services: Pick<OperatorServices, 'store'>): Promise<ExportedSource[]> {
  return (await services.store.listSources()).map((source) => {
    if (source.settings === null)
      throw new Refusal(
        `source ${source.name} cannot be exported: its stored settings cannot be used (${source.problem}); add it again with \`ssod sources add ${source.name} … --replace\``,
      );
    return source;
  });
}

/** The groups with their subscribers, from one read of every membership. */
async function exportedGroups(services: Pick<OperatorServices, 'store'>): Promise<ExportedGroup[]> {
  const memberships = await services.store.listGroupMemberships();
  return (await services.store.listGroups()).map(({ members: _, ...group }) => ({
    ...group,
    subscribers: memberships
      .filter((m) => m.groupName === group.name && m.role === 'subscriber')
      .sort((a, b) => a.joinedAt - b.joinedAt)
      .map((m) => ({ applicationId: m.applicationId, joinedAt: m.joinedAt })),
  }));
}

export async function exportInstallation(services: Pick<OperatorServices, 'store' | 'now'>): Promise<Export> {
  const applications: ExportedApplication[] = [];
  for (const app of await services.store.listApplications()) {
    const certificates = (await services.store.listCertificates(app.id)).map(({ applicationId: _, ...cert }) => cert);
    applications.push({ ...app, certificates });
  }
  const users: ExportedUser[] = [];
  for (let after: string | undefined; ;) {
    const page = await services.store.listUsers({ limit: USER_PAGE, ...(after === undefined ? {} : { afterLoginKey: after }) });
    users.push(...page.map(({ loginKey: _, ...user }) => user));
    if (page.length < USER_PAGE) break;
    after = page[page.length - 1]?.loginKey;
  }
  const sources = await exportedSources(services);
  const identityProviders = await exportedIdentityProviders(services);
  const federatedLinks = await services.store.listFederatedLinks();
  const groups = await exportedGroups(services);
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: services.now(),
    applications,
    sources,
    users,
    identityProviders,
    federatedLinks,
    groups,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading an export: every field checked, the first bad one named by its path.

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Refusal(`${where}: must be an object`);
  return value as Json;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Refusal(`${where}: must be an array`);
  return value;
}

function text(record: Json, key: string, where: string, { empty = true } = {}): string {
  const value = record[key];
  if (typeof value !== 'string' || (!empty && value === ''))
    throw new Refusal(`${where}.${key}: must be a${empty ? '' : ' non-empty'} string`);
  return value;
}

function optionalText(record: Json, key: string, where: string): string | null {
  return record[key] === null || record[key] === undefined ? null : text(record, key, where);
}

function time(record: Json, key: string, where: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new Refusal(`${where}.${key}: must be a time in milliseconds`);
  return value;
}

function optionalTime(record: Json, key: string, where: string): number | null {
  return record[key] === null || record[key] === undefined ? null : time(record, key, where);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

function matching(value: string, pattern: RegExp, where: string, what: string): string {
  if (!pattern.test(value)) throw new Refusal(`${where}: must be ${what}`);
  return value;
}

function url(record: Json, key: string, where: string): string | null {
  const value = optionalText(record, key, where);
  if (value === null) return null;
  const normalized = normalizeBaseUrl(value);
  if (normalized === null) throw new Refusal(`${where}.${key}: must be a scheme://host:port/ URL`);
  return normalized;
}

function readCertificate(value: unknown, where: string): ExportedCertificate {
  const record = object(value, where);
  return {
    fingerprint: matching(text(record, 'fingerprint', where), FINGERPRINT, `${where}.fingerprint`, '64 lower-case hex digits (SHA-256)'),
    serial: text(record, 'serial', where, { empty: false }),
    issuedAt: time(record, 'issuedAt', where),
    notAfter: time(record, 'notAfter', where),
    firstUsedAt: optionalTime(record, 'firstUsedAt', where),
    retiredAt: optionalTime(record, 'retiredAt', where),
  };
}

/** A check of the domain (the rules the SOAP API and the operator's commands apply), refused with where in the file it failed. */
function checked<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof SsoError || error instanceof Refusal) throw new Refusal(`${where}: ${error.message}`);
    throw error;
  }
}

function readApplication(value: unknown, where: string): ExportedApplication {
  const record = object(value, where);
  const certificates = array(record.certificates, `${where}.certificates`).map((cert, i) =>
    readCertificate(cert, `${where}.certificates[${i}]`),
  );
  if (certificates.length === 0) throw new Refusal(`${where}.certificates: an application has at least one certificate`);
  const application = {
    id: matching(text(record, 'id', where), UUID, `${where}.id`, 'a lower-case UUID'),
    name: text(record, 'name', where, { empty: false }),
    displayName: text(record, 'displayName', where),
    version: text(record, 'version', where),
    capabilities: text(record, 'capabilities', where),
    url: url(record, 'url', where),
    // Password form URLs carry a path and a %s placeholder: kept as the owner registered them.
    restorePasswordUrl: optionalText(record, 'restorePasswordUrl', where),
    changePasswordUrl: optionalText(record, 'changePasswordUrl', where),
    createdAt: time(record, 'createdAt', where),
    certificates: certificates.sort((a, b) => a.issuedAt - b.issuedAt),
  };
  checked(where, () => requireApplicationText(application));
  return application;
}

/**
 * A user's password hash, refused outside the bounds of a stored hash (core/ports/passwords.ts): checked while
 * the file is read, so that nothing is written when one is out of bounds.
 */
function boundedHash(record: Json, where: string): string {
  const hash = text(record, 'passwordHash', where);
  const problem = storedHashProblem(hash);
  if (problem !== null) throw new Refusal(`${where}.passwordHash (user ${JSON.stringify(record.login)}): ${problem}`);
  return hash;
}

/** A user of a delegated source has no local password: its hash is ''. */
function sourceUserHash(record: Json, where: string, sourceName: string): string {
  if (record.passwordHash !== NO_PASSWORD)
    throw new Refusal(`${where}.passwordHash (user ${JSON.stringify(record.login)}): must be "" for a user of source ${sourceName}`);
  return NO_PASSWORD;
}

function readUser(value: unknown, where: string): ExportedUser {
  const record = object(value, where);
  const login = text(record, 'login', where, { empty: false });
  checked(`${where}.login`, () => loginKeyOf(login));
  const sourceName = optionalText(record, 'sourceName', where);
  if (sourceName !== null) checked(`${where}.sourceName`, () => checkSourceName(sourceName));
  return {
    id: matching(text(record, 'id', where), UUID, `${where}.id`, 'a lower-case UUID'),
    login,
    ownerId: matching(text(record, 'ownerId', where), UUID, `${where}.ownerId`, 'a lower-case UUID'),
    passwordHash: sourceName === null ? boundedHash(record, where) : sourceUserHash(record, where, sourceName),
    createdAt: time(record, 'createdAt', where),
    disabledAt: optionalTime(record, 'disabledAt', where),
    sourceName,
  };
}

function readSource(value: unknown, where: string): ExportedSource {
  const record = object(value, where);
  const name = text(record, 'name', where, { empty: false });
  checked(`${where}.name`, () => checkSourceName(name));
  const settings = checked(`${where}.settings`, () => parseSourceSettings(record.settings));
  if (record.kind !== settings.kind) throw new Refusal(`${where}.kind: must be ${JSON.stringify(settings.kind)}, the kind of its settings`);
  return { name, kind: settings.kind, settings, createdAt: time(record, 'createdAt', where), updatedAt: time(record, 'updatedAt', where) };
}

function readIdentityProvider(value: unknown, where: string): ExportedIdentityProvider {
  const record = object(value, where);
  const name = text(record, 'name', where, { empty: false });
  checked(`${where}.name`, () => checkIdentityProviderName(name));
  const displayName = text(record, 'displayName', where);
  checked(`${where}.displayName`, () => checkDisplayName(displayName));
  const settings = checked(`${where}.settings`, () => parseIdentityProviderSettings(record.settings));
  return { name, displayName, settings, createdAt: time(record, 'createdAt', where), updatedAt: time(record, 'updatedAt', where) };
}

function readLink(value: unknown, where: string): ExportedLink {
  const record = object(value, where);
  const idpName = text(record, 'idpName', where, { empty: false });
  checked(`${where}.idpName`, () => checkIdentityProviderName(idpName));
  const federatedId = text(record, 'federatedId', where);
  checked(`${where}.federatedId`, () => checkFederatedId(federatedId));
  return {
    idpName,
    federatedId,
    userId: matching(text(record, 'userId', where), UUID, `${where}.userId`, 'a lower-case UUID'),
    createdAt: time(record, 'createdAt', where),
  };
}

function readGroup(value: unknown, where: string): ExportedGroup {
  const record = object(value, where);
  const name = text(record, 'name', where);
  checked(`${where}.name`, () => checkGroupName(name));
  return {
    name,
    providerId: text(record, 'providerId', where),
    createdAt: time(record, 'createdAt', where),
    subscribers: array(record.subscribers, `${where}.subscribers`).map((member, i) => {
      const at = `${where}.subscribers[${i}]`;
      const entry = object(member, at);
      return { applicationId: text(entry, 'applicationId', at), joinedAt: time(entry, 'joinedAt', at) };
    }),
  };
}

/** Checks an export as parsed from JSON; throws a Refusal naming the first bad field. */
export function readExport(value: unknown): Export {
  const record = object(value, 'the export');
  if (record.format !== EXPORT_FORMAT || !READABLE_VERSIONS.includes(record.version as number)) {
    throw new Refusal(
      `not an ssod export of version ${READABLE_VERSIONS.join(' or ')} (format "${String(record.format)}", version ${String(record.version)})`,
    );
  }
  // Version 1 had no sources: every user of it signs in locally.
  const sources = record.version === 1 ? [] : array(record.sources, 'sources');
  // Versions 1 and 2 had no identity providers.
  const idps = record.version === 3 || record.version === 4 ? array(record.identityProviders, 'identityProviders') : [];
  const links = record.version === 3 || record.version === 4 ? array(record.federatedLinks, 'federatedLinks') : [];
  // Versions before 4 had no groups.
  const groups = record.version === 4 ? array(record.groups, 'groups') : [];
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: time(record, 'exportedAt', 'the export'),
    applications: array(record.applications, 'applications').map((app, i) => readApplication(app, `applications[${i}]`)),
    sources: sources.map((source, i) => readSource(source, `sources[${i}]`)),
    users: array(record.users, 'users').map((user, i) => readUser(user, `users[${i}]`)),
    identityProviders: idps.map((idp, i) => readIdentityProvider(idp, `identityProviders[${i}]`)),
    federatedLinks: links.map((link, i) => readLink(link, `federatedLinks[${i}]`)),
    groups: groups.map((group, i) => readGroup(group, `groups[${i}]`)),
  };
}

// ---------------------------------------------------------------------------------------------
// Importing

export interface ImportOptions {
  /** Leave out applications, sources and users that the installation has already (same id or name, or same login); otherwise refuse. */
  readonly skipExisting?: boolean;
}

export interface ImportResult {
  readonly applicationsAdded: number;
  readonly applicationsSkipped: readonly string[];
  readonly sourcesAdded: number;
  readonly sourcesSkipped: readonly string[];
  readonly usersAdded: number;
  readonly usersSkipped: readonly string[];
  readonly identityProvidersAdded: number;
  readonly identityProvidersSkipped: readonly string[];
  readonly federatedLinksAdded: number;
  readonly federatedLinksSkipped: number;
  readonly groupsAdded: number;
  readonly groupsSkipped: readonly string[];
}

function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  return values.find((value) => (seen.has(value) ? true : (seen.add(value), false)));
}

/**
 * Adds the export's applications (with their certificate records), sources, and users (with their
 * hashes or sources).
 * Everything is checked before the first write: clashes with the installation (an id, a login or a
 * fingerprint it has) are refused, or with skipExisting left out; a user's owner, and its source, must be imported
 * or present. The writes are one per record: a concurrent change can still stop an import halfway,
 * and the result says what was added.
 */
export async function importInstallation(
  services: Pick<OperatorServices, 'store' | 'log' | 'now'>,
  data: Export,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const store = services.store;
  const duplicate =
    firstDuplicate(data.applications.map((app) => app.id)) ??
    firstDuplicate(data.applications.flatMap((app) => app.certificates.map((cert) => cert.fingerprint))) ??
    firstDuplicate(data.sources.map((source) => source.name)) ??
    firstDuplicate(data.users.map((user) => user.id)) ??
    firstDuplicate(data.users.map((user) => loginKeyOf(user.login))) ??
    firstDuplicate(data.identityProviders.map((idp) => idp.name)) ??
    firstDuplicate(data.federatedLinks.map((link) => `${link.idpName} ${link.federatedId}`)) ??
    firstDuplicate(data.federatedLinks.map((link) => `${link.idpName} user ${link.userId}`)) ??
    firstDuplicate(data.groups.map((group) => group.name)) ??
    firstDuplicate(data.groups.flatMap((group) => [group.providerId, ...group.subscribers.map((m) => m.applicationId)]));
  if (duplicate !== undefined) throw new Refusal(`the export names ${duplicate} twice`);

  const clash = (what: string): never => {
    throw new Refusal(`the installation has ${what} already: leave such records out with --skip-existing, or remove them from the file`);
  };
  const applications: ExportedApplication[] = [];
  const applicationsSkipped: string[] = [];
  for (const app of data.applications) {
    if ((await store.getApplication(app.id)) !== null) {
      if (options.skipExisting !== true) clash(`application ${app.id} (${app.name})`);
      applicationsSkipped.push(app.id);
      continue;
    }
    for (const cert of app.certificates) {
      if ((await store.findCertificate(cert.fingerprint)) !== null)
        throw new Refusal(`certificate ${cert.fingerprint} of ${app.id} belongs to another application of the installation`);
    }
    applications.push(app);
  }
  const sources: ExportedSource[] = [];
  const sourcesSkipped: string[] = [];
  for (const source of data.sources) {
    if ((await store.getSource(source.name)) !== null) {
      if (options.skipExisting !== true) clash(`source ${source.name}`);
      sourcesSkipped.push(source.name);
      continue;
    }
    sources.push(source);
  }
  const sourceNames = new Set(data.sources.map((source) => source.name));
  const owners = new Set(data.applications.map((app) => app.id));
  const users: ExportedUser[] = [];
  const usersSkipped: string[] = [];
  for (const user of data.users) {
    if ((await store.getUser(user.id)) !== null || (await store.findUserByLoginKey(loginKeyOf(user.login))) !== null) {
      if (options.skipExisting !== true) clash(`user ${user.id} or the login ${JSON.stringify(user.login)}`);
      usersSkipped.push(user.id);
      continue;
    }
    if (!owners.has(user.ownerId) && (await store.getApplication(user.ownerId)) === null) {
      throw new Refusal(
        `user ${user.login} is owned by application ${user.ownerId}, which is neither in the export nor in the installation`,
      );
    }
    if (user.sourceName !== null && !sourceNames.has(user.sourceName) && (await store.getSource(user.sourceName)) === null) {
      throw new Refusal(
        `user ${user.login} signs in through source ${user.sourceName}, which is neither in the export nor in the installation`,
      );
    }
    users.push(user);
  }

  const groups = await importableGroups(services, data, new Set(applications.map((app) => app.id)), options);
  const idps = await importableIdentityProviders(services, data, owners, options);
  const links = await importableLinks(services, data, new Set(users.map((user) => user.id)), options);

  for (const { certificates, ...app } of applications) {
    const [first, ...rest] = certificates.map((cert) => ({ ...cert, applicationId: app.id }));
    if (first === undefined) continue; // readExport requires one
    await store.insertApplication(app, first);
    for (const cert of rest) await store.apply(certificateAddition(cert)); // in order of issue, so pending/retired states come out as exported
    await publish(services, {
      type: 'application.registered',
      actor: 'operator',
      applicationId: app.id,
      name: app.name,
      url: app.url,
      imported: true,
    });
  }
  for (const source of sources) {
    try {
      await store.insertSource(source);
    } catch (error) {
      if (error instanceof DuplicateSourceError) throw new Refusal(`the source name ${source.name} was taken while importing; try again`);
      throw error;
    }
    await publish(services, {
      type: 'source.added',
      actor: 'operator',
      name: source.name,
      kind: source.kind,
      url: source.settings.url,
      imported: true,
    });
  }
  let usersAdded = 0;
  for (const user of users) {
    try {
      await store.insertUser({ ...user, loginKey: loginKeyOf(user.login) });
    } catch (error) {
      if (error instanceof DuplicateLoginError)
        throw new Refusal(`the login ${JSON.stringify(user.login)} was taken while importing; ${usersAdded} user(s) were added before it`);
      throw error;
    }
    usersAdded += 1;
    await publish(services, {
      type: 'user.created',
      actor: 'operator',
      userId: user.id,
      login: user.login,
      ownerId: user.ownerId,
      imported: true,
    });
  }
  await addIdentityProviders(services, idps.add);
  const linksAdded = await addLinks(services, links.add);
  await addGroups(services, groups.add);
  services.log.info('applications, sources, users and identity providers imported', {
    applications: applications.length,
    sources: sources.length,
    users: usersAdded,
    identityProviders: idps.add.length,
    federatedLinks: linksAdded,
    groups: groups.add.length,
  });
  return {
    applicationsAdded: applications.length,
    applicationsSkipped,
    sourcesAdded: sources.length,
    sourcesSkipped,
    usersAdded,
    usersSkipped,
    identityProvidersAdded: idps.add.length,
    identityProvidersSkipped: idps.skipped,
    federatedLinksAdded: linksAdded,
    federatedLinksSkipped: links.skipped + (links.add.length - linksAdded),
    groupsAdded: groups.add.length,
    groupsSkipped: groups.skipped,
  };
}

type ImportServices = Pick<OperatorServices, 'store' | 'log' | 'now'>;

function clashRefusal(what: string): Refusal {
  return new Refusal(`the installation has ${what} already: leave such records out with --skip-existing, or remove them from the file`);
}

/** The identity providers to add: a name the installation has is a clash (or skipped); an owner application must be imported or present. */
async function importableIdentityProviders(
  services: ImportServices,
  data: Export,
  owners: ReadonlySet<string>,
  options: ImportOptions,
): Promise<{ add: ExportedIdentityProvider[]; skipped: string[] }> {
  const add: ExportedIdentityProvider[] = [];
  const skipped: string[] = [];
  for (const idp of data.identityProviders) {
    if ((await services.store.getIdentityProvider(idp.name)) !== null) {
      if (options.skipExisting !== true) throw clashRefusal(`identity provider ${idp.name}`);
      skipped.push(idp.name);
      continue;
    }
    const owner = idp.settings.createUsersOwnedBy;
    if (owner !== null && !owners.has(owner) && (await services.store.getApplication(owner)) === null)
      throw new Refusal(
        `identity provider ${idp.name} creates users owned by application ${owner}, which is neither in the export nor in the installation`,
      );
    add.push(idp);
  }
  return { add, skipped };
}

/**
 * The links to add: their identity provider and user must be imported or present; a federated id (or a
 * user) linked already under that identity provider is a clash, or skipped. A link of a user that was
 * skipped (the installation has it) is added only when the installation's user is the same one (same id).
 */
async function importableLinks(
  services: ImportServices,
  data: Export,
  importedUsers: ReadonlySet<string>,
  options: ImportOptions,
): Promise<{ add: ExportedLink[]; skipped: number }> {
  const idpNames = new Set(data.identityProviders.map((idp) => idp.name));
  const add: ExportedLink[] = [];
  let skipped = 0;
  for (const link of data.federatedLinks) {
    if (!idpNames.has(link.idpName) && (await services.store.getIdentityProvider(link.idpName)) === null)
      throw new Refusal(
        `a federated id is linked under identity provider ${link.idpName}, which is neither in the export nor in the installation`,
      );
    if (!importedUsers.has(link.userId) && (await services.store.getUser(link.userId)) === null)
      throw new Refusal(
        `a federated id of ${link.idpName} is linked to user ${link.userId}, which is neither in the export nor in the installation`,
      );
    const holder = await services.store.findUserByFederatedId(link.idpName, link.federatedId);
    const userLinks = importedUsers.has(link.userId) ? [] : await services.store.listFederatedLinksOfUser(link.userId);
    if (holder !== null || userLinks.some((existing) => existing.idpName === link.idpName)) {
      if (options.skipExisting !== true)
        throw clashRefusal(`a link of federated id ${JSON.stringify(link.federatedId)} under ${link.idpName}`);
      skipped += 1;
      continue;
    }
    add.push(link);
  }
  return { add, skipped };
}

async function addIdentityProviders(services: ImportServices, idps: readonly ExportedIdentityProvider[]): Promise<void> {
  for (const idp of idps) {
    try {
      await services.store.insertIdentityProvider(idp);
    } catch (error) {
      if (error instanceof DuplicateIdentityProviderError)
        throw new Refusal(`the identity provider name ${idp.name} was taken while importing; try again`);
      throw error;
    }
    await publish(services, {
      type: 'idp.added',
      actor: 'operator',
      name: idp.name,
      issuer: idp.settings.issuer,
      signInUrl: idp.settings.signInUrl,
      certificates: idp.settings.certificates.map((pem) => certificateSummary(pem, services.now()).sha256),
      imported: true,
    });
  }
}

/** Adds the links; one taken meanwhile is left out (counted as skipped). */
async function addLinks(services: ImportServices, links: readonly ExportedLink[]): Promise<number> {
  let added = 0;
  for (const link of links) {
    if ((await services.store.linkFederatedId(link)) !== 'linked') continue;
    added += 1;
    const user = await services.store.getUser(link.userId);
    await publish(services, {
      type: 'user.federatedIdLinked',
      actor: 'operator',
      userId: link.userId,
      login: user?.login ?? '',
      idpName: link.idpName,
      federatedId: link.federatedId,
      imported: true,
    });
  }
  return added;
}

/**
 * The groups to add: each one's members must all be applications this import adds (a group never
 * takes in an application of the installation, whose sessions and users it would move); a group
 * whose name is taken, or one of whose members was left out, is refused or with skipExisting left out.
 * Subscribers own no users: an export in which one does is refused.
 */
async function importableGroups(
  services: ImportServices,
  data: Export,
  added: ReadonlySet<string>,
  options: ImportOptions,
): Promise<{ add: ExportedGroup[]; skipped: string[] }> {
  const add: ExportedGroup[] = [];
  const skipped: string[] = [];
  for (const group of data.groups) {
    const subscribers = new Set(group.subscribers.map((m) => m.applicationId));
    const owning = data.users.find((user) => subscribers.has(user.ownerId));
    if (owning !== undefined)
      throw new Refusal(
        `user ${owning.login} is owned by a subscriber of group ${group.name}; subscribers own no users, the provider does`,
      );
    const members = [group.providerId, ...subscribers];
    const taken = (await services.store.getGroup(group.name)) !== null;
    const outside = members.find((id) => !added.has(id));
    if (!taken && outside === undefined) {
      add.push(group);
      continue;
    }
    if (options.skipExisting !== true)
      throw new Refusal(
        taken
          ? `the installation has a group named ${group.name} already: leave such records out with --skip-existing, or remove them from the file`
          : `group ${group.name} names application ${outside ?? ''}, which this import does not add; remove the group from the file or import its applications too`,
      );
    skipped.push(group.name);
  }
  return { add, skipped };
}

/** Adds each group with its members in one unit; one whose name was taken meanwhile is refused. */
async function addGroups(services: ImportServices, groups: readonly ExportedGroup[]): Promise<void> {
  for (const { subscribers, ...group } of groups) {
    const unit: UnitStep[] = [
      { write: 'insertGroup', group, required: true },
      ...subscribers.map((m): UnitStep => ({
        write: 'insertGroupMember',
        member: { applicationId: m.applicationId, groupName: group.name, role: 'subscriber', joinedAt: m.joinedAt },
        required: true,
      })),
    ];
    if (!(await services.store.apply(unit)))
      throw new Refusal(`group ${group.name} or one of its applications changed while importing; try again`);
    await publish(services, { type: 'group.created', actor: 'operator', name: group.name, providerId: group.providerId, imported: true });
    for (const m of subscribers)
      await publish(services, {
        type: 'group.memberAdded',
        actor: 'operator',
        name: group.name,
        applicationId: m.applicationId,
        usersTransferred: 0,
        imported: true,
      });
  }
}
