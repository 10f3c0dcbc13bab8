// Applications and their client certificates (protocol §4.2, §5.1–5.5): the store's part.

export interface ApplicationRecord {
  /** UUID, lower case. */
  readonly id: string;
  readonly name: string;
  readonly displayName: string;
  readonly version: string;
  readonly capabilities: string;
  /** Normalized `scheme://host:port/`, or null when the application gave none. */
  readonly url: string | null;
  readonly restorePasswordUrl: string | null;
  readonly changePasswordUrl: string | null;
  readonly createdAt: number;
}

/** The updatable fields of an application; an absent key is left unchanged, null clears it. */
export type ApplicationChanges = Partial<Omit<ApplicationRecord, 'id' | 'createdAt'>>;

/** A client certificate that ssod issued to an application. */
export interface CertificateRecord {
  /** SHA-256 of the DER certificate, lower-case hex: the identity of the caller (docs/DECISIONS.md "Certificates"). */
  readonly fingerprint: string;
  readonly applicationId: string;
  /** Hex serial number, for operators. */
  readonly serial: string;
  readonly issuedAt: number;
  readonly notAfter: number;
  /** First time a request presented it; null while never used. */
  readonly firstUsedAt: number | null;
  /** When it stopped being accepted (protocol §4.2 rotation); null while accepted. */
  readonly retiredAt: number | null;
}

/**
 * The certificate writes a unit of work may hold (unitOfWork.ts). Which of them go together is the
 * core's rule (core/applications.ts); the store only runs them. Every one names its application,
 * so that an engine shared by several nodes can order the units of one application (PostgreSQL
 * locks the application's row first).
 */
export type CertificateWrite =
  | { readonly write: 'insertCertificate'; readonly certificate: CertificateRecord }
  /** Retires, at `at`, the application's accepted certificates: all but `except`, or only those never used. */
  | {
      readonly write: 'retireCertificates';
      readonly applicationId: string;
      readonly at: number;
      readonly which: { readonly neverUsed: true } | { readonly except: string };
    }
  /** Marks the certificate used at `at` (a first use is kept), only while it is not retired: otherwise it changes nothing. */
  | { readonly write: 'useCertificate'; readonly applicationId: string; readonly fingerprint: string; readonly at: number };

export interface ApplicationStore {
  /** Inserts the application and its first certificate, atomically. */
  insertApplication(app: ApplicationRecord, cert: CertificateRecord): Promise<void>;
  getApplication(id: string): Promise<ApplicationRecord | null>;
  listApplicationIds(): Promise<string[]>;
  listApplications(): Promise<ApplicationRecord[]>;
  /** False when no such application. */
  updateApplication(id: string, changes: ApplicationChanges): Promise<boolean>;
  /** Deletes the application, its certificates, the users it owns and their sessions, atomically. False when absent. */
  deleteApplication(id: string): Promise<boolean>;
  /** True when some registered application has exactly this normalized url (relay url rule). */
  hasApplicationUrl(url: string): Promise<boolean>;

  findCertificate(fingerprint: string): Promise<CertificateRecord | null>;
  listCertificates(applicationId: string): Promise<CertificateRecord[]>;
}
