// SAML 2.0 identity providers (docs/federation/saml.md): the operator's settings of each, and the
// federated ids linked to users. A federated id is linked under one identity provider and never
// matches under another (docs/SECURITY.md case E34).

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
