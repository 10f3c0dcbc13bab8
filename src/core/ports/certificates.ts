// What the core asks of the certificate authority (infra/keys/authority.ts is one): client
// certificates for applications (protocol §5.1) and the server certificate for the service's host
// name (docs/DECISIONS.md "Certificates").

export interface IssuedCertificate {
  /** The application's PEM private key (PKCS#8, "-----BEGIN PRIVATE KEY-----") followed by its PEM certificate: the one string protocol §5.1 returns. */
  readonly pem: string;
  readonly certificatePem: string;
  /** SHA-256 of the DER certificate, lower-case hex without colons (core/fingerprint.ts). */
  readonly fingerprint: string;
  /** Serial number, lower-case hex. */
  readonly serial: string;
  /** When it was issued, ms since the epoch. */
  readonly issuedAt: number;
  /** The certificate's notAfter, ms since the epoch (whole seconds, as X.509 stores it). */
  readonly notAfter: number;
}

export interface ServerCredentials {
  /** PEM private key of the SOAP listener. */
  readonly key: string;
  /** PEM certificate of the SOAP listener; the chain is the leaf only (clients trust /ca.pem). */
  readonly cert: string;
  /** The host name (or IP literal) the certificate is issued for. */
  readonly hostname: string;
}

export interface CertificateAuthority {
  /** The CA certificate, PEM (GET /ca.pem serves it). */
  readonly certificatePem: string;
  serverCredentials(): ServerCredentials;
  /**
   * The server certificate for a new host name (core/hosts.ts serverHostName): the one already
   * issued for it when there is one, else a new one.
   */
  setHostname(hostname: string): Promise<ServerCredentials>;
  /** protocol §5.1: a client certificate for an application, valid from now for validityDays. */
  issueClientCertificate(applicationId: string, validityDays: number): Promise<IssuedCertificate>;
  /** The same with an explicit validity window (tests of expired certificates, operator tools). */
  issueClientCertificateWithValidity(applicationId: string, notBefore: Date, notAfter: Date): Promise<IssuedCertificate>;
}
