// Who is calling (protocol §4.2, docs/DECISIONS.md "Certificates"): no client certificate is a guest; a
// certificate must chain to ssod's CA and be a current certificate of a registered application,
// or every operation fails with FailedAuthentication. It never falls back to guest.
import type { TLSSocket } from 'node:tls';
import { applicationOfCertificate, applicationOfCertificateRecord } from '../../core/applications.js';
import { fingerprintOf } from '../../infra/keys/authority.js';
import type { Services } from '../../core/services.js';
import { ProtocolFault } from './faults.js';
import { findLocalSession, sessionOfApplication, sha256Hex } from '../../core/sessions.js';
import type { Caller } from './operations/types.js';
import type { SessionView } from '../../core/store/index.js';

interface Peer {
  /** SHA-256 of the presented certificate, or null when none was presented. */
  readonly fingerprint: string | null;
  /** The certificate chains to ssod's CA and is within its validity. */
  readonly chained: boolean;
}

// A TLS connection's peer certificate cannot change (index.ts refuses renegotiation on every TLS
// connection), so it is read once per connection: keep-alive clients pay for it once.
const peers = new WeakMap<TLSSocket, Peer>();

function peerOf(socket: TLSSocket): Peer {
  let peer = peers.get(socket);
  if (peer === undefined) {
    const certificate = socket.getPeerX509Certificate();
    peer = certificate === undefined ? { fingerprint: null, chained: false } : { fingerprint: fingerprintOf(certificate.raw), chained: socket.authorized };
    peers.set(socket, peer);
  }
  return peer;
}

export async function identifyCaller(services: Services, socket: TLSSocket): Promise<Caller | null> {
  const peer = peerOf(socket);
  if (peer.fingerprint === null) return null;
  const applicationId = peer.chained ? await applicationOfCertificate(services, peer.fingerprint) : null;
  if (applicationId === null) throw new ProtocolFault('FailedAuthentication');
  return { applicationId };
}

/**
 * identifyCaller and the local session named by `sessionId`, with one store read when the caller
 * presents a certificate that chains (the hot path); the same outcomes as the two apart. An
 * application sees only local sessions of its own url (sessionOfApplication); a guest sees any.
 */
export async function identifyCallerWithSession(services: Services, socket: TLSSocket, sessionId: string): Promise<{ caller: Caller | null; session: SessionView | null }> {
  const peer = peerOf(socket);
  if (peer.fingerprint === null || !peer.chained) return { caller: await identifyCaller(services, socket), session: await findLocalSession(services, sessionId) };
  const read = await services.store.findCertificateAndSession(peer.fingerprint, sha256Hex(sessionId));
  const applicationId = await applicationOfCertificateRecord(services, read.certificate);
  if (applicationId === null) throw new ProtocolFault('FailedAuthentication');
  return { caller: { applicationId }, session: sessionOfApplication(read.session, read.applicationUrl) };
}
