// What an operator does with SAML identity providers (docs/federation/saml.md, "Configuring identity
// providers"): add one, change some of its settings, list them with how many federated ids each has,
// look at one with its certificates, test it, remove it; and link a user's federated id under one.
// Every change is published as a domain event, so it lands in the audit trail.
import type { AuditActor } from '../audit.js';
import { publish } from '../events.js';
import {
  certificateSummary,
  checkCertificatesCurrent,
  checkDisplayName,
  checkFederatedId,
  checkIdentityProviderName,
  parseIdentityProviderSettings,
  type CertificateSummary,
} from '../identityProviderSettings.js';
import { Refusal } from '../refusal.js';
import type { MetadataSettings } from '../samlMetadata.js';
import type { OperatorServices } from '../services.js';
import { lastTestRecord } from './lastTests.js';
import {
  DuplicateIdentityProviderError,
  type FederatedLink,
  type IdentityProviderRecord,
  type IdentityProviderSettings,
  type LastTestRecord,
  type StoredIdentityProvider,
  type UserRecord,
} from '../store/index.js';

type Services = Pick<OperatorServices, 'store' | 'now' | 'log'>;
type Reader = Pick<OperatorServices, 'store'>;

export interface ListedIdentityProvider {
  readonly idp: StoredIdentityProvider;
  /** How many federated ids are linked under it. */
  readonly links: number;
}

/** Every identity provider with the number of its links. */
export async function listIdentityProvidersWithLinks(services: Reader): Promise<ListedIdentityProvider[]> {
  const idps = await services.store.listIdentityProviders();
  return Promise.all(idps.map(async (idp) => ({ idp, links: await services.store.countFederatedLinks(idp.name) })));
}

/** The stored identity provider of that name, or a refusal that says which there are. */
export async function findIdentityProvider(services: Reader, name: string): Promise<StoredIdentityProvider> {
  const idp = await services.store.getIdentityProvider(name);
  if (idp !== null) return idp;
  const names = (await services.store.listIdentityProviders()).map((known) => known.name);
  throw new Refusal(
    names.length === 0
      ? `no identity provider named ${JSON.stringify(name)}: none is configured; \`ssod idps add\` adds one`
      : `no identity provider named ${JSON.stringify(name)}; the configured ones are: ${names.join(', ')}`,
  );
}

export interface IdentityProviderDetails extends ListedIdentityProvider {
  /** Its certificates as the operator compares them (empty when its settings cannot be read). */
  readonly certificates: readonly CertificateSummary[];
  /** What its last test found (testIdentityProvider keeps it), or null; `checksOfLastTest` reads its checks. */
  readonly lastTest: LastTestRecord | null;
}

export async function identityProviderDetails(
  services: Pick<OperatorServices, 'store' | 'now'>,
  name: string,
): Promise<IdentityProviderDetails> {
  const idp = await findIdentityProvider(services, name);
  const [links, lastTest] = await Promise.all([
    services.store.countFederatedLinks(name),
    services.store.getLastTest('identityProvider', name),
  ]);
  const certificates = idp.settings === null ? [] : idp.settings.certificates.map((pem) => certificateSummary(pem, services.now()));
  return { idp, links, certificates, lastTest };
}

/** The settings a change gives: only those given replace the stored ones. */
export type IdentityProviderChanges = { readonly [K in keyof IdentityProviderSettings]?: IdentityProviderSettings[K] | undefined };

/** The settings given, with those of the identity provider's metadata under them: a setting given wins over the metadata. */
export function changesOverMetadata(metadata: MetadataSettings | undefined, given: IdentityProviderChanges): IdentityProviderChanges {
  const merged: Record<string, unknown> = { ...(metadata ?? {}) };
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) if (value !== undefined) merged[key] = value;
  return merged;
}

/** What the operator is told after an addition or a change: the certificates, and what to look at. */
export interface IdentityProviderChange {
  readonly record: IdentityProviderRecord;
  readonly certificates: readonly CertificateSummary[];
  /** Certificates expiring within 30 days, and the like: printed on stderr. */
  readonly warnings: readonly string[];
}

/** The settings checked with what depends on the time and on other records (the owner application). */
async function checkedSettings(
  services: Pick<OperatorServices, 'store' | 'now'>,
  value: unknown,
): Promise<{ settings: IdentityProviderSettings; certificates: CertificateSummary[]; warnings: string[] }> {
  const settings = parseIdentityProviderSettings(value);
  const certificates = checkCertificatesCurrent(settings, services.now());
  const owner = settings.createUsersOwnedBy;
  if (owner !== null && (await services.store.getApplication(owner)) === null)
    throw new Refusal(
      `--create-users-owned-by ${owner} is no registered application; give the id of the application that will own the users created at their first sign-in (\`ssod applications list\`)`,
    );
  const warnings = certificates
    .filter((summary) => summary.expiresSoon)
    .map(
      (summary) =>
        `certificate ${summary.sha256} expires on ${new Date(summary.notAfter).toISOString()}: add the identity provider's next certificate before then (\`ssod idps update --certificate-file\`)`,
    );
  return { settings, certificates, warnings };
}

export interface IdentityProviderAddition {
  readonly name: string;
  readonly displayName?: string | undefined;
  /** The settings as given (checked here). */
  readonly settings: unknown;
  /** Set by an import of an export (core/transfer.ts). */
  readonly imported?: boolean;
}

/** Adds an identity provider; refused when the name is taken. */
export async function addIdentityProvider(
  services: Services,
  addition: IdentityProviderAddition,
  actor: AuditActor = 'operator',
): Promise<IdentityProviderChange> {
  const name = checkIdentityProviderName(addition.name);
  const displayName = checkDisplayName(addition.displayName ?? name);
  const { settings, certificates, warnings } = await checkedSettings(services, addition.settings);
  const now = services.now();
  const record: IdentityProviderRecord = { name, displayName, settings, createdAt: now, updatedAt: now };
  try {
    await services.store.insertIdentityProvider(record);
  } catch (error) {
    if (!(error instanceof DuplicateIdentityProviderError)) throw error;
    throw new Refusal(
      `an identity provider named ${name} exists already; choose another name, or change it with \`ssod idps update ${name}\``,
    );
  }
  await publish(services, {
    type: 'idp.added',
    actor,
    name,
    issuer: settings.issuer,
    signInUrl: settings.signInUrl,
    certificates: certificates.map((c) => c.sha256),
    ...(addition.imported === true ? { imported: true as const } : {}),
  });
  return { record, certificates, warnings };
}

/** The stored settings with the given ones in their place; a user id attribute goes when the location becomes the subject. */
function mergedSettings(stored: IdentityProviderSettings | null, changes: IdentityProviderChanges): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(stored ?? {}) };
  for (const [key, value] of Object.entries(changes as Record<string, unknown>)) if (value !== undefined) merged[key] = value;
  if (changes.userIdLocation === 'subject' && changes.userIdAttribute === undefined) delete merged.userIdAttribute;
  return merged;
}

function changedFields(before: IdentityProviderRecord | StoredIdentityProvider, after: IdentityProviderRecord): string[] {
  const fields: string[] = [];
  if (before.displayName !== after.displayName) fields.push('displayName');
  const old = (before.settings ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(after.settings)) if (JSON.stringify(old[key]) !== JSON.stringify(value)) fields.push(key);
  if (old.userIdAttribute !== undefined && after.settings.userIdAttribute === undefined) fields.push('userIdAttribute');
  return fields.sort();
}

/** Changes the given settings of an identity provider (the others stay); an unreadable one is fixed by giving what it lacks. */
export async function updateIdentityProvider(
  services: Services,
  name: string,
  update: { readonly displayName?: string | undefined; readonly settings: IdentityProviderChanges },
  actor: AuditActor = 'operator',
): Promise<IdentityProviderChange & { readonly fields: readonly string[] }> {
  const stored = await findIdentityProvider(services, name);
  const displayName = checkDisplayName(update.displayName ?? stored.displayName);
  const { settings, certificates, warnings } = await checkedSettings(services, mergedSettings(stored.settings, update.settings));
  const record: IdentityProviderRecord = { name, displayName, settings, createdAt: stored.createdAt, updatedAt: services.now() };
  const fields = changedFields(stored, record);
  if (fields.length === 0) return { record: { ...record, updatedAt: stored.updatedAt }, certificates, warnings, fields };
  if (!(await services.store.updateIdentityProvider(record)))
    throw new Refusal(`identity provider ${name} was removed meanwhile; \`ssod idps list\` shows the ones there are`);
  await publish(services, {
    type: 'idp.updated',
    actor,
    name,
    fields,
    ...(fields.includes('certificates') ? { certificates: certificates.map((c) => c.sha256) } : {}),
  });
  return { record, certificates, warnings, fields };
}

/** Removes an identity provider; refused while federated ids are linked under it, unless `force` (which removes them too). */
export async function removeIdentityProvider(
  services: Services,
  name: string,
  force: boolean,
  actor: AuditActor = 'operator',
): Promise<{ readonly links: number }> {
  const links = force ? await services.store.countFederatedLinks(name) : 0;
  const removal = await services.store.deleteIdentityProvider(name, { withLinks: force });
  if (removal === 'absent') {
    await findIdentityProvider(services, name); // refuses, naming the ones there are
    throw new Refusal(`identity provider ${name} was added again meanwhile; try again`);
  }
  if (typeof removal === 'object')
    throw new Refusal(
      `identity provider ${name} has ${removal.linked} federated id(s) linked, whose users could no longer sign in through it; unlink them (\`ssod users unlink USER --idp ${name}\`), or give --force to remove the links with it`,
    );
  await publish(services, { type: 'idp.removed', actor, name, links });
  return { links };
}

/** Links the user's federated id under an identity provider (docs/SECURITY.md case E34: never under another). */
export async function linkFederatedId(
  services: Services,
  user: UserRecord,
  idpName: string,
  federatedId: string,
  imported = false,
  actor: AuditActor = 'operator',
): Promise<FederatedLink> {
  await findIdentityProvider(services, idpName);
  const link: FederatedLink = { idpName, federatedId: checkFederatedId(federatedId), userId: user.id, createdAt: services.now() };
  const outcome = await services.store.linkFederatedId(link);
  if (outcome === 'federatedIdTaken') {
    const holder = await services.store.findUserByFederatedId(idpName, link.federatedId);
    throw new Refusal(
      holder?.id === user.id
        ? `user ${user.login} has this federated id under ${idpName} already; nothing to change`
        : `federated id ${JSON.stringify(link.federatedId)} of ${idpName} is linked to ${holder?.login ?? 'another user'}; unlink it there first (\`ssod users unlink ${holder?.login ?? 'USER'} --idp ${idpName}\`)`,
    );
  }
  if (outcome === 'userLinked')
    throw new Refusal(
      `user ${user.login} has another federated id under ${idpName}; \`ssod users links ${user.login}\` shows it, \`ssod users unlink ${user.login} --idp ${idpName}\` removes it`,
    );
  if (outcome === 'absent') throw new Refusal(`user ${user.login} or identity provider ${idpName} was removed meanwhile; try again`);
  await publish(services, {
    type: 'user.federatedIdLinked',
    actor,
    userId: user.id,
    login: user.login,
    idpName,
    federatedId: link.federatedId,
    ...(imported ? { imported: true as const } : {}),
  });
  return link;
}

/** Removes the user's link under an identity provider; refused when there is none. */
export async function unlinkFederatedId(
  services: Services,
  user: UserRecord,
  idpName: string,
  actor: AuditActor = 'operator',
): Promise<FederatedLink> {
  const link = await services.store.unlinkFederatedId(user.id, idpName);
  if (link === null)
    throw new Refusal(
      `user ${user.login} has no federated id under ${JSON.stringify(idpName)}; \`ssod users links ${user.login}\` shows its links`,
    );
  await publish(services, {
    type: 'user.federatedIdUnlinked',
    actor,
    userId: user.id,
    login: user.login,
    idpName,
    federatedId: link.federatedId,
  });
  return link;
}

/** The user's links, by identity provider. */
export function federatedLinksOf(services: Reader, user: UserRecord): Promise<FederatedLink[]> {
  return services.store.listFederatedLinksOfUser(user.id);
}

/** What `ssod idps test` found: each check with whether it passed. */
export interface IdentityProviderCheck {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Whether the sign-in URL answers over verified TLS within the timeouts (the infrastructure's, given by the caller). */
export type SignInUrlProbe = (url: string) => Promise<{ readonly ok: boolean; readonly detail: string }>;

/** Checks an identity provider: its settings readable, a certificate valid now (warning before expiry), its sign-in URL answering. */
async function checksOf(
  services: Pick<OperatorServices, 'now'>,
  probe: SignInUrlProbe,
  idp: StoredIdentityProvider,
): Promise<IdentityProviderCheck[]> {
  if (idp.settings === null) return [{ what: 'settings', ok: false, detail: `its stored settings cannot be used: ${idp.problem}` }];
  const checks: IdentityProviderCheck[] = [{ what: 'settings', ok: true, detail: 'readable' }];
  const summaries = idp.settings.certificates.map((pem) => certificateSummary(pem, services.now()));
  for (const summary of summaries) {
    const until = new Date(summary.notAfter).toISOString();
    checks.push({
      what: `certificate ${summary.sha256}`,
      ok: !summary.expired,
      detail: summary.expired
        ? `not valid now (until ${until})`
        : summary.expiresSoon
          ? `valid, but expires soon (${until})`
          : `valid until ${until}`,
    });
  }
  if (summaries.every((summary) => summary.expired))
    checks.push({ what: 'certificates', ok: false, detail: 'no certificate is valid now: no response can be verified' });
  const answer = await probe(idp.settings.signInUrl);
  checks.push({ what: `sign-in URL ${idp.settings.signInUrl}`, ok: answer.ok, detail: answer.detail });
  return checks;
}

const CHECK_LINE = /^(ok|not ok) — (.*)$/;

/**
 * Tests an identity provider (checksOf) and keeps what it found as its last test: each check one
 * line of the detail, `ok — WHAT: DETAIL` or `not ok — …`, which checksOfLastTest reads back.
 */
export async function testIdentityProvider(
  services: Pick<OperatorServices, 'store' | 'now'>,
  probe: SignInUrlProbe,
  name: string,
  actor: AuditActor = 'operator',
): Promise<IdentityProviderCheck[]> {
  const checks = await checksOf(services, probe, await findIdentityProvider(services, name));
  const detail = checks.map((check) => `${check.ok ? 'ok' : 'not ok'} — ${check.what}: ${check.detail}`.replaceAll('\n', ' ')).join('\n');
  await services.store.recordLastTest(
    lastTestRecord('identityProvider', name, services.now(), actor, usable(checks) ? 'usable' : 'not usable', detail),
  );
  return checks;
}

/** The checks of a kept test, one a line (a line cut short by the bound is kept as it is, not ok). */
export function checksOfLastTest(lastTest: LastTestRecord): { readonly ok: boolean; readonly text: string }[] {
  return lastTest.detail.split('\n').map((line) => {
    const match = CHECK_LINE.exec(line);
    return match === null ? { ok: false, text: line } : { ok: match[1] === 'ok', text: match[2] ?? '' };
  });
}

/** Whether an identity provider passed the test: every check but the individual expired certificates of a rotation. */
export function usable(checks: readonly IdentityProviderCheck[]): boolean {
  return checks.every((check) => check.ok || check.what.startsWith('certificate '));
}
