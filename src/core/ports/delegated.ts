// Delegated sources: where the password of a user with single sign-on is checked instead of ssod's
// own hash (docs/FEDERATION.md): an organization's LJAuthenticate web service, or an LDAP directory.
// The core decides who is asked and what an answer means (core/sources.ts); the infrastructure
// (src/infra/sources) only speaks to the source, with the transport rules of docs/SECURITY.md
// section E (TLS 1.2+, the operator's CA and pin, timeouts, a size limit, the hardened XML reader).
// A source never throws for what the far side did: every outcome is an answer with its cause.

/** How ssod reaches a source: TLS is required and verified, and every call ends within the timeouts. */
export interface TransportSettings {
  /** Milliseconds to set up the connection (TCP and TLS). */
  readonly connectTimeoutMs: number;
  /** Milliseconds for the whole call, reply included. */
  readonly timeoutMs: number;
  /** PEM certificates to trust instead of the system's (a self-signed or private CA); absent: the system CAs. */
  readonly caPem?: string | undefined;
  /** base64 SHA-256 of the server's SubjectPublicKeyInfo; when set, any other key is refused even if its chain is valid. */
  readonly pinSha256?: string | undefined;
}

/** An LJAuthenticate web service (Open Fusion SSO federation: "Delegated Authentication", "Pass Through Authentication"). */
export interface WebServiceSettings extends TransportSettings {
  readonly kind: 'webService';
  /** https://host:port/path, the operator's setting only. */
  readonly url: string;
}

/** An LDAP directory: search-then-bind with a service account, or a bind DN made from a template. */
export interface LdapSettings extends TransportSettings {
  readonly kind: 'ldap';
  /** ldaps://host:port, or ldap://host:port with startTls. */
  readonly url: string;
  /** Upgrade an ldap:// connection with StartTLS (required for ldap://). */
  readonly startTls: boolean;
  /** A bind DN with `{login}` where the RFC 4514-escaped login goes; when set, no search is made. */
  readonly bindDnTemplate?: string | undefined;
  /** The service account that searches (search-then-bind). */
  readonly bindDn?: string | undefined;
  readonly bindPassword?: string | undefined;
  /** Where the search starts. */
  readonly searchBase?: string | undefined;
  /** An RFC 4515 filter with `{login}` where the escaped login goes; default `(uid={login})`. */
  readonly searchFilter?: string | undefined;
}

export type SourceSettings = WebServiceSettings | LdapSettings;
export type SourceKind = SourceSettings['kind'];

/**
 * Why a source did not say yes. `rejected`: it answered, and the answer is no (a wrong password, an
 * unknown login, a status other than exactly the success word). `unavailable`: it could not be asked
 * (connection refused, TLS failure, timeout, an HTTP status other than 200, a redirect, the circuit
 * open); these count towards the circuit breaker. `malformed`: it answered something unreadable (not
 * XML, a DOCTYPE, over the size limit, no status).
 */
export type SourceFailure = 'rejected' | 'unavailable' | 'malformed';

export type SourceAnswer =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly cause: SourceFailure;
      /** A precise, log-safe reason for the audit trail (never the password, never the reply's body). */
      readonly detail: string;
    };

/** One password check at a source (LJAuthenticate{username, password, originatingIp} of the LongJump documentation). */
export interface DelegatedPasswordCheck {
  /** The user's login as stored in ssod. */
  readonly login: string;
  readonly password: string;
  /** The browser's address where ssod knows it, else the caller's. */
  readonly originatingIp: string;
}

/** A pass-through request forwarded to the authentication service (LJAuthenticate{sessionID, originatingDomain, originatingIp, loginID}). */
export interface PassThroughCheck {
  readonly sessionId: string | null;
  readonly loginId: string;
  readonly originatingDomain: string;
  readonly originatingIp: string;
}

export type PassThroughAnswer =
  | { readonly ok: true; readonly loginId: string }
  | {
      readonly ok: false;
      readonly cause: SourceFailure;
      readonly detail: string;
      /** The service's redirectOnErrorURL, untrusted: the core allows it only on an allowed origin. */
      readonly redirectOnErrorUrl?: string | undefined;
    };

/** A configured source as the infrastructure opens it (infra/sources/index.ts). */
export interface DelegatedSource {
  readonly kind: SourceKind;
  checkPassword(check: DelegatedPasswordCheck): Promise<SourceAnswer>;
  /** Releases connections; the source is not used afterwards. */
  close(): Promise<void>;
}

/** A web service source can also answer pass-through requests. */
export interface PassThroughSource extends DelegatedSource {
  checkPassThrough(check: PassThroughCheck): Promise<PassThroughAnswer>;
}

/** Opens a source from its settings (the composition root gives the infrastructure's). */
export type SourceOpener = (settings: SourceSettings) => DelegatedSource;

/** How a source is doing, for /healthz and `ssod sources show`. */
export interface SourceHealth {
  readonly name: string;
  readonly kind: SourceKind;
  /** `open`: the circuit breaker fails checks fast after repeated transport failures. */
  readonly circuit: 'closed' | 'open' | 'halfOpen';
  /** The last transport failure's detail, if any since the circuit last closed. */
  readonly lastFailure: string | null;
}

/**
 * The sources of this installation as every node sees them: opened from the store's settings on
 * first use and reopened when the operator changes them (core/sources.ts implements it).
 */
export interface SourceRegistry {
  /** The source of this name behind its circuit breaker, or null when none is configured by that name. */
  source(name: string): Promise<DelegatedSource | null>;
  /** The web-service source of this name (pass-through), or null when there is none of that kind. */
  passThroughSource(name: string): Promise<PassThroughSource | null>;
  health(): readonly SourceHealth[];
  close(): Promise<void>;
}
