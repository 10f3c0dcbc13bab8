// The application's identity: the private key and client certificate that ssod issued to it
// (protocol §5.1 returns both as one PEM string), loaded from memory or files.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

/** The key+certificate string of registerApplication, a file holding it, or two separate files. */
export type ClientIdentity =
  { readonly pem: string } | { readonly pemFile: string } | { readonly keyFile: string; readonly certFile: string };

const KEY_BLOCK = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Splits the one string of protocol §5.1 (PEM private key, then PEM certificate) into its two blocks. */
export function splitIdentityPem(pem: string): KeyPair {
  const key = KEY_BLOCK.exec(pem)?.[0];
  const cert = CERT_BLOCK.exec(pem)?.[0];
  if (key === undefined || cert === undefined) throw new TypeError('expected a PEM private key and a PEM certificate');
  return { key: `${key}\n`, cert: `${cert}\n` };
}

/** Reads an identity; files are read at once (at start-up), so a missing file fails early. */
export function loadIdentity(identity: ClientIdentity): KeyPair {
  if ('pem' in identity) return splitIdentityPem(identity.pem);
  if ('pemFile' in identity) return splitIdentityPem(readFileSync(identity.pemFile, 'utf8'));
  return splitIdentityPem(`${readFileSync(identity.keyFile, 'utf8')}\n${readFileSync(identity.certFile, 'utf8')}`);
}

/**
 * The application id a certificate was issued for. ssod writes it as the certificate's common
 * name; the protocol itself has no "who am I" operation, so this is how an application that kept
 * only its certificate file finds the id updateApplication needs.
 */
export function applicationIdOf(cert: string): string | null {
  const subject = new X509Certificate(cert).subject.split('\n');
  const cn = subject.find((line) => line.startsWith('CN='))?.slice(3);
  return cn !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(cn) ? cn.toLowerCase() : null;
}
