// SAML 2.0 sign-in (docs/federation/saml.md): ssod as a service provider. startSamlSignIn
// sends the browser to an identity provider with an AuthnRequest whose id the store keeps;
// finishSamlSignIn checks the posted response (the library's checks through core/ports/saml.ts,
// then the ones that need the store: InResponseTo once, cluster-wide; the assertion id against a
// replay; the user, or an account made at its first sign-in when the identity provider names an owner
// application), starts a browser session, and records every refusal in the audit trail.
import { randomBytes } from 'node:crypto';
import { SsoError } from './errors.js';
import { publish } from './events.js';
import { SamlRefusal, type SamlIdentity, type SamlLibrary, type ServiceProviderNames } from './ports/saml.js';
import type { Services } from './services.js';
import { setOfUrl, userOfSet } from './groups.js';
import { startBrowserSession, type SessionCookie } from './sessions.js';
import type { IdentityProviderRecord, IdentityProviderStore } from './store/identityProviders.js';
import type { UserRecord } from './store/users.js';
import { usableCertificates } from './identityProviderSettings.js';
import { originOfRedirectUrl } from './urls.js';
import { createUser, deleteUser } from './users.js';

/** How long an AuthnRequest may be answered. */
export const SAML_REQUEST_LIFETIME_MS = 5 * 60 * 1000;

/** What the SAML sign-in asks of the store: its identity providers, its links, and the one-use request and assertion ids. */
export type SamlStore = Pick<
  IdentityProviderStore,
  | 'listIdentityProviders'
  | 'getIdentityProvider'
  | 'findUserByFederatedId'
  | 'linkFederatedId'
  | 'insertSamlRequest'
  | 'takeSamlRequest'
  | 'rememberAssertion'
>;

/** What a SAML sign-in works with besides the services. */
export interface SamlContext {
  readonly library: SamlLibrary;
  readonly store: SamlStore;
  readonly sp: ServiceProviderNames;
}

/** The identity providers that can be used, by name. */
export async function usableIdentityProviders(context: Pick<SamlContext, 'store'>): Promise<{ name: string; displayName: string }[]> {
  const all = await context.store.listIdentityProviders();
  return all.filter((idp) => idp.settings !== null).map(({ name, displayName }) => ({ name, displayName }));
}

/** The URL of the identity provider to send the browser to, or null when there is no usable one by that name. */
export async function startSamlSignIn(services: Services, context: SamlContext, idpName: string, relayUrl: string): Promise<string | null> {
  const idp = await context.store.getIdentityProvider(idpName);
  if (idp?.settings === null || idp === null) return null;
  const id = `_${randomBytes(20).toString('hex')}`;
  await context.store.insertSamlRequest({ id, idpName: idp.name, relayUrl, expiresAt: services.now() + SAML_REQUEST_LIFETIME_MS });
  return context.library.authnRequestUrl({ id, idp: idp.settings, sp: context.sp, relayState: relayUrl });
}

export interface SamlPost {
  readonly samlResponse: string;
  readonly relayState: string | null;
  /** The browser's address, for the audit trail. */
  readonly address: string;
}

export type SamlSignIn =
  | { readonly ok: true; readonly cookie: SessionCookie; readonly relayUrl: string; readonly userId: string }
  | { readonly ok: false; readonly refusal: SamlRefusal };

interface Accepted {
  readonly idp: IdentityProviderRecord;
  readonly identity: SamlIdentity;
  readonly relayUrl: string;
}

async function identityProviderOfIssuer(context: SamlContext, issuer: string | null): Promise<Accepted['idp']> {
  if (issuer === null) throw new SamlRefusal('malformed', 'the response names no Issuer');
  const all = await context.store.listIdentityProviders();
  const idp = all.find((known) => known.settings?.issuer === issuer);
  if (idp?.settings === undefined || idp.settings === null)
    throw new SamlRefusal('E33', `no identity provider has the Issuer ${issuer.slice(0, 200)}`);
  return { ...idp, settings: idp.settings };
}

/** Where the browser goes: the request's URL (answered once), or for an IdP-initiated response, when allowed, its RelayState. */
async function relayUrlOf(
  services: Services,
  context: SamlContext,
  idp: Accepted['idp'],
  identity: SamlIdentity,
  relayState: string | null,
): Promise<string> {
  if (identity.inResponseTo !== null) {
    const request = await context.store.takeSamlRequest(identity.inResponseTo, services.now());
    if (request === null) throw new SamlRefusal('E33', 'InResponseTo names no open request (unknown, answered already, or expired)');
    if (request.idpName !== idp.name) throw new SamlRefusal('E33', 'InResponseTo names a request sent to another identity provider');
    return request.relayUrl;
  }
  if (!idp.settings.allowIdpInitiated)
    throw new SamlRefusal('E33', 'an IdP-initiated response, and this identity provider may not send one');
  const origin = relayState === null ? null : originOfRedirectUrl(relayState);
  if (relayState === null || origin === null || !(await services.store.hasApplicationUrl(origin.baseUrl))) {
    throw new SamlRefusal('E33', 'RelayState is not an address of a registered application');
  }
  return relayState;
}

async function accept(services: Services, context: SamlContext, post: SamlPost): Promise<Accepted> {
  const idp = await identityProviderOfIssuer(context, context.library.issuerOf(post.samlResponse));
  const now = services.now();
  // Only certificates valid now verify a signature: one that expired stays in the settings, unused.
  const certificates = usableCertificates(idp.settings, now);
  if (certificates.length === 0) {
    throw new SamlRefusal(
      'E32',
      `no certificate of identity provider ${idp.name} is valid now; add its current signing certificate (ssod idps)`,
    );
  }
  const identity = await context.library.validateResponse({
    samlResponse: post.samlResponse,
    idp: { ...idp.settings, certificates },
    sp: context.sp,
    now,
  });
  const relayUrl = await relayUrlOf(services, context, idp, identity, post.relayState);
  if (!(await context.store.rememberAssertion(identity.issuer, identity.assertionId, identity.notOnOrAfter, services.now()))) {
    throw new SamlRefusal('E33', 'the assertion id was seen already (a replay)');
  }
  return { idp, identity, relayUrl };
}

/** The user id value of the assertion, where the identity provider's settings say it is. */
function userIdValue({ idp, identity }: Accepted): string {
  const { settings } = idp;
  const values =
    settings.userIdLocation === 'subject' ? [identity.nameId ?? ''] : (identity.attributes[settings.userIdAttribute ?? ''] ?? []);
  const [value] = values;
  if (values.length !== 1 || value === undefined || value.trim() === '')
    throw new SamlRefusal('malformed', 'the assertion carries no single user id where the settings say');
  return value;
}

/**
 * The account made at the first sign-in of a federated id that no user has under this identity
 * provider, when its settings name the owner application (docs/federation/saml.md, "Accounts
 * made at the first sign-in"): the federated id is the login, no password of its own (an empty hash,
 * which never verifies), the federated id linked under this identity provider. A login that is taken
 * is refused, never merged with the user who has it (E34); null when another sign-in of the same
 * federated id made the account meanwhile.
 */
async function createdUser(
  services: Services,
  context: SamlContext,
  idp: Accepted['idp'],
  owner: string,
  federatedId: string,
): Promise<UserRecord | null> {
  let userId: string;
  try {
    userId = await createUser(services, owner, federatedId, '', 'guest');
  } catch (error) {
    if (!(error instanceof SsoError)) throw error;
    if (error.code === 'duplicateLogin') {
      if ((await context.store.findUserByFederatedId(idp.name, federatedId)) !== null) return null;
      throw new SamlRefusal('E34', `a user with the login ${federatedId.slice(0, 200)} exists already and is not linked under ${idp.name}`);
    }
    throw new SamlRefusal('malformed', `no account can be made for that federatedId: ${error.message}`);
  }
  const user = await services.store.getUser(userId);
  if (user === null) return null;
  if ((await context.store.linkFederatedId({ idpName: idp.name, federatedId, userId, createdAt: services.now() })) !== 'linked') {
    // Another sign-in of that federated id linked its own account meanwhile: this one goes again.
    await deleteUser(services, user, 'guest');
    return null;
  }
  await publish(services, { type: 'user.federatedIdLinked', actor: 'guest', userId, login: user.login, idpName: idp.name, federatedId });
  return user;
}

/** The user the assertion names: by ssod's user id, or by the federated id linked under this identity provider only (E34). */
async function userOf(services: Services, context: SamlContext, accepted: Accepted, set: string | null): Promise<UserRecord> {
  const value = userIdValue(accepted);
  const { idp } = accepted;
  const find = (): Promise<UserRecord | null> =>
    idp.settings.userIdType === 'userId' ? services.store.getUser(value) : context.store.findUserByFederatedId(idp.name, value);
  let user = await find();
  const owner = idp.settings.createUsersOwnedBy;
  if (user === null && owner !== null && idp.settings.userIdType === 'federatedId')
    user = (await createdUser(services, context, idp, owner, value)) ?? (await find());
  // Only a user of the set the session starts in; another is refused as an unknown one (docs/groups.md).
  user = await userOfSet(services, user, set);
  if (user === null) {
    throw new SamlRefusal(
      idp.settings.userIdType === 'federatedId' ? 'E34' : 'malformed',
      `no user is linked to that ${idp.settings.userIdType} under ${idp.name}`,
    );
  }
  if (user.disabledAt !== null) throw new SamlRefusal('malformed', 'the user is disabled');
  return user;
}

async function refused(
  services: Services,
  post: SamlPost,
  refusal: SamlRefusal,
  idpName: string | null,
  userId: string | null,
): Promise<SamlSignIn> {
  await publish(services, {
    type: 'authentication.failed',
    actor: 'guest',
    subject: userId === null ? `idp:${idpName ?? 'unknown'}` : `user:${userId}`,
    userId,
    method: 'saml',
    address: post.address,
    outcome: 'samlRefused',
    ...(idpName === null ? {} : { idp: idpName }),
    sourceDetail: `${refusal.case}: ${refusal.message}`,
  });
  return { ok: false, refusal };
}

/** Checks a posted SAMLResponse and signs the browser in, or refuses with the reason recorded (docs/federation/saml.md). */
export async function finishSamlSignIn(services: Services, context: SamlContext, post: SamlPost): Promise<SamlSignIn> {
  let accepted: Accepted | null = null;
  let user: UserRecord | null = null;
  try {
    accepted = await accept(services, context, post);
    const origin = originOfRedirectUrl(accepted.relayUrl);
    const set = origin === null ? null : await setOfUrl(services, origin.baseUrl);
    user = await userOf(services, context, accepted, set);
    const cookie = await startBrowserSession(services, user.id, 'guest', set, origin?.baseUrl ?? null).catch((error: unknown) => {
      if (error instanceof SsoError) throw new SamlRefusal('startCallback', error.message);
      throw error;
    });
    await publish(services, {
      type: 'authentication.succeeded',
      actor: 'guest',
      subject: `user:${user.id}`,
      userId: user.id,
      method: 'saml',
      address: post.address,
      idp: accepted.idp.name,
      attributes: JSON.stringify(accepted.identity.attributes),
    });
    return { ok: true, cookie, relayUrl: accepted.relayUrl, userId: user.id };
  } catch (error) {
    if (!(error instanceof SamlRefusal)) throw error;
    return refused(services, post, error, accepted?.idp.name ?? null, user?.id ?? null);
  }
}
