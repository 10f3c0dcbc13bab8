// Joining ssod once and renewing the certificate later (protocol §5.1, §5.2, §4.2). The key+certificate
// file is the application's password: it is written owner-only (0600) and replaced atomically.
import { rename } from 'node:fs/promises';
import { readIfExists, writeFileAtomically } from '../infra/files.js';
import { SsoClient, type SsoClientOptions } from './client.js';
import { applicationIdOf, splitIdentityPem, type KeyPair } from './identity.js';
import type { OperationInput } from './operations.js';

const OWNER_ONLY = 0o600;

/** The key+certificate file: owner-only, replaced atomically. */
function writeOwnerOnly(file: string, text: string): Promise<void> {
  return writeFileAtomically(file, text, OWNER_ONLY);
}

export interface RegisterOptions extends Omit<SsoClientOptions, 'identity'> {
  /** Where the key+certificate is kept; when it exists, nothing is registered. */
  readonly file: string;
  readonly application: OperationInput<'registerApplication'>;
}

export interface Registration {
  readonly applicationId: string;
  readonly identity: KeyPair;
  /** True when this call registered the application; false when the file already held it. */
  readonly created: boolean;
}

function idOf(identity: KeyPair): string {
  const id = applicationIdOf(identity.cert);
  if (id === null) throw new TypeError('the certificate does not name an ssod application');
  return id;
}

/** Registers the application once (protocol §5.1, as a guest) and saves its key+certificate owner-only. */
export async function register(options: RegisterOptions): Promise<Registration> {
  const saved = await readIfExists(options.file);
  if (saved !== null) {
    const identity = splitIdentityPem(saved);
    return { applicationId: idOf(identity), identity, created: false };
  }
  const guest = new SsoClient({
    soapUrl: options.soapUrl,
    ca: options.ca,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  try {
    const { applicationId, certificate } = await guest.registerApplication(options.application);
    const identity = splitIdentityPem(certificate);
    try {
      await writeOwnerOnly(options.file, certificate);
    } catch (error) {
      // Without the saved certificate the registration could never be used or removed: undo it now.
      const self = guest.withIdentity(identity);
      await self.unregisterApplication({ applicationId }).catch(() => undefined);
      self.close();
      throw error;
    }
    return { applicationId, identity, created: true };
  } finally {
    guest.close();
  }
}

export interface RotateOptions {
  /** The key+certificate file to replace; without it the new identity is only in memory. */
  readonly file?: string;
  /** Defaults to the id in the current certificate. */
  readonly applicationId?: string;
}

/**
 * Replaces the client's certificate (protocol §4.2, docs/DECISIONS.md "Certificates"): updateApplication with
 * an empty certificate issues a new one; the old one keeps working only until the new one is
 * first used. So the new one is written to `FILE.new` before its first use (a crash then loses
 * nothing), the client switches to it, one call with it confirms it, and only then it replaces
 * FILE. If the confirmation fails the client stays on the new certificate, which is valid either
 * way, and the error says where it is kept.
 */
export async function rotateCertificate(client: SsoClient, options: RotateOptions = {}): Promise<KeyPair> {
  const current = client.identity;
  if (current === null) throw new TypeError('a guest client has no certificate to rotate');
  const applicationId = options.applicationId ?? idOf(current);
  const { certificate } = await client.updateApplication({ applicationId, certificate: '' });
  if (certificate === undefined) throw new TypeError('updateApplication issued no certificate');
  const next = splitIdentityPem(certificate);
  const pending = options.file === undefined ? null : `${options.file}.new`;
  if (pending !== null) await writeOwnerOnly(pending, certificate);
  client.useIdentity(next);
  try {
    // An update with no field changes nothing but is answered only for this very application.
    await client.updateApplication({ applicationId });
  } catch (error) {
    const where = pending === null ? '' : ` (kept in ${pending})`;
    throw new Error(`the new certificate was issued but its first use failed${where}; retry with it`, { cause: error });
  }
  if (pending !== null && options.file !== undefined) await rename(pending, options.file);
  return next;
}
