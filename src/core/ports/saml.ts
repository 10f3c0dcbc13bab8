// The SAML 2.0 library as the core sees it (docs/federation/saml.md): an AuthnRequest to send
// the browser to an identity provider with, and the checks of a posted SAMLResponse that only a
// signature library can make (the signature over the assertion with the configured certificates,
// the shape of what it covers, Audience, the validity window). What needs the store (InResponseTo,
// replay, the user) is the core's (core/saml.ts).
import type { IdentityProviderSettings } from '../store/identityProviders.js';

/** The attack case of docs/SECURITY.md section E that a refusal is about, or `malformed` for a response that cannot be read. */
/** `startCallback`: the assertion was good, but an On Session Start callback refused the session (docs/groups.md). */
export type SamlCase = 'E30' | 'E31' | 'E32' | 'E33' | 'E34' | 'malformed' | 'startCallback';

/** A response refused: its case and a precise, log-safe reason (what the audit trail shows). */
export class SamlRefusal extends Error {
  readonly case: SamlCase;
  constructor(samlCase: SamlCase, reason: string) {
    super(reason);
    this.name = 'SamlRefusal';
    this.case = samlCase;
  }
}

/** Who ssod is to identity providers. */
export interface ServiceProviderNames {
  /** The SP entity id: the Issuer of ssod's requests, the Audience it accepts. */
  readonly entityId: string;
  /** The assertion consumer service (HTTP-POST): the Destination and Recipient it accepts. */
  readonly acsUrl: string;
}

export interface AuthnRequestOrder {
  readonly id: string;
  readonly idp: IdentityProviderSettings;
  readonly sp: ServiceProviderNames;
  readonly relayState: string;
}

/** What a valid response says, read from the signed assertion only. */
export interface SamlIdentity {
  /** The Issuer of the signed assertion (the identity provider's entity id). */
  readonly issuer: string;
  readonly assertionId: string;
  /** The Subject's NameID, as the library reads it from the signed assertion. */
  readonly nameId: string | null;
  /** The attributes of the signed assertion, each with its values. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** The InResponseTo of the signed SubjectConfirmationData (null for an IdP-initiated response). */
  readonly inResponseTo: string | null;
  /** The end of the assertion's validity (ms): how long its id is remembered against a replay. */
  readonly notOnOrAfter: number;
}

export interface SamlResponseCheck {
  /** The SAMLResponse field as posted (base64). */
  readonly samlResponse: string;
  readonly idp: IdentityProviderSettings;
  readonly sp: ServiceProviderNames;
  readonly now: number;
}

export interface SamlLibrary {
  /** The identity provider's sign-in URL with the deflated, unsigned AuthnRequest (HTTP-Redirect binding). */
  authnRequestUrl(order: AuthnRequestOrder): Promise<string>;
  /** The Issuer a response names, read before any check, to find its identity provider; null when it names none. */
  issuerOf(samlResponse: string): string | null;
  /** The identity of a valid response; throws SamlRefusal otherwise. */
  validateResponse(check: SamlResponseCheck): Promise<SamlIdentity>;
  /** The SP metadata (EntityDescriptor). */
  metadata(sp: ServiceProviderNames): string;
}
