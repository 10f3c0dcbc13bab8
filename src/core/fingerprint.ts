// The identity of a certificate (docs/DECISIONS.md "Certificates"): SHA-256 of its DER form, lower-case hex.
import { createHash } from 'node:crypto';

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
