// A certificate authority for test servers that ssod reaches over TLS (a delegated source: a web
// service, a directory, a ticket receiver): the demonstration's throwaway CA (examples/lib/demoCa.ts,
// ssod's own CA code on a temporary directory), so its server certificate names IP:127.0.0.1 and
// DNS:localhost; `identityFor` signs, with the same CA key, a server certificate for another name only,
// for host name mismatches.
import { createHash, X509Certificate } from 'node:crypto';
import { openDemoCa } from '../../examples/lib/demoCa.js';

/** What a TLS server presents, and the pin of its key (base64 SHA-256 of the SubjectPublicKeyInfo). */
export interface ServerIdentity {
  readonly key: string;
  readonly cert: string;
  readonly pin: string;
}

export interface TestCa {
  readonly caPem: string;
  /** A server certificate for IP:127.0.0.1 and DNS:localhost. */
  readonly server: ServerIdentity;
  /** A server certificate of this CA that names `dnsName` only. */
  identityFor(dnsName: string): Promise<ServerIdentity>;
}

/** Computed here from the certificate's SubjectPublicKeyInfo, not by ssod's spkiPinOf, so a test of the pin checks it. */
export function pinOf(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** A new CA (each call another one, so a second CA is a CA the first does not trust). */
export async function openTestCa(): Promise<TestCa> {
  const ca = await openDemoCa();
  return {
    caPem: ca.caPem,
    server: { ...ca.loopback, pin: pinOf(ca.loopback.cert) },
    async identityFor(dnsName) {
      const issued = await ca.issueServer([dnsName]);
      return { ...issued, pin: pinOf(issued.cert) };
    },
  };
}
