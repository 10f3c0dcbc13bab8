// TLS towards a delegated source (docs/SECURITY.md section E): TLS 1.2 or later, the server's
// certificate verified against the system CAs or the operator's CA file, its host name checked, and,
// when the operator pinned one, its public key compared with the pin. Shared by every kind of source.
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { TransportSettings } from '../../core/ports/delegated.js';

/**
 * base64 SHA-256 of a certificate's SubjectPublicKeyInfo (DER): the form of a pin, as `openssl x509
 * -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64` prints it. It is
 * read from the certificate's DER (a PeerCertificate's or an X509Certificate's `raw`), because a
 * PeerCertificate's `pubkey` is the SubjectPublicKeyInfo only for RSA keys: for EC keys it is the bare point.
 */
export function spkiPinOf(certificate: { readonly raw: Buffer }): string | null {
  let spki: Buffer;
  try {
    spki = new X509Certificate(certificate.raw).publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return null;
  }
  return createHash('sha256').update(spki).digest('base64');
}

/** The TLS options of a connection to a source at `host`. */
export function sourceTlsOptions(settings: TransportSettings, host: string): ConnectionOptions {
  const pin = settings.pinSha256;
  return {
    servername: host,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(settings.caPem !== undefined ? { ca: settings.caPem } : {}),
    checkServerIdentity(name: string, certificate: PeerCertificate): Error | undefined {
      const mismatch = checkServerIdentity(name, certificate);
      if (mismatch !== undefined) return mismatch;
      if (pin !== undefined && spkiPinOf(certificate) !== pin) return new Error('the server key does not match the configured pin');
      return undefined;
    },
  };
}
