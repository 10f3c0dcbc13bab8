// SAML 2.0 identity providers (docs/federation/saml.md): the operator's settings of each, and the
// federated ids linked to users. A federated id is linked under one identity provider and never
// matches under another (docs/SECURITY.md case E34). The settings are kept as JSON and checked again
// when read back (core/identityProviderSettings.ts): a row that this ssod cannot read is reported as
// unreadable, never used, and never crashes a reader.
import type { UserRecord } from './users.js';

/** Where the user's identifier is in an assertion, and what it is. */
export interface IdentityProviderSettings {
  /** The IdP's entity id (the Issuer of its responses and assertions). */
  readonly issuer: string;
  /** The IdP's single sign-on URL (HTTP-Redirect binding), where SP-initiated sign-ins go. */
  readonly signInUrl: string;
  /** `userId`: the value is ssod's user id; `federatedId`: a federated id linked to a user by the operator. */
  readonly userIdType: 'userId' | 'federatedId';
  /** `subject`: the Subject's NameID; `attribute`: the attribute named `userIdAttribute`. */
  readonly userIdLocation: 'subject' | 'attribute';
  readonly userIdAttribute?: string | undefined;
  /** PEM certificates whose keys may sign (several at once during a rotation); never taken from a response. */
  readonly certificates: readonly string[];
  /** Whether responses that answer no request of ssod (IdP-initiated) are accepted; off by default. */
  readonly allowIdpInitiated: boolean;
  /** Create the user at the first sign-in, owned by this application (off when null). */
  readonly createUsersOwnedBy: string | null;
}

export interface IdentityProviderRecord {
  /** The operator's short name (also what the sign-in page's button and `?idp=` name). */
  readonly name: string;
  /** The button's text. */
  readonly displayName: string;
  readonly settings: IdentityProviderSettings;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface FederatedLink {
  readonly idpName: string;
  readonly federatedId: string;
  readonly userId: string;
  readonly createdAt: number;
}

/** A stored identity provider whose settings do not pass the checks (edited by hand, written by another version): kept and shown, never used. */
export interface UnreadableIdentityProvider {
  readonly name: string;
  readonly displayName: string;
  readonly settings: null;
  /** Why its settings cannot be used. */
  readonly problem: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An identity provider as the store gives it back: its checked settings, or why they cannot be used (tell them apart by `settings`). */
export type StoredIdentityProvider = IdentityProviderRecord | UnreadableIdentityProvider;

/** What deleteIdentityProvider did: deleted it, found none by that name, or left it because that many federated ids are linked under it. */
export type IdentityProviderRemoval = 'deleted' | 'absent' | { readonly linked: number };

/** What linkFederatedId did: linked, or why not (nothing changed then). */
export type FederatedLinking =
  | 'linked'
  /** The federated id is linked to a user already under that identity provider (maybe this one). */
  | 'federatedIdTaken'
  /** The user has a federated id under that identity provider already (unlink it first). */
  | 'userLinked'
  /** No such user, or no identity provider of that name. */
  | 'absent';

/** Thrown by insertIdentityProvider when the name is taken. */
export class DuplicateIdentityProviderError extends Error {
  constructor(name: string) {
    super(`an identity provider named ${name} exists already`);
    this.name = 'DuplicateIdentityProviderError';
  }
}

/** An AuthnRequest ssod sent (its id, the InResponseTo of the answer), kept until answered once or expired. */
export interface SamlRequestRecord {
  readonly id: string;
  readonly idpName: string;
  /** Where the browser goes once signed in. */
  readonly relayUrl: string;
  readonly expiresAt: number;
}

export interface IdentityProviderStore {
  /** Every identity provider, by name (byte-wise). */
  listIdentityProviders(): Promise<StoredIdentityProvider[]>;
  getIdentityProvider(name: string): Promise<StoredIdentityProvider | null>;
  /** Throws DuplicateIdentityProviderError when the name is taken. */
  insertIdentityProvider(idp: IdentityProviderRecord): Promise<void>;
  /** Replaces the display name, settings and updatedAt of the identity provider of that name (createdAt stays); false when there is none. */
  updateIdentityProvider(idp: IdentityProviderRecord): Promise<boolean>;
  /**
   * Deletes the identity provider unless federated ids are linked under it (then nothing changes);
   * with `withLinks`, deletes its links too, in the same transaction.
   */
  deleteIdentityProvider(name: string, options?: { readonly withLinks?: boolean }): Promise<IdentityProviderRemoval>;
  /** How many federated ids are linked under the identity provider. */
  countFederatedLinks(idpName: string): Promise<number>;
  /** Links a federated id of an identity provider to a user: one federated id per user and identity provider, one user per federated id. */
  linkFederatedId(link: FederatedLink): Promise<FederatedLinking>;
  /** Removes the user's link under the identity provider; the link removed, or null when there was none. */
  unlinkFederatedId(userId: string, idpName: string): Promise<FederatedLink | null>;
  /** The user a federated id is linked to under that identity provider only (docs/SECURITY.md case E34), or null. */
  findUserByFederatedId(idpName: string, federatedId: string): Promise<UserRecord | null>;
  /** The user's links, by identity provider name. */
  listFederatedLinksOfUser(userId: string): Promise<FederatedLink[]>;
  /** Every link, by identity provider name then federated id (what an export carries). */
  listFederatedLinks(): Promise<FederatedLink[]>;

  /** Keeps an AuthnRequest id until it is answered or expires. */
  insertSamlRequest(request: SamlRequestRecord): Promise<void>;
  /**
   * Takes the request of that id: deletes it and gives it back, atomically, so that of concurrent
   * callers on any node exactly one gets it. Null when there is none, or it expired at `now` (also deleted then).
   */
  takeSamlRequest(id: string, now: number): Promise<SamlRequestRecord | null>;
  /**
   * Remembers an assertion id of an issuer until `expiresAt`: true the first time, false when it is
   * already remembered and not expired at `now` (a replay), atomically across nodes.
   */
  rememberAssertion(issuer: string, id: string, expiresAt: number, now: number): Promise<boolean>;
  /** Deletes the requests and the assertion ids expired at `now`; how many rows went. */
  purgeSamlState(now: number): Promise<number>;
}
